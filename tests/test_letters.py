"""Evidence documents (`partnerscore letter dpor|pal|cpor`) and `partnerscore poe-check`, run through the CLI
on a small ledger built here and on the demo database; PDFs are opened with poppler (pdftoppm, pdftotext).
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pytest
from PIL import Image
from typer.testing import CliRunner

from partnerscore.cli.app import app
from partnerscore.rules.load import rules_at

runner = CliRunner()
AS_OF = "2026-10-31"
T1 = "11111111-1111-4111-8111-111111111111"
T2 = "22222222-2222-4222-8222-222222222222"
needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils (.ci/run installs it)")

TINY = {
    "partners": [{"partner_id": "4711001", "name": "Contoso MSP", "role": "services"},
                 {"partner_id": "4711002", "name": "Northwind Partners", "role": "services"}],
    "customers": [{"tenant_id": T1, "name": "Alpine Ski House", "segment": "smb"},
                  {"tenant_id": T2, "name": "Ōsaka Kōgyō KK", "segment": "enterprise"}],
    "subscriptions": [
        {"subscription_id": "sub-ea", "tenant_id": T1, "program": "EA", "cloud": "azure", "start_date": "2024-01-01"},
        {"subscription_id": "sub-mca", "tenant_id": T1, "program": "MCA_E", "cloud": "azure", "start_date": "2024-01-01"},
        {"subscription_id": "sub-csp", "tenant_id": T1, "program": "CSP", "cloud": "azure", "start_date": "2024-01-01"},
        {"subscription_id": "sub-old", "tenant_id": T1, "program": "EA", "cloud": "azure", "start_date": "2023-01-01",
         "end_date": "2025-06-30"},
        {"subscription_id": "sub-m365", "tenant_id": T1, "program": "MCA_E", "cloud": "m365", "start_date": "2024-01-01"},
        {"subscription_id": "sub-jp", "tenant_id": T2, "program": "EA", "cloud": "azure", "start_date": "2024-01-01"},
    ],
    "associations": [
        {"association_id": "A1", "partner_id": "4711002", "type": "DPOR", "tenant_id": T1, "subscription_id": "sub-ea",
         "start_date": "2025-01-01"},
        {"association_id": "A2", "partner_id": "4711001", "type": "PAL", "tenant_id": T1, "subscription_id": "sub-mca",
         "rbac_role": "Reader", "principal_id": "sp-reader", "principal_type": "service_principal",
         "start_date": "2025-03-01"},
        {"association_id": "A3", "partner_id": "4711001", "type": "PAL", "tenant_id": T1, "subscription_id": "sub-ea",
         "rbac_role": "Contributor", "principal_id": "ops@contoso.example", "principal_type": "user",
         "start_date": "2025-03-01"},
        {"association_id": "A4", "partner_id": "4711001", "type": "CPOR_OSU", "tenant_id": T1, "workload": "Exchange",
         "start_date": "2026-04-10"},
        # Northwind sold T2 its Enterprise Agreement (TPOR): T2 is its customer, none of 4711001's.
        {"association_id": "A5", "partner_id": "4711002", "type": "TPOR", "tenant_id": T2, "subscription_id": "sub-jp",
         "start_date": "2024-01-01"},
    ],
    "usage": [{"month": f"2026-{m:02d}", "tenant_id": T1, "subscription_id": "sub-m365", "workload": "Exchange Online",
               "paid_units": 500, "active_units": 40 * m} for m in range(1, 11)]
            + [{"month": "2026-05", "tenant_id": T1, "subscription_id": "sub-mca", "workload": "Virtual Machines",
                "acr_usd": "1250.50"}],
}


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory) -> Path:
    """A two-partner ledger with a DPOR held by another partner, an ineligible PAL role and a recent CPOR."""
    from partnerscore.ingest.importer import import_dataset

    folder = tmp_path_factory.mktemp("tiny") / "data"
    folder.mkdir()
    for table, rows in TINY.items():
        columns = sorted({c for row in rows for c in row})
        with (folder / f"{table}.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    db = folder.parent / "tiny.duckdb"
    import_dataset(folder, db)
    return db


def run(*args) -> object:
    return runner.invoke(app, [str(a) for a in args])


def letter(db: Path, out: Path, kind: str, *args) -> str:
    """Run `letter KIND` into `out`; returns the Markdown it wrote."""
    result = run("letter", kind, *args, "--db", db, "--as-of", AS_OF, "--out", out / kind)
    assert result.exit_code == 0, result.output
    return (out / f"{kind}.md").read_text(encoding="utf-8")


LETTER_CASES = [
    ("dpor", ["4711001", T1],
     ["`sub-ea`", "`sub-mca`", f"`{T1}`", "enter the PartnerID `4711001`",
      "Northwind Partners (4711002), since 2025-01-01", "Validate ID", "PC-LINK"],
     ["sub-csp", "sub-m365", "sub-old"]),
    ("dpor", ["4711001", T1, "--location-id", "4799999", "-s", "sub-mca"],
     ["enter the PartnerID `4799999`", "`sub-mca` | MCA_E | none"], ["4711001", "sub-ea"]),
    ("pal", ["4711001", T1],
     ["az managementpartner create --partner-id 4711001", f"az login --tenant {T1}", "Associated Partner ID",
      "PAL role 'Reader' is not eligible", "`ops@contoso.example` | user | Contributor", "AZ-PAL"],
     ["sub-m365", "sub-old"]),
    ("pal", ["4711001", T1, "--audience", "customer", "--principal", "sp-reader"],
     ["Give `sp-reader` one of the roles", "**Guest user**", "**Service principal**"],
     ["az managementpartner create"]),
    ("cpor", ["4711001", T1],
     ["## Exchange Online", "CPOR_OSU A4, from 2026-04-10", "**Activity date:** 2026-04-10",
      f"**Customer tenant ID:** `{T1}`", "| 2026-04 (activity) | 160 | 500 |", "| 2026-07 | 280 | 500 |",
      "Monthly active users (MAU): 80 on average before, 280 in the latest month after (+250%).",
      "**Claim window:** 2025-10-31 – 2026-10-31", "- [ ] The customer's sign-off"],
     ["2026-08", "Exchange\n"]),
    ("cpor", ["4711001", T1, "-w", "virtual machines", "--activity", "2026-05-20"],
     ["## Virtual Machines", "none yet: this claim creates it", "`sub-mca`",
      "| 2026-05 (activity) | 1,250.50 |"], ["## Exchange Online"]),
]


@pytest.mark.parametrize("kind, args, present, absent", LETTER_CASES, ids=[
    "A DPOR request names every active Azure subscription outside CSP, with the tenant id and the location PartnerID",
    "A DPOR request for one subscription uses the partner location's PartnerID in every step",
    "The engineer's PAL sheet gives the az command, the tenant to sign in to, and flags a role that earns nothing",
    "The customer's PAL sheet asks for access for the named identity and gives no command",
    "A CPOR packet names the workload as the program spells it and shows usage before and after the activity",
    "A CPOR packet for a workload without an association dates the activity given and sums its subscriptions' usage",
])
def test_letter_holds_what_the_program_needs(tiny_db, tmp_path, kind, args, present, absent):
    text = letter(tiny_db, tmp_path, kind, *args)
    for snippet in present:
        assert snippet in text, snippet
    for snippet in absent:
        assert snippet not in text, snippet
    assert (tmp_path / f"{kind}.pdf").read_bytes().startswith(b"%PDF")


def test_pal_sheet_lists_every_eligible_role_of_the_rule_in_force(tiny_db, tmp_path):
    text = letter(tiny_db, tmp_path, "pal", "4711001", T1)
    roles = rules_at(date.fromisoformat(AS_OF)).associations.pal_roles
    for role in roles["exact"]:
        assert role in text
    for suffix in roles["suffix"]:
        assert f"“{suffix}”" in text


ERROR_CASES = [
    (["letter", "dpor", "4719999", T1], "unknown partner '4719999'"),
    (["letter", "pal", "4711001", "33333333-3333-4333-8333-333333333333"], "unknown tenant '33333333-"),
    (["letter", "dpor", "4711001", T1, "-s", "sub-csp"], "is on CSP: a DPOR there does not count"),
    (["letter", "dpor", "4711001", T1, "-s", "sub-jp"], "unknown subscription 'sub-jp'"),
    (["letter", "dpor", "4711001", T1, "-s", "sub-m365"], "is a m365 subscription"),
    (["letter", "cpor", "4711001", T1, "-w", "Exchnge Onlin"], "unknown workload 'Exchnge Onlin' (did you mean Exchange Online"),
    (["letter", "cpor", "4711001", T1, "--activity", "2025-06-01"], "outside the claim window 2025-10-31 – 2026-10-31"),
    (["letter", "cpor", "4711002", T1], "holds no CPOR association for a workload"),
    (["letter", "pal", "4711001", T1, "--audience", "board"], "unknown audience 'board'"),
    (["letter", "dpor", "4711001", T2], f"tenant {T2} is not a customer of partner 4711001"),
    (["letter", "pal", "4711001", T2], f"tenant {T2} is not a customer of partner 4711001"),
    (["letter", "cpor", "4711001", T2, "-w", "Exchange"], f"tenant {T2} is not a customer of partner 4711001"),
]


@pytest.mark.parametrize("args, message", ERROR_CASES, ids=[
    "An unknown partner is a clear error",
    "An unknown tenant is a clear error",
    "A DPOR on a CSP subscription does not count, so no letter asks for one",
    "A subscription of another tenant is refused",
    "The DPOR letter's portal steps are for Azure subscriptions only",
    "A workload the program's lists do not spell is refused with the closest spelling",
    "An activity older than 12 months is refused: reviewers reject old dates",
    "A partner without a CPOR association must name the workloads it claims",
    "A PAL sheet is for an engineer or a customer",
    "A DPOR request is for one of the partner's customers, not a tenant it holds no association on",
    "A PAL sheet is for one of the partner's customers",
    "A CPOR packet is for one of the partner's customers",
])
def test_letter_error_is_one_line_and_writes_nothing(tiny_db, tmp_path, args, message):
    result = run(*args, "--db", tiny_db, "--as-of", AS_OF, "--out", tmp_path / "letter")
    assert result.exit_code == 1
    assert message in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt, written", [("md", ["x.md"]), ("pdf", ["x.pdf"]), (None, ["x.md", "x.pdf"])],
                         ids=["--format md writes the Markdown only", "--format pdf writes the PDF only",
                              "Without --format both are written next to each other"])
def test_letter_formats(tiny_db, tmp_path, fmt, written):
    result = run("letter", "dpor", "4711001", T1, "--db", tiny_db, "--as-of", AS_OF, "--out", tmp_path / "x.md",
                 *(["--format", fmt] if fmt else []))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == written


def pdf_pages(pdf: Path) -> list[Path]:
    """Every page of the PDF rendered by pdftoppm as a PNG."""
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(pdf.with_suffix(""))], check=True)
    return sorted(pdf.parent.glob(f"{pdf.stem}-*.png"))


def dark_pixels(png: Path) -> int:
    return sum(Image.open(png).convert("L").histogram()[:128])


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


@needs_poppler
@pytest.mark.parametrize("kind, args, expected", [
    ("dpor", ["4711002", T2], [T2, "Ōsaka Kōgyō KK", "sub-jp"]),
    ("pal", ["4711001", T1], [T1, "az managementpartner create --partner-id 4711001"]),
    ("cpor", ["4711001", T1], [T1, "Exchange Online", "Alpine Ski House"]),
], ids=["The DPOR request's PDF prints a customer name outside Latin-1",
        "The PAL sheet's PDF holds the command to run",
        "The CPOR packet's PDF holds the tenant and the workload"])
def test_letter_pdf_pages_render(tiny_db, tmp_path, kind, args, expected):
    letter(tiny_db, tmp_path, kind, *args)
    pages = pdf_pages(tmp_path / f"{kind}.pdf")
    assert pages and all(dark_pixels(page) > 500 for page in pages)
    text = pdf_text(tmp_path / f"{kind}.pdf")
    for snippet in expected:
        assert snippet in text, snippet


def demo_cases(db: Path) -> list[tuple[str, str, str]]:
    """A (kind, partner, tenant) the demo ledger can write each letter for."""
    with duckdb.connect(str(db), read_only=True) as con:
        def first(sql: str) -> tuple:
            return con.execute(sql).fetchall()[0]

        dpor = first("""SELECT a.partner_id, s.tenant_id FROM subscriptions s JOIN associations a USING (tenant_id)
                        WHERE cloud = 'azure' AND program = 'EA' AND s.end_date IS NULL
                        AND NOT EXISTS (SELECT 1 FROM associations d WHERE d.subscription_id = s.subscription_id
                                        AND d.type = 'DPOR') ORDER BY s.tenant_id, a.partner_id""")
        pal = first("SELECT partner_id, tenant_id FROM associations WHERE type = 'PAL' AND end_date IS NULL "
                    "ORDER BY association_id")
        cpor = first(f"""SELECT partner_id, tenant_id FROM associations WHERE type = 'CPOR_OSU' AND end_date IS NULL
                         AND start_date BETWEEN DATE '{AS_OF}' - INTERVAL 11 MONTH AND DATE '{AS_OF}'
                         ORDER BY association_id""")
    return [("dpor", *dpor), ("pal", *pal), ("cpor", *cpor)]


@needs_poppler
def test_every_letter_renders_on_the_demo_ledger(demo_db, tmp_path):
    for kind, partner, tenant in demo_cases(demo_db):
        letter(demo_db, tmp_path, kind, partner, tenant)
        pages = pdf_pages(tmp_path / f"{kind}.pdf")
        assert pages and all(dark_pixels(page) > 500 for page in pages), kind
        assert tenant in pdf_text(tmp_path / f"{kind}.pdf"), kind


GOOD_DRAFT = [
    "Proof of execution",
    "Partner name: Contoso MSP (PartnerID 4711001)",
    "Customer name: Alpine Ski House",
    f"Customer tenant ID: {T1}",
    "Customer domain: alpineskihouse.onmicrosoft.com",
    "Work performed:",
    "2026-04-10: Migrated 420 mailboxes to Exchange Online and configured retention policies.",
    "Outcome: 380 active users on Exchange Online in July, up from 40.",
    "Signed by: Dana Fischer, IT Director, 2026-05-02",
]


def without(*starts: str) -> list[str]:
    return [line for line in GOOD_DRAFT if not line.startswith(starts)]


def replaced(old: str, new: str) -> list[str]:
    return [line.replace(old, new) for line in GOOD_DRAFT]


def write_draft(lines: list[str], path: Path) -> Path:
    """The draft as Markdown, Word (customer details in a table) or PDF, made here with the libraries."""
    if path.suffix == ".md":
        path.write_text("\n\n".join(lines), encoding="utf-8")
    elif path.suffix == ".docx":
        import docx

        document = docx.Document()
        table = document.add_table(rows=0, cols=2)
        for line in lines:
            if line.startswith(("Customer", "Partner")):
                label, value = line.split(": ", 1)
                cells = table.add_row().cells
                cells[0].text, cells[1].text = label, value
            else:
                document.add_paragraph(line)
        document.save(str(path))
    else:
        from fpdf import FPDF

        pdf = FPDF()
        pdf.add_page()
        pdf.set_font("helvetica", size=11)
        for line in lines:
            pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
        pdf.output(str(path))
    return path


DRAFTS = [
    (GOOD_DRAFT, []),
    (without("Signed by"), ["customer_signoff"]),
    (replaced("2026-", "2024-"), ["dated_in_window"]),
    (without("2026-04-10", "Outcome") + ["Sold 420 Exchange Online licences to the customer."], ["partner_activity"]),
    (replaced("Exchange Online", "the cloud"), ["workload_named", "partner_activity"]),
    (without("Customer tenant ID"), ["customer_tenant_id"]),
]
DRAFT_IDS = [
    "A signed, dated draft naming the tenant, the workload and the work done passes",
    "A draft without the customer's signature is rejected for missing customer acknowledgment",
    "A draft dated more than 12 months ago is rejected for old dates",
    "A draft that describes only the sale has no product connection",
    "A draft that names no workload misses the products and the product connection",
    "A draft without the tenant id cannot be tied to the claim",
]


@pytest.mark.parametrize("suffix", [".md", ".docx", ".pdf"], ids=["Markdown", "Word", "PDF"])
@pytest.mark.parametrize("lines, missing", DRAFTS, ids=DRAFT_IDS)
def test_poe_check_lists_what_reviewers_reject_for(tmp_path, suffix, lines, missing):
    draft = write_draft(lines, tmp_path / f"draft{suffix}")
    result = run("poe-check", draft, "--as-of", AS_OF, "--format", "json")
    findings = {f["id"]: f for f in json.loads(result.stdout)}
    assert sorted(i for i, f in findings.items() if f["missing"] and f["required"]) == sorted(missing)
    assert result.exit_code == (2 if missing else 0)
    for check in missing:
        assert findings[check]["why"] and findings[check]["fix"] and findings[check]["sources"]


@pytest.mark.parametrize("options, missing", [
    (["--tenant", T1, "--partner", "4711001", "-w", "Exchange"], []),
    (["--tenant", T2], ["customer_tenant_id", "customer_name"]),
    (["--partner", "4711002"], ["partner_name"]),
    (["-w", "Intune"], ["workload_named", "partner_activity"]),
], ids=["With the claim's tenant, partner and workload from the ledger the good draft passes",
        "A draft for another customer than the claim's misses its tenant id and name",
        "A draft that names another partner misses the claiming partner",
        "A claimed workload the draft neither names nor describes is missing"])
def test_poe_check_against_the_claim_in_the_ledger(tiny_db, tmp_path, options, missing):
    draft = write_draft(GOOD_DRAFT, tmp_path / "draft.md")
    result = run("poe-check", draft, *options, "--db", tiny_db, "--as-of", AS_OF, "-f", "json")
    found = sorted(f["id"] for f in json.loads(result.stdout) if f["missing"] and f["required"])
    assert found == sorted(missing)


@pytest.mark.parametrize("name, content, message", [
    ("draft.pdf", b"%PDF-1.7 this is not really a pdf", "not readable as a PDF file"),
    ("draft.docx", b"PK\x03\x04 broken zip", "not readable as a Word (.docx) file"),
    ("draft.odt", b"anything", "cannot read .odt"),
], ids=["A broken PDF is a clear error", "A broken Word file is a clear error",
        "A format it cannot read is named"])
def test_poe_check_unreadable_file_is_one_error_and_no_report(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    result = run("poe-check", tmp_path / name, "--as-of", AS_OF)
    assert result.exit_code == 1
    assert message in result.output
    assert "what reviewers look for" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_claim_packet_passes_poe_check_once_the_work_and_sign_off_are_filled_in(tiny_db, tmp_path):
    packet = letter(tiny_db, tmp_path, "cpor", "4711001", T1)
    result = run("poe-check", tmp_path / "cpor.md", "--tenant", T1, "--partner", "4711001", "--db", tiny_db,
                 "--as-of", AS_OF, "-f", "json")
    assert result.exit_code == 2
    assert sorted(f["id"] for f in json.loads(result.stdout) if f["missing"] and f["required"]) == [
        "customer_signoff", "partner_activity"]
    filled = packet.replace("Work performed on Exchange Online (one line per deliverable, with its date): ____",
                            "Work performed on Exchange Online: migrated 420 mailboxes to Exchange Online on 2026-04-10")
    filled = filled.replace("Signed by: ______________________", "Signed by: Dana Fischer")
    (tmp_path / "filled.md").write_text(filled, encoding="utf-8")
    result = run("poe-check", tmp_path / "filled.md", "--tenant", T1, "--partner", "4711001", "--db", tiny_db,
                 "--as-of", AS_OF)
    assert result.exit_code == 0, result.output


@needs_poppler
def test_pdf_without_dejavu_falls_back_to_latin1_core_fonts(tmp_path, monkeypatch):
    from partnerscore.letters import pdf

    monkeypatch.setattr(pdf, "DEJAVU", tmp_path / "no-fonts")
    (tmp_path / "x.pdf").write_bytes(pdf.render_pdf(f"# Ōsaka Kōgyō – claim\n\nTenant `{T2}`\n", "x"))
    text = pdf_text(tmp_path / "x.pdf")
    assert "?saka K?gy? - claim" in text and T2 in text


# --- what poe-check calls present is there -----------------------------------------------------------

FOUND_CASES = [
    ("A figure before the work and one after it is a measurable outcome", GOOD_DRAFT, "usage_outcome", False),
    ("A count after the work alone is no before-and-after outcome",
     replaced("Outcome: 380 active users on Exchange Online in July, up from 40.",
              "Outcome: 380 active users on Exchange Online in July."), "usage_outcome", True),
    ("A subscription ID is not the customer's tenant ID",
     without("Customer tenant ID") + ["Subscription ID: 33333333-3333-4333-8333-333333333333"],
     "customer_tenant_id", True),
    ("The dates of the claim window date no work",
     replaced("2026-", "2024-") + ["Claim window: 2025-10-31 – 2026-10-31"], "dated_in_window", True),
]


@pytest.mark.parametrize("lines, check, missing", [c[1:] for c in FOUND_CASES], ids=[c[0] for c in FOUND_CASES])
def test_poe_check_present_means_present(tmp_path, lines, check, missing):
    draft = write_draft(lines, tmp_path / "draft.md")
    result = run("poe-check", draft, "--as-of", AS_OF, "--format", "json")
    finding = next(f for f in json.loads(result.stdout) if f["id"] == check)
    assert finding["missing"] is missing, finding["detail"]


@pytest.mark.parametrize("activity, says, missing", [
    ("2026-10-05", "no month after the activity is reported yet: add the figure after the work once it is", True),
    ("2026-04-10", "80 on average before, 280 in the latest month after (+250%)", False),
], ids=["A packet for work of the last reported month says what to add, and poe-check finds no outcome",
        "A packet with months before and after the work shows the outcome, and poe-check finds it"])
def test_claim_packet_measurable_outcome(tiny_db, tmp_path, activity, says, missing):
    packet = letter(tiny_db, tmp_path, "cpor", "4711001", T1, "--activity", activity)
    assert says in packet
    result = run("poe-check", tmp_path / "cpor.md", "-w", "Exchange Online", "--as-of", AS_OF, "-f", "json")
    outcome = next(f for f in json.loads(result.stdout) if f["id"] == "usage_outcome")
    assert outcome["missing"] is missing, outcome["detail"]
    if missing:
        assert outcome["detail"] == "no figure before and after the work for Exchange Online"
        assert "a figure before the work and one after it" in outcome["fix"]
