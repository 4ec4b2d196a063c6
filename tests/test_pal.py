"""`partnerscore pal`, run for real: the CLI, azure-identity's DefaultAzureCredential and Azure's own SDK
clients against the ARM and Entra stand-in (tests/arm_standin.py) over TLS on 127.0.0.1, with a real
ledger imported from tests/data/pal (a global account 4650100 with locations 4650101 and 4650102, and an
indirect provider 4650404 with a reseller)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from arm_standin import StandIn, Tenant, demo_tenant
from typer.testing import CliRunner

from partnerscore.cli.app import app
from partnerscore.ingest.importer import import_dataset

DATA = Path(__file__).parent / "data" / "pal"
SP = "aa67f786-0552-423e-8849-244ed12bf581"  # the stand-in's service principal (demo_tenant)
SUB = "/subscriptions/6f1c2b9e-0a3d-4e7b-9c11-2d5e8f4a7b01"
OTHER_SUB = "/subscriptions/2c4e6a8b-1d3f-4a5b-8c7d-9e0f1a2b3c04"
AS_OF = "2026-11-24"
NOTHING_SENT = "nothing was sent to Azure"


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("pal") / "ledger.duckdb"
    import_dataset(DATA, db)
    return db


@pytest.fixture
def tenant() -> Tenant:
    """The customer tenant the stand-in serves; a test changes it before running the command."""
    return demo_tenant()


@pytest.fixture
def arm(tenant: Tenant, monkeypatch):
    """The stand-in, with partnerscore and azure-identity pointed at it through their usual variables."""
    with StandIn(tenant) as server:
        for name, value in server.environment().items():
            monkeypatch.setenv(name, value)
        yield server


def pal(*args: str):
    return CliRunner().invoke(app, ["pal", *args])


def link_as_sp(tenant: Tenant, partner_id: str) -> None:
    """Record a link in the stand-in as if the service principal had made it earlier."""
    from arm_standin import _partner_body

    tenant.links[SP] = _partner_body(tenant, tenant.principals[0], partner_id, "2026-01-05T09:00:00.0000000Z", 1)


# --- pal link: what is sent, what is refused before anything is sent -----------------------------------------

LINK_CASES = [
    ("4650101", 0, "to Partner ID 4650101 (Contoso Cloud UK), state Active", 1),
    ("4650100", 1, "error: 4650100 is a global account (PGA) Partner ID: the ledger lists its locations "
                   "4650101 (Contoso Cloud UK), 4650102 (Contoso Cloud France). PAL credits a location's "
                   "Partner ID; link one of those, e.g. `partnerscore pal link --partner-id 4650101`; "
                   f"{NOTHING_SENT}", 0),
    ("4650404", 0, "to Partner ID 4650404 (Tailspin Distribution)", 1),
    ("1b1121dd-6900-412a-af73-e8d44f81e1c1", 1,
     "error: '1b1121dd-6900-412a-af73-e8d44f81e1c1' is not a Partner ID: it is a GUID (a tenant, subscription "
     "or object ID). A Partner ID is a number such as 4650101 (Partner Center › Account settings › "
     f"Identifiers); {NOTHING_SENT}", 0),
    ("MPN-4650101", 1, "error: 'MPN-4650101' is not a Partner ID: it has characters other than digits.", 0),
    ("465", 1, "error: '465' is not a Partner ID: it has 3 digits.", 0),
]


@pytest.mark.parametrize("partner_id, exit_code, said, puts", LINK_CASES, ids=[
    "Linking a location's Partner ID creates the link for the signed-in service principal",
    "A global account ID whose locations the ledger lists is refused, and nothing is sent to Azure",
    "An indirect provider with resellers is not mistaken for a global account and is linked",
    "A tenant ID pasted as a Partner ID is refused before anything is sent",
    "A Partner ID with letters in it is refused before anything is sent",
    "A number too short to be a Partner ID is refused before anything is sent",
])
def test_pal_link(arm: StandIn, ledger: Path, partner_id: str, exit_code: int, said: str, puts: int):
    result = pal("link", "--partner-id", partner_id, "--db", str(ledger))
    assert result.exit_code == exit_code, result.output
    assert said in result.output
    assert len(arm.sent("PUT")) == puts
    if puts:
        assert arm.tenant.links[SP]["properties"]["partnerId"] == partner_id
        assert arm.sent("PUT") == [f"/providers/Microsoft.ManagementPartner/partners/{partner_id}"]
    else:
        assert arm.requests == [] and arm.tenant.links == {}


def test_pal_link_without_a_ledger_links_and_says_the_global_account_check_was_not_made(arm: StandIn, tmp_path):
    result = pal("link", "--partner-id", "4650100", "--db", str(tmp_path / "none.duckdb"))
    assert result.exit_code == 0, result.output
    assert f"note: no ledger at {tmp_path / 'none.duckdb'}; not checked whether 4650100 is a global account ID" \
        in result.output
    assert arm.tenant.links[SP]["properties"]["partnerId"] == "4650100"


@pytest.mark.parametrize("partner_id, noted", [("4650100", True), ("4650101", False)], ids=[
    "A global account ID that a Partner Center ledger does not list is linked with a note that it was not checked",
    "A location ID that the ledger lists is linked without a note",
])
def test_pal_link_notes_a_partner_id_the_ledger_does_not_list(arm: StandIn, tmp_path, partner_id: str, noted: bool):
    db = tmp_path / "pc.duckdb"
    import_dataset(Path(__file__).parent / "data" / "partner_center", db, source="partner-center")
    result = pal("link", "--partner-id", partner_id, "--db", str(db))
    assert result.exit_code == 0, result.output
    note = f"note: {partner_id} is not a partner in {db}, so whether it is a global account (PGA) ID was not checked"
    assert (note in result.output) is noted
    assert arm.tenant.links[SP]["properties"]["partnerId"] == partner_id


# --- pal show / unlink -------------------------------------------------------------------------------------

SHOW_CASES = [
    (None, [], 0, f"service principal contoso-managed-services ({SP}) in tenant "
                  "1b1121dd-6900-412a-af73-e8d44f81e1c1\n  is not linked to any Partner ID; link it with "
                  "`partnerscore pal link --partner-id ID`"),
    ("4650101", [], 0, "is linked to Partner ID 4650101 (Contoso Cloud UK), state Active, linked 2026-01-05 09:00 UTC"),
    ("4650101", ["--partner-id", "4650102"], 0, "is not linked to Partner ID 4650102"),
]


@pytest.mark.parametrize("linked, args, exit_code, said", SHOW_CASES, ids=[
    "Show with no link says the identity is not linked and how to link it",
    "Show names the Partner ID the identity is linked to and since when",
    "Show of another Partner ID than the linked one says it is not linked to that one",
])
def test_pal_show(arm: StandIn, tenant: Tenant, linked, args, exit_code, said):
    if linked:
        link_as_sp(tenant, linked)
    result = pal("show", *args)
    assert result.exit_code == exit_code, result.output
    assert said in result.output
    assert arm.sent("PUT") == [] and arm.sent("DELETE") == []


def test_pal_show_json_holds_the_identity_and_the_link(arm: StandIn, tenant: Tenant):
    link_as_sp(tenant, "4650101")
    rows = json.loads(pal("show", "--format", "json").stdout)
    assert [(r["partner_id"], r["partner_name"], r["object_id"], r["state"]) for r in rows] == [
        ("4650101", "Contoso Cloud UK", SP, "Active")]


def test_pal_unlink_removes_the_link(arm: StandIn, tenant: Tenant):
    link_as_sp(tenant, "4650101")
    result = pal("unlink", "--partner-id", "4650101")
    assert result.exit_code == 0, result.output
    assert "from Partner ID 4650101" in result.output
    assert tenant.links == {}
    assert arm.sent("DELETE") == ["/providers/Microsoft.ManagementPartner/partners/4650101"]
    assert "is not linked to any Partner ID" in pal("show").output


# --- Azure's errors, as messages that say what to do --------------------------------------------------------

ERROR_CASES = [
    ("409", ["link", "--partner-id", "4650101"],
     "error: linking Partner ID 4650101: this identity is already linked to Partner ID 4650102 (Contoso Cloud "
     "France); unlink it first with `partnerscore pal unlink --partner-id 4650102`, then link again"),
    ("404", ["unlink", "--partner-id", "4650101"],
     "error: unlinking Partner ID 4650101: Azure answered 404 NotFound: The caller is not linked to partner "
     "4650101. — this identity is not linked to 4650101; `partnerscore pal show` names its link"),
    ("401", ["show"],
     "error: reading the Partner Admin Link: Azure answered 401 InvalidAuthenticationToken: The access token is "
     "invalid or was not issued for this tenant. — Azure rejected the access token; sign in to the customer's "
     "tenant (`az login --tenant TENANT`, or AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a "
     "service principal)"),
    ("400", ["link", "--partner-id", "4659999"],
     "error: linking Partner ID 4659999: Azure answered 400 BadRequest: We don't have a record for partner ID "
     "4659999. — check the Partner ID in Partner Center › Account settings › Identifiers (a location's ID)"),
    ("sign-in", ["show"],
     "error: could not sign in to Azure (EnvironmentCredential: Authentication failed: AADSTS7000215: Invalid "
     "client secret provided.); sign in to the customer's tenant"),
]


@pytest.mark.parametrize("status, args, said", ERROR_CASES, ids=[
    "Linking while already linked elsewhere (409) names the current link and how to remove it",
    "Unlinking a Partner ID the identity is not linked to (404) says how to see its link",
    "A token Azure rejects (401) says to sign in to the customer's tenant",
    "A Partner ID Azure has no record of (400) says where to find the right one",
    "A wrong client secret fails at sign-in with what Entra said",
])
def test_pal_azure_errors(arm: StandIn, tenant: Tenant, monkeypatch, ledger: Path, status, args, said):
    if status == "409":
        link_as_sp(tenant, "4650102")
    if status == "401":
        arm.reject_tokens = True
    if status == "sign-in":
        monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-the-secret")
    result = pal(*args, *(["--db", str(ledger)] if args[0] == "link" else []))
    assert result.exit_code == 1
    assert said in result.output
    if status == "409":
        assert tenant.links[SP]["properties"]["partnerId"] == "4650102"


# --- pal check: each role at each scope, judged by pal_roles --------------------------------------------------

CHECK_CASES = [
    ([(SUB, "Owner")], [SUB], [(SUB, "Owner", True, "'Owner' is in pal_roles.exact")]),
    ([(SUB, "Contributor")], [SUB], [(SUB, "Contributor", True, "'Contributor' is in pal_roles.exact")]),
    ([(SUB, "Reader")], [SUB],
     [(SUB, "Reader", False, "'Reader' is not in pal_roles.exact and ends with none of pal_roles.suffix")]),
    ([(f"{SUB}/resourceGroups/rg-web", "Contoso Web Contributor")], [SUB],
     [(f"{SUB}/resourceGroups/rg-web", "Contoso Web Contributor", True, "ends with 'Contributor' (pal_roles.suffix)")]),
    ([(SUB, "Reader"), (f"{SUB}/resourceGroups/rg-web", "Contributor")], [SUB],
     [(SUB, "Reader", False, "not in pal_roles.exact"),
      (f"{SUB}/resourceGroups/rg-web", "Contributor", True, "in pal_roles.exact")]),
    ([(SUB, "Owner"), (f"{SUB}/resourceGroups/rg-web", "Reader"), (f"{SUB}/resourceGroups/rg-db", "Contributor")],
     [f"{SUB}/resourceGroups/rg-web"],
     [(SUB, "Owner", True, "in pal_roles.exact"), (f"{SUB}/resourceGroups/rg-web", "Reader", False, "not in")]),
    ([(SUB, "Monitoring Reader"), (SUB, "Storage Account Contributor")], [SUB],
     [(SUB, "Monitoring Reader", False, "not in pal_roles.exact"),
      (SUB, "Storage Account Contributor", True, "ends with 'Contributor'")]),
    ([(SUB, "Owner")], [SUB, OTHER_SUB],
     [(OTHER_SUB, None, False, "Azure answered 403 AuthorizationFailed: the identity may not even read role "
                               "assignments here, so it holds no role PAL could credit; ask the customer "
                               "for an eligible role here"),
      (SUB, "Owner", True, "in pal_roles.exact")]),
]


@pytest.mark.parametrize("assignments, scopes, expected", CHECK_CASES, ids=[
    "An Owner at the subscription earns PAL recognition (pal_roles.exact)",
    "A Contributor at the subscription earns PAL recognition (pal_roles.exact)",
    "A Reader at the subscription earns nothing: the role is not in pal_roles",
    "A custom '… Contributor' role at a resource group earns recognition there by pal_roles.suffix",
    "A Reader at the subscription with a Contributor at one resource group earns at the resource group only",
    "Checking a resource group lists the roles that apply there: the subscription's Owner and the group's Reader",
    "A built-in read-only role earns nothing while a built-in '… Contributor' role earns recognition",
    "A subscription where the identity holds no role is reported as earning nothing, beside the others",
])
def test_pal_check_roles(arm: StandIn, tenant: Tenant, tmp_path, assignments, scopes, expected):
    tenant.assignments.clear()
    for scope, role in assignments:
        tenant.assign(scope, role, SP)
    link_as_sp(tenant, "4650101")
    args = [a for s in scopes for a in ("--scope", s)]
    result = pal("check", *args, "--db", str(tmp_path / "none.duckdb"), "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    got = [(f["scope"], f["role"], f["recognised"]) for f in doc["scopes"]]
    assert got == [(scope, role, recognised) for scope, role, recognised, _ in expected]
    for finding, (*_, reason) in zip(doc["scopes"], expected):
        assert reason in finding["reason"]
    assert doc["rule"].startswith("pal_roles in partnerscore/rules/associations/2022-10-03.yaml (source R4")
    assert arm.sent("PUT") == [] and arm.sent("DELETE") == []


def test_pal_check_an_eligible_role_earns_nothing_until_the_identity_is_linked(arm: StandIn, tmp_path):
    result = pal("check", "--subscription", SUB.split("/")[-1], "--db", str(tmp_path / "none.duckdb"),
                 "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "not linked to any Partner ID" in result.output
    assert "eligible, not linked" in result.output
    assert "no scope earns recognition until the identity is linked" in result.output


def test_pal_check_compares_the_ledgers_pal_rows_with_what_azure_shows(arm: StandIn, tenant: Tenant, ledger: Path):
    """Without --subscription the ledger's PAL rows held by this identity name the subscriptions to check;
    the ledger's PAL with role Reader is not eligible, and Azure shows the same Reader today."""
    link_as_sp(tenant, "4650101")
    result = pal("check", "--db", str(ledger), "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["partner_id"] == "4650101"
    checked = {f["scope"].split("/resourceGroups")[0] for f in doc["scopes"]}
    assert checked == {SUB, "/subscriptions/9d8e7f6a-5b4c-4d3e-8f21-0a1b2c3d4e02"}
    ledger_rows = {r["association_id"]: (r["rbac_role"], r["eligible"], r["azure_now"]) for r in doc["ledger"]}
    assert ledger_rows == {
        "PAL-1": ("Owner", True, "Owner (subscription)"),
        "PAL-2": ("Reader", False, "Reader (subscription), Contoso Data Platform Contributor (resource group), "
                                   "Monitoring Reader (resource group)"),
        "PAL-3": ("Contributor", True, "another tenant: not checked"),
    }


def test_pal_check_without_a_scope_or_a_ledger_row_says_what_to_name(arm: StandIn, tmp_path):
    result = pal("check", "--db", str(tmp_path / "none.duckdb"))
    assert result.exit_code == 1
    assert "error: no scope to check: name one with --subscription ID or --scope /subscriptions/ID/…" in result.output


def test_pal_without_the_azure_extra_says_how_to_install_it(monkeypatch):
    import sys

    monkeypatch.delitem(sys.modules, "partnerscore.pal.client", raising=False)
    monkeypatch.setitem(sys.modules, "azure.identity", None)
    result = pal("show")
    assert result.exit_code == 1
    assert "error: pal needs the Azure SDKs (azure.identity is missing): pip install 'partnerscore[azure]'" \
        in result.output
