"""Hints that turn a message into a fix: the closest allowed word, the file a header belongs to,
where the first undecodable byte is (the allowed words themselves: `contract.vocabularies`)."""

from collections.abc import Iterable

from rapidfuzz import fuzz, process

from contract import SCHEMAS

# Indel similarity in percent: `strnig`/`string` scores 83, `namespace_idd`/`namespace_id` 96,
# `maybe`/`yes` 50. Below the cutoff a suggestion would mislead more than help.
CLOSEST_CUTOFF = 70


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice nearest to `word` (case-insensitive), or None when none is near enough."""
    choices = list(choices)
    if not word or not choices:
        return None
    found = process.extractOne(
        word.strip().lower(), choices, scorer=fuzz.ratio, processor=str.lower, score_cutoff=CLOSEST_CUTOFF
    )
    return found[0] if found else None


def header_owner(header: Iterable[str], name: str) -> str | None:
    """The other file whose fields this header holds (at least half of them, and more than of `name`'s)."""
    cells = {cell.strip().lower() for cell in header}
    own = len(cells & set(SCHEMAS[name].fields))
    best, best_share = None, 0.0
    for other, schema in SCHEMAS.items():
        if other == name:
            continue
        matched = len(cells & set(schema.fields))
        share = matched / len(schema.required)
        if matched > own and len(cells & schema.required) * 2 >= len(schema.required) and share > best_share:
            best, best_share = other, share
    return best


def undecodable_line(data: bytes | memoryview) -> int | None:
    """The physical line (1-based) holding the first byte that is not UTF-8, or None."""
    data = bytes(data)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        # CRLF counts once, a lone CR or LF once each
        return 1 + before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n")
    return None
