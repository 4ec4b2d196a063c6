"""`partnerscore pal …`: Partner Admin Link from the tool, and its presentation.

Example:
    partnerscore pal link --partner-id 4650101
    partnerscore pal show
    partnerscore pal check --subscription 6f1c2b9e-0a3d-4e7b-9c11-2d5e8f4a7b01 --db partner.duckdb
    partnerscore pal unlink --partner-id 4650101
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from partnerscore.cli import render
from partnerscore.cli.app import app, command
from partnerscore.cli.options import DbOption, Format, FormatOption, TodayOption, default_db, parse_day, setting
from partnerscore.engine.connect import open_duckdb
from partnerscore.errors import PartnerscoreError
from partnerscore.pal.ids import ensure_linkable, parse_partner_id
from partnerscore.pal.ledger import knows_partner
from partnerscore.rules.load import rules_at

group = typer.Typer(help="Partner Admin Link: link the signed-in identity to a Partner ID, and check which of "
                         "its Azure roles earn PAL recognition.", no_args_is_help=True)
app.add_typer(group, name="pal")

PartnerIdOption = Annotated[str, typer.Option("--partner-id", help="Partner ID (formerly MPN ID) of a location account.")]
ArmEndpointOption = Annotated[str | None, typer.Option(
    "--arm-endpoint", help="Azure Resource Manager endpoint (default: env PARTNERSCORE_ARM_ENDPOINT, else "
                           "https://management.azure.com).")]


def _azure(arm_endpoint: str | None):
    """The Azure session; the SDKs are an extra, imported only by the commands that call Azure."""
    try:
        from partnerscore.pal.client import DEFAULT_ARM_ENDPOINT, connect
    except ImportError as exc:
        raise PartnerscoreError(f"pal needs the Azure SDKs ({exc.name} is missing): "
                                "pip install 'partnerscore[azure]'") from exc
    # azure-identity logs each failed credential as a warning; the error line already says it.
    logging.getLogger("azure.identity").setLevel(logging.ERROR)
    return connect(arm_endpoint or setting("arm_endpoint", DEFAULT_ARM_ENDPOINT))


def _link_line(link) -> str:
    name = f" ({link.partner_name})" if link.partner_name else ""
    return f"Partner ID {link.partner_id}{name}, state {link.state}, linked {link.created:%Y-%m-%d %H:%M} UTC"


@command("link", on=group)
def link(partner_id: PartnerIdOption, db: DbOption = None, arm_endpoint: ArmEndpointOption = None) -> None:
    """Link the signed-in user or service principal to a Partner ID (Management Partner API).

    Refuses, without calling Azure, anything that is not a Partner ID and a global account (PGA) ID whose
    location accounts the ledger lists.

    Example:
        partnerscore pal link --partner-id 4650101 --db partner.duckdb
    """
    partner_id = parse_partner_id(partner_id)
    database = db or default_db()
    if database.exists():
        tables = open_duckdb(database)
        ensure_linkable(partner_id, tables)
        if not knows_partner(tables, partner_id):
            render.warning_lines([(
                f"note: {partner_id} is not a partner in {database}, so whether it is a global account (PGA) ID "
                "was not checked (a Partner Center import keeps only location IDs); PAL credits a location's "
                "Partner ID (Partner Center › Account settings › Identifiers)")])
    else:
        render.warning_lines([f"note: no ledger at {database}; not checked whether {partner_id} is a global account ID"])
    azure = _azure(arm_endpoint)
    linked = azure.link(partner_id)
    render.out.print(f"linked {azure.identity}\n  to {_link_line(linked)}", markup=False, soft_wrap=True)


@command("show", on=group)
def show(partner_id: Annotated[str | None, typer.Option(
             "--partner-id", help="Only this Partner ID (default: whatever the identity is linked to).")] = None,
         arm_endpoint: ArmEndpointOption = None, fmt: FormatOption = Format.table) -> None:
    """Show the Partner ID the signed-in identity is linked to, if any.

    Example:
        partnerscore pal show
    """
    azure = _azure(arm_endpoint)
    found = azure.current_link(parse_partner_id(partner_id) if partner_id else None)
    if fmt is not Format.table:
        render.write_rows([{"identity": str(azure.identity), **(asdict(found) if found else {})}], fmt, "PAL link")
    elif found:
        render.out.print(f"{azure.identity}\n  is linked to {_link_line(found)}", markup=False, soft_wrap=True)
    else:
        wanted = f"Partner ID {partner_id}" if partner_id else "any Partner ID"
        render.out.print(f"{azure.identity}\n  is not linked to {wanted}; link it with "
                         "`partnerscore pal link --partner-id ID`", markup=False, soft_wrap=True)


@command("unlink", on=group)
def unlink(partner_id: PartnerIdOption, arm_endpoint: ArmEndpointOption = None) -> None:
    """Remove the signed-in identity's link to a Partner ID.

    Example:
        partnerscore pal unlink --partner-id 4650101
    """
    partner_id = parse_partner_id(partner_id)
    azure = _azure(arm_endpoint)
    azure.unlink(partner_id)
    render.out.print(f"unlinked {azure.identity}\n  from Partner ID {partner_id}", markup=False, soft_wrap=True)


@command("check", on=group)
def check(
    subscription: Annotated[list[str] | None, typer.Option("--subscription", help="A subscription ID to check.")] = None,
    scope: Annotated[list[str] | None, typer.Option(
        "--scope", help="An ARM scope to check, e.g. /subscriptions/ID/resourceGroups/NAME.")] = None,
    partner_id: Annotated[str | None, typer.Option(
        "--partner-id", help="Compare with this partner's PAL rows in the ledger (default: the linked one).")] = None,
    db: DbOption = None,
    as_of: TodayOption = None,
    arm_endpoint: ArmEndpointOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Which of the signed-in identity's role assignments earn PAL recognition (rule data `pal_roles`),
    beside the ledger's PAL rows of the partner. With no --subscription or --scope, checks the
    subscriptions of the ledger's PAL rows held by this identity.

    Example:
        partnerscore pal check --subscription 9d8e7f6a-5b4c-4d3e-8f21-0a1b2c3d4e02 --db partner.duckdb
    """
    day = parse_day(as_of)
    azure = _azure(arm_endpoint)
    scopes = [f"/subscriptions/{s}" for s in subscription or []] + list(scope or [])
    database = db or default_db()
    ledger = open_duckdb(database) if database.exists() else None
    from partnerscore.pal.check import check as check_pal

    result = check_pal(azure, scopes, rules_at(day), partner_id=partner_id, ledger=ledger)
    _render_check(result, fmt, database)


def _render_check(result, fmt: Format, database: Path) -> None:
    """The identity and its link, one row per role assignment, the rule cited, then the ledger's rows."""
    if fmt is Format.json:
        render.write_json(asdict(result))
        return
    if fmt is Format.csv:
        render.write_rows([asdict(f) for f in result.scopes], fmt, "")
        return
    out = render.out
    linked = f"linked to {_link_line(result.link)}" if result.link else "not linked to any Partner ID"
    out.print(f"{result.identity}\n  {linked}", markup=False, soft_wrap=True)
    table = Table(title=f"PAL recognition by role assignment, as of {result.as_of}", title_justify="left")
    for column in ("scope", "kind", "role", "recognised", "why"):
        table.add_column(column, overflow="fold")
    for f in result.scopes:
        mark = "yes" if f.recognised else ("eligible, not linked" if f.eligible else "no")
        table.add_row(f.scope, f.scope_kind, f.role or "—", mark, f.reason)
    out.print(table)
    out.print(f"rule: {result.rule}", markup=False, soft_wrap=True)
    if not result.link:
        out.print("no scope earns recognition until the identity is linked: "
                  "`partnerscore pal link --partner-id ID`", markup=False, soft_wrap=True)
    if result.ledger is None:
        return
    table = Table(title=f"ledger ({database}): PAL rows of {result.partner_id} in force on {result.as_of}",
                  title_justify="left")
    for column in ("association", "tenant", "subscription", "role", "eligible", "Azure now (this identity)"):
        table.add_column(column, overflow="fold")
    for row in result.ledger:
        eligible = "yes" if row.eligible else f"no: {row.reason}"
        table.add_row(row.association_id, row.tenant_id, row.subscription_id or "—", row.rbac_role or "—",
                      eligible, row.azure_now)
    out.print(table if result.ledger else f"ledger ({database}): no PAL row of {result.partner_id} in force")
