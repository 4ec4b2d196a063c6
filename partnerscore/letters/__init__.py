"""Evidence documents from the ledger: the DPOR request, the PAL sheet, the CPOR claim packet, and the
proof-of-execution check.

- `gather`: what the DPOR request and PAL sheet say (partner, customer, subscriptions, links).
- `cpor`: the claim packet's workloads, activity dates and usage before and after.
- `markdown`, `pdf`, `output`: rendering through `templates/*.md.j2` and writing `.md`/`.pdf`.
- `poe_check`: a draft proof of execution against `poe_checklist.yaml`.
Portal and command-line steps are sourced data in `steps.yaml`.
"""
