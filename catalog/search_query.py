"""The search's query side: the typed text folded as the build folds what it indexes (plain Python:
`unicodedata`, `re`), then the index read by `_id`, a few documents per query (see
`catalog.search_index` for the index's layout). numpy does the postings arithmetic; pandas, the
build's, is never imported here, so the web process stays without it.
"""

import bisect
import re
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import orjson

# Sizes keep every document far below MongoDB's 16 MB: 65,536 postings are 256 KB before deflating.
POSTINGS_CHUNK = 1 << 16
ROWS_CHUNK = 100
# Words shorter than this match whole words only: a one-letter prefix would match nearly everything.
PREFIX_MIN = 2
QUERYWORDS_MAX = 8
VALUE_MARK = "\x01"  # sorts before every word, so no prefix of a word reaches a whole value
PHRASE_MARK = "\x02"

WORD = re.compile(r"[^\W_]+")
# The combining marks an accent leaves after NFKD (`é` → `e` + U+0301): dropped.
MARKS = r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
SPACES = r"\s+"
_MARKS = re.compile(MARKS)
_SPACES = re.compile(SPACES)


def search_fold(text: str) -> str:
    """Accents removed (NFKD, then the combining marks dropped) and case folded: `Zürich` → `zurich`.
    The build folds every indexed value the same way with pandas (`catalog.search_index.values_fold`;
    tests/catalog/test_search_fold.py holds the two equal)."""
    if text.isascii():
        return text.lower()  # all ASCII needs; the rest goes the long way
    return _MARKS.sub("", unicodedata.normalize("NFKD", text)).casefold()


def value_key(folded: str) -> str:
    """A folded value as indexed whole: spaces collapsed (no line break inside a vocabulary block)."""
    return _SPACES.sub(" ", folded).strip()


def search_value_key(text: str) -> str:
    return value_key(search_fold(text))


def search_words(text: str) -> list[str]:
    """The folded words of a text, in order, each once: `Zürich_Re 1Y` gives `zurich`, `re`, `1y`."""
    return list(dict.fromkeys(WORD.findall(search_fold(text))))


def sorted_unique(values: np.ndarray) -> np.ndarray:
    # A sort and a comparison of neighbours: several times faster than np.unique's hashing here.
    values = np.sort(values)
    if values.size == 0:
        return values
    return values[np.concatenate([[True], values[1:] != values[:-1]])]


def postings_pack(chunk: np.ndarray) -> bytes:
    """Differences between neighbours (small within a word's sorted run), deflated: a chunk of a
    frequent word shrinks several times, and reading bytes is what a query pays for."""
    return zlib.compress(np.diff(chunk, prepend=np.int32(0)).astype("<i4").tobytes(), 1)


# ---- reading: `fetch(kind, path)` returns a node dict or None --------------------------------


@dataclass(frozen=True)
class SearchMatches:
    """Positions of the matching entities within each kind, best first, and the query words used."""

    datapoints: np.ndarray
    columns: np.ndarray
    words: list[str]


def _word_bound(fetch: Callable, directory: list[str], word: str) -> int:
    """Position in the postings of the first vocabulary word ≥ `word`."""
    block = max(0, bisect.bisect_right(directory, word) - 1)
    node = fetch("search_words", [str(block)])
    offsets = np.frombuffer(node["data"], dtype="<i8")
    at = bisect.bisect_left(node["items"][0]["words"].split("\n"), word)
    return int(offsets[at])


def _postings_unpack(data: bytes) -> np.ndarray:
    return np.cumsum(np.frombuffer(zlib.decompress(data), dtype="<i4"), dtype=np.int64)


def _postings(fetch: Callable, start: int, end: int) -> np.ndarray:
    parts = []
    for number in range(start // POSTINGS_CHUNK, (end - 1) // POSTINGS_CHUNK + 1):
        chunk = _postings_unpack(fetch("search_postings", [str(number)])["data"])
        low = max(start - number * POSTINGS_CHUNK, 0)
        parts.append(chunk[low : end - number * POSTINGS_CHUNK])
    return np.concatenate(parts)


def _entities_between(fetch: Callable, directory: list[str], low: str, high: str) -> np.ndarray:
    """The entities of the vocabulary words in [low, high), sorted, each once."""
    start = _word_bound(fetch, directory, low)
    end = _word_bound(fetch, directory, high)
    if end <= start:
        return np.zeros(0, dtype=np.int64)
    return sorted_unique(_postings(fetch, start, end))  # several words of one prefix may hold one entity


def _entities_for_word(fetch: Callable, directory: list[str], word: str) -> np.ndarray:
    # Every word that starts with `word` sorts in [word, word + U+10FFFF): one slice of the postings.
    upper = word + "\U0010ffff" if len(word) >= PREFIX_MIN else word + "\x00"
    return _entities_between(fetch, directory, word, upper)


def _entities_exactly(fetch: Callable, directory: list[str], word: str) -> np.ndarray:
    return _entities_between(fetch, directory, word, word + "\x00")


def _ranked(fetch: Callable, directory: list[str], query: str, words: list[str], found: np.ndarray) -> np.ndarray:
    """`found` in tiers (see the module docstring), each tier in entity order."""
    if found.size == 0:
        return found
    typed, spaced = search_value_key(query), " ".join(words)
    tiers = []
    for key in dict.fromkeys((typed, spaced)):
        if key:
            tiers.append(_entities_exactly(fetch, directory, VALUE_MARK + key))
    if len(words) > 1:
        phrase = None
        for pair in zip(words, words[1:]):
            entities = _entities_exactly(fetch, directory, PHRASE_MARK + " ".join(pair))
            phrase = entities if phrase is None else np.intersect1d(phrase, entities, assume_unique=True)
        tiers.append(phrase)
    whole = None
    for word in words:
        entities = _entities_exactly(fetch, directory, word)
        whole = entities if whole is None else np.intersect1d(whole, entities, assume_unique=True)
    tiers.append(whole)
    rank = np.full(found.size, len(tiers), dtype=np.int8)
    for number, tier in reversed(list(enumerate(tiers))):
        rank[np.isin(found, tier, assume_unique=True)] = number
    return found[np.argsort(rank, kind="stable")]


def _cached(fetch: Callable) -> Callable:
    nodes: dict[tuple, dict | None] = {}

    def cached(kind: str, path: list) -> dict | None:
        key = (kind, *path)
        if key not in nodes:
            nodes[key] = fetch(kind, path)
        return nodes[key]

    return cached


def search_match(*, fetch: Callable, query: str) -> SearchMatches:
    """The entities holding every word of the query (each word as a prefix), best first."""
    words = search_words(query)[:QUERYWORDS_MAX]
    fetch = _cached(fetch)  # both bounds of a word usually sit in one block
    root = fetch("search", [])
    if root is None or not words:
        return SearchMatches(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), words)
    directory = root["words"]
    found: np.ndarray | None = None
    if directory:
        # the rarest-looking (longest) words first, so the intersection shrinks quickly
        for word in sorted(words, key=len, reverse=True):
            entities = _entities_for_word(fetch, directory, word)
            found = entities if found is None else np.intersect1d(found, entities, assume_unique=True)
            if found.size == 0:
                break
    if found is None:
        found = np.zeros(0, dtype=np.int64)
    else:
        found = _ranked(fetch, directory, query, words, found)
    n_datapoints = root["items"][0]["datapoints"]
    is_datapoint = found < n_datapoints
    return SearchMatches(found[is_datapoint], found[~is_datapoint] - n_datapoints, words)


def search_rows(*, fetch: Callable, kind: str, positions: np.ndarray) -> list[dict]:
    """The shown fields of some entities of one kind (numbered from 0 within the kind), reading
    each chunk once; missing values left out."""
    rows, chunks = [], {}
    for position in (int(p) for p in positions):
        number, at = divmod(position, ROWS_CHUNK)
        if number not in chunks:
            node = fetch("search_rows", [kind, str(number)])
            if node is None:
                raise LookupError(f"search {kind} {position} is missing from the index")
            chunks[number] = orjson.loads(node["data"])
        columns = chunks[number]
        rows.append({field: values[at] for field, values in columns.items() if values[at] is not None})
    return rows
