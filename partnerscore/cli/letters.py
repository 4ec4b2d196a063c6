"""`partnerscore letter dpor|pal|cpor` (evidence documents from the ledger) and `partnerscore poe-check`.

Example:
    partnerscore letter dpor 4650202 8976e334-e281-4efd-ae84-92171d53434b --db demo.duckdb --as-of 2026-10-31
    partnerscore letter pal 4650202 TENANT --audience customer --out letters/pal-contoso.md
    partnerscore letter cpor 4650101 TENANT --workload "Exchange Online" --activity 2026-05-04
    partnerscore poe-check draft-poe.docx --partner 4650101 --tenant TENANT --workload "Exchange Online"
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from partnerscore.cli import render
from partnerscore.cli.app import app, command
from partnerscore.cli.options import DbOption, Format, FormatOption, TodayOption, default_db, parse_day
from partnerscore.engine.connect import open_duckdb

letter = typer.Typer(help="Evidence documents from the ledger, as Markdown and PDF: a DPOR request, a PAL "
                          "instruction sheet, a CPOR claim packet.", no_args_is_help=True)
app.add_typer(letter, name="letter")


class LetterFormat(str, Enum):
    """Which document a letter command writes (both when omitted)."""

    md = "md"
    pdf = "pdf"


PartnerArg = Annotated[str, typer.Argument(help="The partner's PartnerID in the ledger.")]
TenantArg = Annotated[str, typer.Argument(help="The customer's tenant id.")]
SubscriptionOption = Annotated[list[str] | None, typer.Option(
    "--subscription", "-s", help="Only these subscriptions (repeat the option).")]
OutOption = Annotated[Path | None, typer.Option(
    "--out", "-o", help="Output file; .md and .pdf are written next to each other [default: <kind>-<partner>-<tenant>].")]
LetterFormatOption = Annotated[LetterFormat | None, typer.Option(
    "--format", "-f", help="Write only this format (default: both).")]
LocationOption = Annotated[str | None, typer.Option(
    "--location-id", help="The partner location's PartnerID, when it differs from the ledger's partner id.")]


def _write(kind: str, doc, partner: str, tenant: str, out: Path | None, fmt: LetterFormat | None) -> None:
    from partnerscore.letters.output import write_letter  # loads fpdf (a third of a second): only when writing

    target = out or Path(f"{kind}-{partner}-{tenant[:8]}")
    written = write_letter(kind, doc, target, [fmt.value] if fmt else None,
                           title=f"{kind.upper()} · {doc.partner.name} · {doc.customer.name}")
    render.info("wrote " + ", ".join(str(path) for path in written))


@command("dpor", on=letter)
def dpor(partner: PartnerArg, tenant: TenantArg, subscription: SubscriptionOption = None, db: DbOption = None,
         as_of: TodayOption = None, out: OutOption = None, fmt: LetterFormatOption = None,
         location_id: LocationOption = None) -> None:
    """A customer-facing request to designate the partner as DPOR, per Azure subscription, with the portal steps.

    Without --subscription: the tenant's active Azure subscriptions outside CSP that the partner is not
    yet DPOR of.
    """
    from partnerscore.letters.gather import dpor_request

    doc = dpor_request(open_duckdb(db or default_db()), partner, tenant, parse_day(as_of), subscription, location_id)
    _write("dpor", doc, partner, tenant, out, fmt)


@command("pal", on=letter)
def pal(partner: PartnerArg, tenant: TenantArg, subscription: SubscriptionOption = None, db: DbOption = None,
        as_of: TodayOption = None, out: OutOption = None, fmt: LetterFormatOption = None,
        audience: Annotated[str, typer.Option(help="engineer (how to link) or customer (what access to give).")] = "engineer",
        principal: Annotated[str | None, typer.Option(help="The user or service principal to link.")] = None,
        location_id: LocationOption = None) -> None:
    """The PAL instruction sheet: which identity, which eligible role, which PartnerID, the az command and portal steps."""
    from partnerscore.letters.gather import pal_sheet

    doc = pal_sheet(open_duckdb(db or default_db()), partner, tenant, parse_day(as_of), audience=audience,
                    subscription_ids=subscription, principal=principal, location_id=location_id)
    _write("pal", doc, partner, tenant, out, fmt)


@command("cpor", on=letter)
def cpor(partner: PartnerArg, tenant: TenantArg,
         workload: Annotated[list[str] | None, typer.Option(
             "--workload", "-w", help="A workload to claim, as the program spells it (repeat the option).")] = None,
         subscription: SubscriptionOption = None, db: DbOption = None, as_of: TodayOption = None,
         activity: Annotated[str | None, typer.Option(
             help="Day of the claimed work (YYYY-MM-DD) [default: the CPOR association's start].")] = None,
         out: OutOption = None, fmt: LetterFormatOption = None, location_id: LocationOption = None) -> None:
    """A CPOR claim packet: ids, workloads, usage before and after the activity, and the proof-of-execution checklist.

    Without --workload or --subscription: the partner's CPOR associations on the tenant.
    """
    from partnerscore.letters.cpor import cpor_packet

    doc = cpor_packet(open_duckdb(db or default_db()), partner, tenant, parse_day(as_of), workloads=workload,
                      subscription_ids=subscription, activity=parse_day(activity, "--activity") if activity else None,
                      location_id=location_id)
    _write("cpor", doc, partner, tenant, out, fmt)


def _context(db: Path | None, partner: str | None, tenant: str | None, workloads: list[str] | None) -> dict:
    """The values a draft must contain, from the ledger (names) and the options."""
    from partnerscore.letters.cpor import canonical_workload
    from partnerscore.letters.gather import find_customer, find_partner

    context: dict = {"workloads": [canonical_workload(w) for w in workloads or []]}
    if partner or tenant:
        tables = open_duckdb(db or default_db())
        if partner:
            found = find_partner(tables, partner)
            context.update(partner_id=found.location_id, partner_name=found.name)
        if tenant:
            context.update(tenant_id=tenant, customer_name=find_customer(tables, tenant).name)
    return context


def _findings(findings, fmt: Format) -> None:
    if fmt is not Format.table:
        render.write_rows([f.to_json() for f in findings], fmt, "findings")
        return
    table = Table(title="proof of execution: what reviewers look for", title_justify="left", show_lines=True)
    for column in ("check", "status", "what is missing · why reviewers reject · fix"):
        table.add_column(column)
    for f in findings:
        status = "ok" if not f.missing else ("MISSING" if f.required else "advice")
        text = f.detail if not f.missing else f"{f.detail}\nwhy: {f.why}\nfix: {f.fix}\n[{', '.join(f.sources)}]"
        table.add_row(f.label, status, text, style=None if not f.missing else ("red" if f.required else "yellow"))
    render.out.print(table)


@command("poe-check")
def poe_check(
    file: Annotated[Path, typer.Argument(help="The draft proof of execution: .md, .txt, .docx or .pdf.")],
    partner: Annotated[str | None, typer.Option(help="The claiming partner: its name must appear.")] = None,
    tenant: Annotated[str | None, typer.Option(help="The customer's tenant id: it and the customer's name must appear.")] = None,
    workload: Annotated[list[str] | None, typer.Option(
        "--workload", "-w", help="A claimed workload that must be named and described (repeat the option).")] = None,
    as_of: TodayOption = None,
    db: DbOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List what CPOR reviewers reject a proof of execution for that the draft lacks; exit 2 if a required item is missing.

    Example:
        partnerscore poe-check poe.docx --partner 4650101 --tenant TENANT --workload Intune --db demo.duckdb
    """
    from partnerscore.letters.poe_check import check_poe

    findings = check_poe(file, parse_day(as_of), context=_context(db, partner, tenant, workload))
    _findings(findings, fmt)
    missing = [f.label for f in findings if f.missing and f.required]
    if missing:
        render.error_lines([f"{len(missing)} required item{'s' if len(missing) != 1 else ''} missing: "
                            + "; ".join(missing)])
        raise typer.Exit(2)
    render.info("every required item is present")
