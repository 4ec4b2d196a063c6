"""Check a draft proof of execution (PoE) against what CPOR reviewers reject claims for.

The checklist is data (`letters/poe_checklist.yaml`: each item's patterns, why reviewers reject
without it, the fix and Microsoft's sources); this module reads the draft's text (Markdown or plain
text, DOCX with python-docx, PDF with pypdf) and runs the five kinds of check the file describes.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

from partnerscore.engine.months import add_months, month_start
from partnerscore.errors import PartnerscoreError
from partnerscore.rules.names import workload_catalog


class Check(BaseModel):
    """One item of the checklist (see the file's header for the kinds)."""

    model_config = ConfigDict(extra="forbid")
    id: str
    label: str
    required: bool
    kind: Literal["text", "dates", "workloads", "activity", "outcome"]
    patterns: list[str] = []
    expect: list[str] = []
    ignore: list[str] = []
    why: str
    fix: str
    sources: list[str]


class DateFormat(BaseModel):
    """How dates are found (`pattern`) and read (`formats`, strptime)."""

    pattern: str
    formats: list[str]


class Checklist(BaseModel):
    """The PoE checklist with its sources."""

    model_config = ConfigDict(extra="forbid")
    sources: dict[str, dict]
    window_months: int
    dates: list[DateFormat]
    checks: list[Check]


@cache
def load_checklist() -> Checklist:
    """The packaged checklist (`letters/poe_checklist.yaml`)."""
    text = resources.files("partnerscore.letters").joinpath("poe_checklist.yaml").read_text()
    return Checklist.model_validate(yaml.safe_load(text))


def claim_window(day: date) -> tuple[date, date]:
    """The days a PoE's dates must fall in: from the same day `window_months` months earlier to `day`.

    >>> claim_window(date(2026, 2, 28))
    (datetime.date(2025, 2, 28), datetime.date(2026, 2, 28))
    """
    first = add_months(month_start(day), -load_checklist().window_months)
    return first.replace(day=min(day.day, calendar.monthrange(first.year, first.month)[1])), day


@dataclass(frozen=True)
class Finding:
    """The outcome of one check: `missing` with what exactly is missing, why it matters and the fix."""

    id: str
    label: str
    required: bool
    missing: bool
    detail: str
    why: str
    fix: str
    sources: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """The finding as a JSON-ready dict."""
        return dict(vars(self))


SUFFIXES = (".md", ".markdown", ".txt", ".docx", ".pdf")


def read_text(path: Path) -> str:
    """The text of a PoE draft: Markdown/plain text as is, DOCX paragraphs and table rows, PDF pages."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise PartnerscoreError(f"{path}: no such file")
    if suffix not in SUFFIXES:
        raise PartnerscoreError(f"{path}: cannot read {suffix or 'a file without extension'}; "
                                f"give the PoE as {', '.join(SUFFIXES)}")
    try:
        if suffix == ".docx":
            return _docx_text(path)
        if suffix == ".pdf":
            return _pdf_text(path)
        return path.read_text(encoding="utf-8")
    except PartnerscoreError:
        raise
    except Exception as exc:  # every reader has its own errors: a broken file is one message to the user
        kind = {".docx": "a Word (.docx)", ".pdf": "a PDF"}.get(suffix, "a UTF-8 text")
        raise PartnerscoreError(f"{path}: not readable as {kind} file ({type(exc).__name__}: {exc}); "
                                "export the draft again, or save it as Markdown") from exc


def _docx_text(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    return "\n".join(lines)


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() or "" for page in PdfReader(str(path), strict=True).pages)
    if not text.strip():
        raise PartnerscoreError(f"{path}: the PDF holds no text (a scanned image?); "
                                "submit a text PDF or the Markdown/Word original")
    return text


def _dates(text: str, formats: list[DateFormat]) -> list[date]:
    found = []
    for fmt in formats:
        for match in re.finditer(fmt.pattern, text):
            for pattern in fmt.formats:
                try:
                    found.append(datetime.strptime(match.group(0), pattern).date())
                    break
                except ValueError:
                    continue
    return found


def _names_in(text: str, names: list[str]) -> list[str]:
    return [n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text, re.IGNORECASE)]


def _catalog_names() -> dict[str, str]:
    """Every spelling of every catalogued workload → its canonical name."""
    spellings = {}
    for entry in workload_catalog().values():
        for name in [entry["name"], *entry.get("aliases", ())]:
            spellings[name] = entry["name"]
    return spellings


def _check(check: Check, text: str, context: dict, checklist: Checklist, window: tuple[date, date]) -> str | None:
    """None when the check passes, else what exactly is missing."""
    if check.kind == "text":
        expected = [str(context[k]) for k in check.expect if context.get(k)]
        if expected:
            return None if _names_in(text, expected) else f"{' or '.join(repr(e) for e in expected)} does not appear"
        ok = any(re.search(p, text, re.MULTILINE) for p in check.patterns)
        return None if ok else "not found"
    if check.kind == "dates":
        return _dated(_kept_lines(text, check.ignore), checklist, window)
    claimed = context.get("workloads") or []
    if check.kind == "workloads":
        spellings = _catalog_names()
        if claimed:
            absent = [w for w in claimed if not _names_in(text, [s for s, c in spellings.items() if c == w] or [w])]
            return f"not named: {', '.join(absent)}" if absent else None
        return None if _names_in(text, list(spellings)) else "no workload of the program's lists is named"
    if check.kind == "outcome":
        return _outcome(text, check, checklist, claimed)
    return _activity(text, check, claimed)


#: A figure of an outcome: a number or a percentage (dates are taken out of the line first).
FIGURE = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?%?")
#: What holds numbers that are no figures: dates the checklist's formats do not read (2026-04,
#: 10/10/2023), and addresses (a source's URL).
NOT_FIGURES = re.compile(r"\b\d{4}-\d{1,2}(?:-\d{1,2})?\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|https?://\S+")


def _figures(line: str, checklist: Checklist) -> list[str]:
    for fmt in checklist.dates:
        line = re.sub(fmt.pattern, " ", line)
    return FIGURE.findall(NOT_FIGURES.sub(" ", line))


def _outcome(text: str, check: Check, checklist: Checklist, claimed: list[str]) -> str | None:
    """None when a line gives a figure before the work and one after it: a word of `patterns` that says
    before and after ("before … after", "up from", "from … to", "→") and two figures; with claimed
    workloads, such a line for each, naming it or under a heading that names it."""
    markers = [re.compile(p) for p in check.patterns]
    spellings = _catalog_names()
    headings = {name.lower() for name in spellings}
    found, covered, heading = False, set(), set()
    for line in text.splitlines():
        named = {spellings[s] for s in _names_in(line, list(spellings))}
        if line.lstrip().startswith("#") or line.strip(" #*_").lower() in headings:
            heading = named
        if any(m.search(line) for m in markers) and len(_figures(line, checklist)) >= 2:
            found, covered = True, covered | named | heading
    if claimed:
        missing = [w for w in claimed if w not in covered]
        return f"no figure before and after the work for {', '.join(missing)}" if missing else None
    return None if found else "no line gives a figure before the work and one after it"


def _kept_lines(text: str, ignore: list[str]) -> str:
    """The text without the lines a check ignores (e.g. a packet's claim window, which dates no work)."""
    return "\n".join(line for line in text.splitlines() if not any(re.search(p, line) for p in ignore))


def _dated(text: str, checklist: Checklist, window: tuple[date, date]) -> str | None:
    dates = _dates(text, checklist.dates)
    if not dates:
        return "no date found"
    if not any(window[0] <= d <= window[1] for d in dates):
        return f"no date within {window[0]} – {window[1]}; latest found {max(dates)}"
    return None


def _activity(text: str, check: Check, claimed: list[str]) -> str | None:
    spellings = _catalog_names()
    verbs = [re.compile(p, re.IGNORECASE) for p in check.patterns]
    lines = [line for line in re.split(r"[\n.;]", text) if any(v.search(line) for v in verbs)]
    named = {spellings[s] for line in lines for s in _names_in(line, list(spellings))}
    wanted = set(claimed) or None
    if not named or (wanted and not wanted <= named):
        what = ", ".join(sorted(wanted - named)) if wanted else "any workload"
        return f"no line describes delivery work on {what}"
    return None


def check_poe(path: Path, day: date, *, context: dict | None = None) -> list[Finding]:
    """Every check of the checklist on the draft at `path`, as of `day` (the claim's submission day).

    `context` may give the values the draft must contain: `tenant_id`, `customer_name`,
    `partner_name`, `partner_id`, and `workloads` (canonical names).
    """
    checklist = load_checklist()
    text = read_text(path)
    window = claim_window(day)
    findings = []
    for check in checklist.checks:
        detail = _check(check, text, context or {}, checklist, window)
        findings.append(Finding(check.id, check.label, check.required, detail is not None, detail or "present",
                                check.why, check.fix, check.sources))
    return findings
