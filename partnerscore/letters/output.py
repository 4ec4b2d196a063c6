"""Write a letter next to itself as Markdown and PDF, or as one of them.

Both documents are rendered before anything is written, so an error leaves no half-written pair.
"""

from __future__ import annotations

from pathlib import Path

from partnerscore.errors import PartnerscoreError
from partnerscore.letters.markdown import render_markdown
from partnerscore.letters.pdf import render_pdf

FORMATS = ("md", "pdf")


def output_paths(out: Path, formats: list[str]) -> dict[str, Path]:
    """Where each format goes: `out` with its suffix replaced (`letter.md` → letter.md, letter.pdf)."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise PartnerscoreError(f"unknown format {unknown[0]!r}; choose {' or '.join(FORMATS)}")
    if out.suffix.lower() in (".md", ".pdf"):
        out = out.with_suffix("")
    return {fmt: out.with_name(f"{out.name}.{fmt}") for fmt in formats}


def write_letter(kind: str, doc, out: Path, formats: list[str] | None = None, title: str | None = None) -> list[Path]:
    """Render the letter and write it in each format; returns the files written."""
    paths = output_paths(Path(out), list(formats or FORMATS))
    markdown = render_markdown(kind, doc)
    contents = {"md": markdown.encode("utf-8")}
    if "pdf" in paths:
        contents["pdf"] = render_pdf(markdown, title or f"{kind.upper()} letter")
    for fmt, path in paths.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(contents[fmt])
    return list(paths.values())
