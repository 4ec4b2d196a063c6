"""Render a letter's Markdown as PDF: markdown-it-py makes HTML, fpdf2 lays it out.

fpdf2's core fonts only hold Latin-1, so customer names in other scripts need a Unicode font: the
DejaVu fonts Debian installs (`fonts-dejavu-core`, pulled in by fontconfig) are used when present;
otherwise the text falls back to Helvetica with characters outside Latin-1 replaced.
"""

from __future__ import annotations

import re
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace, TextStyle
from markdown_it import MarkdownIt

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_FACES = {"DejaVu": {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf",
                      "BI": "DejaVuSans-BoldOblique.ttf"},
          "DejaVuMono": {"": "DejaVuSansMono.ttf", "B": "DejaVuSansMono-Bold.ttf",
                         "I": "DejaVuSansMono-Oblique.ttf", "BI": "DejaVuSansMono-BoldOblique.ttf"}}
_LATIN1 = str.maketrans({"–": "-", "—": "-", "→": "->", "“": '"', "”": '"', "‘": "'", "’": "'", "·": "|",
                         "…": "...", "≤": "<=", "≥": ">="})


_CELL = re.compile(r"(<(td|th)(?:\s[^>]*)?>)(.*?)(</\2>)", re.DOTALL)
_WHOLE = re.compile(r"^<(\w+)[^>]*>[^<]*</\1>$")
_TAG = re.compile(r"</?\w+[^>]*>")


def _flat_cells(html: str) -> str:
    """Table cells keep one wrapping tag at most: fpdf2 cannot lay out mixed inline tags in a cell."""
    def flatten(match: re.Match) -> str:
        content = match.group(3)
        if "<" in content and not _WHOLE.match(content):
            content = _TAG.sub("", content)
        return match.group(1) + content + match.group(4)
    return _CELL.sub(flatten, html)


def _fonts(pdf: FPDF) -> tuple[str, str] | None:
    """Register DejaVu (text, mono) if the system has it."""
    if not all((DEJAVU / name).is_file() for faces in _FACES.values() for name in faces.values()):
        return None
    for family, faces in _FACES.items():
        for style, name in faces.items():
            pdf.add_font(family, style, str(DEJAVU / name))
    return "DejaVu", "DejaVuMono"


def render_pdf(markdown: str, title: str) -> bytes:
    """The Markdown laid out on A4 pages, as PDF bytes."""
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("partnerscore")
    pdf.set_auto_page_break(auto=True, margin=15)
    fonts = _fonts(pdf)
    text, mono = fonts or ("helvetica", "courier")
    if fonts is None:
        markdown = markdown.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")
    html = _flat_cells(MarkdownIt("commonmark").enable("table").render(markdown))
    pdf.add_page()
    pdf.set_font(text, size=10)
    dark = (31, 56, 100)
    pdf.write_html(html, font_family=text, table_line_separators=True, li_prefix_color=dark, tag_styles={
        "h1": TextStyle(font_family=text, font_style="B", font_size_pt=16, color=dark, b_margin=3),
        "h2": TextStyle(font_family=text, font_style="B", font_size_pt=13, color=dark, t_margin=5, b_margin=2),
        "h3": TextStyle(font_family=text, font_style="B", font_size_pt=11, color=dark, t_margin=3, b_margin=1),
        "code": FontFace(family=mono),
        "pre": TextStyle(font_family=mono, font_size_pt=9),
        "a": FontFace(color=dark),
    })
    return bytes(pdf.output())
