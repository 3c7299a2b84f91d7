"""The search index: an inverted index over data points and column rows, built once with numpy.

Words are folded (accents removed, case folded: `Zürich` → `zurich`) and cut at anything that
is not a letter or digit (`rixk_warehouse` → `rixk`, `warehouse`). Every entity (each data point,
then each column row in browse order) has a number; the index stores, for every distinct word in
sorted order, the sorted numbers of the entities holding it, all concatenated in one postings
array. A query word is a prefix, so its words form one contiguous run of the vocabulary and
therefore one contiguous slice of the postings: a query reads the directory, at most two
vocabulary blocks and the postings chunks of that slice, all by `_id` (the only lookup FerretDB's
SQLite backend indexes). Tokenising works on distinct values, never row by row. No Django import.

Ranking: besides its words, every distinct value of a short field (not a definition) is indexed
whole, as VALUE_MARK + its folded text with spaces collapsed (`equity-research`, `mr-003`,
`research`); an id only when it is more than one bare word (ids are unique: a million of them
would double the vocabulary, and the id's word already finds it). Matches then come in tiers, each in browse
order: a value equal to what was typed, a value equal to its words (`Equity Research` for
`equity-research`), the typed words next to each other in a name or owner (`asset management` in
`Zürich Asset Management`: each pair of neighbouring words of those fields is indexed as
PHRASE_MARK + the pair), every typed word as a whole word, then the prefixes. Each tier is one
more exact lookup of the same kind, so ranking costs a few reads, not a scan.
"""

import bisect
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import orjson
import pandas as pd

# Sizes keep every document far below MongoDB's 16 MB: 65,536 postings are 256 KB before deflating.
POSTINGS_CHUNK = 1 << 16
WORDS_BLOCK = 2_000
ROWS_CHUNK = 100
# Words shorter than this match whole words only: a one-letter prefix would match nearly everything.
PREFIX_MIN = 2
QUERY_WORDS_MAX = 8

DATAPOINT_SEARCHED = (
    "data_point_id",
    "data_point_name",
    "data_point_standard_name",
    "approved_abbreviations",
    "methodology_reference",
    "data_point_definition",
)
DATAPOINT_SHOWN = ("data_point_id", "data_point_name", "data_type")
COLUMN_SEARCHED = ("column_id", "namespace_id", "namespace_name", "database", "table", "column", "owner")
COLUMN_SHOWN = ("column_id", "namespace_id", "namespace_name", "database", "table", "column", "owner", "data_point_id")
# Prose and lists are never typed whole: their values are indexed by their words only.
NOT_WHOLE = frozenset({"data_point_definition", "approved_abbreviations"})
IDS = frozenset({"data_point_id", "column_id", "namespace_id"})
LISTS = frozenset({"approved_abbreviations"})
VALUE_MARK = "\x01"  # sorts before every word, so no prefix of a word reaches a whole value
PHRASE_MARK = "\x02"
# Names with few distinct values: their word pairs are few. Table and column names (up to one per
# row) and definitions (prose) would multiply the vocabulary.
PHRASES = frozenset({"data_point_name", "data_point_standard_name", "namespace_name", "owner", "database"})

_WORD = re.compile(r"[^\W_]+")
_MARKS = r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"


def search_fold(values: pd.Series) -> pd.Series:
    """Accents removed (NFKD, then the combining marks dropped) and case folded."""
    text = values.astype(str)
    ascii_only = text.map(str.isascii).to_numpy(dtype=bool)
    folded = text.str.lower()  # all ASCII needs; the rest goes the long way
    if not ascii_only.all():
        other = text[~ascii_only].str.normalize("NFKD").str.replace(_MARKS, "", regex=True).str.casefold()
        folded[~ascii_only] = other
    return folded


def _value_keys(folded: pd.Series) -> pd.Series:
    """A folded value as indexed whole: spaces collapsed (no line break inside a vocabulary block)."""
    return folded.str.replace(r"\s+", " ", regex=True).str.strip()


def search_value_key(text: str) -> str:
    return _value_keys(search_fold(pd.Series([text]))).iloc[0]


def search_words(text: str) -> list[str]:
    """The folded words of a text, in order, each once: `Zürich_Re 1Y` gives `zurich`, `re`, `1y`."""
    folded = search_fold(pd.Series([text])).iloc[0]
    return list(dict.fromkeys(_WORD.findall(folded)))


# Entity numbers stay below this (2**31 keeps them in int32 postings).
_ENTITY_SPAN = np.int64(1 << 31)


@dataclass
class _FieldWords:
    """One field tokenised: per row the number of its distinct value (-1 when blank), and the
    words of each distinct value (a Series indexed by that number)."""

    codes: np.ndarray
    entities: np.ndarray
    words: pd.Series


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    # A sort and a comparison of neighbours: several times faster than np.unique's hashing here.
    values = np.sort(values)
    if values.size == 0:
        return values
    return values[np.concatenate([[True], values[1:] != values[:-1]])]


def _field_words(values: pd.Series, entities: np.ndarray, *, field: str) -> _FieldWords:
    present = values.dropna()
    if field in LISTS and not present.empty:  # a list field (`approved_abbreviations`): the words of its items
        values = present.str.join(" ").reindex(values.index)
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    folded = search_fold(pd.Series(uniques, dtype=object))
    words = folded.str.findall(_WORD).explode().dropna()
    if field in PHRASES:
        following = words.groupby(level=0).shift(-1)
        paired = following.notna()
        words = pd.concat([words, PHRASE_MARK + words[paired] + " " + following[paired]])
    if field not in NOT_WHOLE:
        keys = _value_keys(folded)
        keys = keys[keys.ne("") & ~(keys.str.fullmatch(_WORD.pattern) if field in IDS else False)]
        words = pd.concat([words, VALUE_MARK + keys])
    # grouped by value again: `_field_pairs` reads each value's words as one run
    words = words.sort_index(kind="stable")
    # a word twice in one value gives the same (word, entity) pair twice: the build drops repeats
    return _FieldWords(codes=codes, entities=entities, words=words)


def _field_pairs(field: _FieldWords, vocabulary: pd.Index) -> np.ndarray:
    """(word number × _ENTITY_SPAN + entity) for every word of every row, spreading each distinct
    value's words over the rows that hold it with numpy."""
    if field.words.empty:
        return np.zeros(0, dtype=np.int64)
    word_numbers = vocabulary.get_indexer(field.words.to_numpy()).astype(np.int64)
    counts = np.bincount(field.words.index.to_numpy(dtype=np.int64), minlength=int(field.codes.max()) + 1)
    starts = np.cumsum(counts) - counts
    kept = field.codes >= 0
    codes, entities = field.codes[kept], field.entities[kept]
    per_row = counts[codes]
    row_starts = np.repeat(starts[codes], per_row)
    within = np.arange(int(per_row.sum())) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    return word_numbers[row_starts + within] * _ENTITY_SPAN + np.repeat(entities, per_row)


def _rows_nodes(make_node: Callable, kind: str, frame: pd.DataFrame, fields: tuple[str, ...]) -> Iterator[dict]:
    """The shown fields of one kind's entities, ROWS_CHUNK a node, as one JSON text of columns:
    the server stores one value per node instead of one per cell, several times faster to write."""
    lists = {field: frame[field].astype(object).where(frame[field].notna(), None).tolist() for field in fields}
    for number, start in enumerate(range(0, len(frame), ROWS_CHUNK)):
        chunk = {field: values[start : start + ROWS_CHUNK] for field, values in lists.items()}
        yield make_node(
            "search_rows",
            [kind, str(number)],
            items=[{"rows": len(next(iter(chunk.values())))}],
            data=orjson.dumps(chunk),
        )


def search_nodes_build(*, make_node: Callable, datapoints: pd.DataFrame, columns: pd.DataFrame) -> Iterator[dict]:
    """Every node of the search index. `columns` holds the column rows in browse order with the
    fields COLUMN_SHOWN; `make_node(kind, path, **fields)` gives a node document."""
    datapoints = datapoints.reset_index(drop=True)
    columns = columns.reset_index(drop=True)
    n_datapoints = len(datapoints)
    column_entities = np.arange(n_datapoints, n_datapoints + len(columns), dtype=np.int64)
    datapoints = datapoints.reindex(columns=list(dict.fromkeys(DATAPOINT_SEARCHED + DATAPOINT_SHOWN)))
    columns = columns.reindex(columns=list(dict.fromkeys(COLUMN_SEARCHED + COLUMN_SHOWN)))
    datapoint_entities = np.arange(n_datapoints, dtype=np.int64)
    fields = [_field_words(datapoints[f], datapoint_entities, field=f) for f in DATAPOINT_SEARCHED]
    fields += [_field_words(columns[f], column_entities, field=f) for f in COLUMN_SEARCHED]
    vocabulary = pd.Index(sorted(set().union(*(set(f.words) for f in fields))), dtype=object)
    vocabulary_list = vocabulary.tolist()
    parts = [_field_pairs(field, vocabulary) for field in fields]
    del fields
    pairs = _sorted_unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
    del parts
    word_of = pairs // _ENTITY_SPAN
    postings = (pairs % _ENTITY_SPAN).astype("<i4")
    del pairs
    offsets = np.searchsorted(word_of, np.arange(len(vocabulary_list) + 1)).astype("<i8")
    del word_of

    blocks = [vocabulary_list[i : i + WORDS_BLOCK] for i in range(0, len(vocabulary_list), WORDS_BLOCK)]
    yield make_node(
        "search",
        [],
        items=[{"datapoints": n_datapoints, "columns": len(columns), "postings": int(postings.size)}],
        words=[block[0] for block in blocks],
    )
    for number, block in enumerate(blocks):
        start = number * WORDS_BLOCK
        # words hold no line break: one text per block is far cheaper to store than a list
        yield make_node(
            "search_words",
            [str(number)],
            items=[{"words": "\n".join(block)}],
            data=offsets[start : start + len(block) + 1].tobytes(),
        )
    for number, start in enumerate(range(0, postings.size, POSTINGS_CHUNK)):
        yield make_node("search_postings", [str(number)], data=_postings_pack(postings[start : start + POSTINGS_CHUNK]))
    yield from _rows_nodes(make_node, "datapoint", datapoints, DATAPOINT_SHOWN)
    yield from _rows_nodes(make_node, "column", columns, COLUMN_SHOWN)


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


def _postings_pack(chunk: np.ndarray) -> bytes:
    """Differences between neighbours (small within a word's sorted run), deflated: a chunk of a
    frequent word shrinks several times, and reading bytes is what a query pays for."""
    return zlib.compress(np.diff(chunk, prepend=np.int32(0)).astype("<i4").tobytes(), 1)


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
    return _sorted_unique(_postings(fetch, start, end))  # several words of one prefix may hold one entity


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
    words = search_words(query)[:QUERY_WORDS_MAX]
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
