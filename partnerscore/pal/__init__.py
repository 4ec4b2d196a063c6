"""Partner Admin Link (PAL) from the tool: link the signed-in identity to a Partner ID, and check
which of its Azure role assignments earn PAL recognition under the rule data.

- `ids`: what a Partner ID is, and the refusal of a global account (PGA) ID whose locations the ledger knows.
- `ledger`: what the ledger says about an ID's locations and a partner's PAL rows.
- `client`: the signed-in identity and the Azure Resource Manager calls (Management Partner,
  Authorization), with Azure's errors turned into messages that say what to do.
- `check`: each role assignment's verdict under `pal_roles` of the association rules, beside the ledger.
"""
