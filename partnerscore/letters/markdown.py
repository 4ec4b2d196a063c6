"""Render a letter's value (`gather`, `cpor`) as Markdown through its Jinja2 template.

Templates live in `letters/templates/<kind>.md.j2`; the portal and command-line steps they print come
from `letters/steps.yaml` (Microsoft's wording, with sources), never from the templates themselves.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined

KINDS = ("dpor", "pal", "cpor")
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]|<>#])")


@cache
def steps() -> dict:
    """The sourced steps (`letters/steps.yaml`)."""
    return yaml.safe_load(resources.files("partnerscore.letters").joinpath("steps.yaml").read_text())


def _number(value) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


@cache
def environment() -> Environment:
    """The Jinja2 environment of the letter templates (undefined names are errors, not blanks)."""
    env = Environment(loader=PackageLoader("partnerscore.letters", "templates"), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False)
    env.filters.update(
        md=lambda text: _MARKDOWN_SPECIALS.sub(r"\\\1", str(text)),
        fill=lambda text, **values: str(text).format(**values),
        quote=lambda text: f"“{text}”",
        sentence=lambda text: str(text)[:1].upper() + str(text)[1:],
        code=lambda text: f"`{text}`",
        number=_number,
        percent=lambda ratio: f"{ratio:+.0%}",
    )
    return env


def _sources(kind: str) -> dict:
    """The sources a letter cites: the steps' sources, and for a claim packet the checklist's."""
    if kind == "cpor":
        from partnerscore.letters.poe_check import load_checklist

        return load_checklist().sources
    return {key: value for key, value in steps()["sources"].items() if kind == "pal" or key == "PC-LINK"}


def render_markdown(kind: str, doc) -> str:
    """The letter `kind` (dpor, pal or cpor) for the value `doc`, as Markdown."""
    template = environment().get_template(f"{kind}.md.j2")
    text = template.render(doc=doc, steps=steps(), sources=_sources(kind))
    return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"
