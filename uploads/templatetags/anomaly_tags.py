"""Showing raw values as they are: whitespace made visible."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

_SIGNS = {" ": ("·", "space"), "\t": ("→", "tab"), "\r": ("␍", "carriage return"), "\u00a0": ("⍽", "no-break space")}
_EDGES = re.compile(r"^(\s*)(.*?)(\s*)$", re.DOTALL)
_BREAKS = re.compile(r"([,;|])")


def _signs(text: str) -> str:
    return "".join(
        f'<span class="ws" title="{_SIGNS[c][1]}">{_SIGNS[c][0]}</span>' if c in _SIGNS else escape(c) for c in text
    )


@register.filter
def visible_whitespace(value) -> str:
    """Every space, tab and carriage return shown as a sign (the source-line view)."""
    return mark_safe(_signs("" if value is None else str(value)))


@register.filter
def visible_edges(value) -> str:
    """Only the whitespace around a value shown as signs: the value stays readable (anomaly lists)."""
    lead, middle, trail = _EDGES.match("" if value is None else str(value)).groups()
    # a raw line may break after its delimiters, never inside a word
    parts = _BREAKS.split(middle)
    middle = "".join(escape(part) + ("<wbr>" if position % 2 else "") for position, part in enumerate(parts))
    return mark_safe(_signs(lead) + middle + _signs(trail))
