"""The search index: an inverted index over data points and column rows, built once with numpy.

Words are folded (accents removed, case folded: `Zürich` → `zurich`) and cut at anything that
is not a letter or digit (`rixk_warehouse` → `rixk`, `warehouse`). Every entity (each data point,
then each column row in browse order) has a number; the index stores, for every distinct word in
sorted order, the sorted numbers of the entities holding it, all concatenated in one postings
array. A query word is a prefix, so its words form one contiguous run of the vocabulary and
therefore one contiguous slice of the postings: a query reads the directory, at most two
vocabulary blocks and the postings chunks of that slice, all by `_id` (the only lookup FerretDB's
SQLite backend indexes). Tokenising works on distinct values, never row by row. No Django import.

This module is the build (pandas, in the worker); the query side, which the pages import, is
`catalog.search_query` (plain Python and numpy).

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

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import orjson
import pandas as pd

from catalog.search_facets import FACETS
from catalog.search_query import (
    MARKS,
    PHRASE_MARK,
    POSTINGS_CHUNK,
    ROWS_CHUNK,
    SPACES,
    VALUE_MARK,
    WORD,
    postings_pack,
    sorted_unique,
)

WORDS_BLOCK = 2_000
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
# Names with few distinct values: their word pairs are few. Table and column names (up to one per
# row) and definitions (prose) would multiply the vocabulary.
PHRASES = frozenset({"data_point_name", "data_point_standard_name", "namespace_name", "owner", "database"})


def values_fold(values: pd.Series) -> pd.Series:
    """`catalog.search_query.search_fold` of every value, with pandas' string operations."""
    text = values.astype(str)
    ascii_only = text.map(str.isascii).to_numpy(dtype=bool)
    folded = text.str.lower()  # all ASCII needs; the rest goes the long way
    if not ascii_only.all():
        other = text[~ascii_only].str.normalize("NFKD").str.replace(MARKS, "", regex=True).str.casefold()
        folded[~ascii_only] = other
    return folded


def values_key(folded: pd.Series) -> pd.Series:
    """`catalog.search_query.value_key` of every folded value."""
    return folded.str.replace(SPACES, " ", regex=True).str.strip()


# Entity numbers stay below this (2**31 keeps them in int32 postings).
_ENTITY_SPAN = np.int64(1 << 31)


@dataclass
class _FieldWords:
    """One field tokenised: per row the number of its distinct value (-1 when blank), and the
    words of each distinct value (a Series indexed by that number)."""

    codes: np.ndarray
    entities: np.ndarray
    words: pd.Series


def _field_words(values: pd.Series, entities: np.ndarray, *, field: str) -> _FieldWords:
    present = values.dropna()
    if field in LISTS and not present.empty:  # a list field (`approved_abbreviations`): the words of its items
        values = present.str.join(" ").reindex(values.index)
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    folded = values_fold(pd.Series(uniques, dtype=object))
    words = folded.str.findall(WORD).explode().dropna()
    if field in PHRASES:
        following = words.groupby(level=0).shift(-1)
        paired = following.notna()
        words = pd.concat([words, PHRASE_MARK + words[paired] + " " + following[paired]])
    if field not in NOT_WHOLE:
        keys = values_key(folded)
        keys = keys[keys.ne("") & ~(keys.str.fullmatch(WORD.pattern) if field in IDS else False)]
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
    pairs = sorted_unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
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
        yield make_node("search_postings", [str(number)], data=postings_pack(postings[start : start + POSTINGS_CHUNK]))
    yield from _rows_nodes(make_node, "datapoint", datapoints, DATAPOINT_SHOWN)
    yield from _rows_nodes(make_node, "column", columns, COLUMN_SHOWN)


def search_facet_nodes_build(*, make_node: Callable, columns: pd.DataFrame) -> Iterator[dict]:
    """The facets' nodes (`catalog.search_facets`): `columns` in the search index's order, with
    `namespace_name`."""
    values = {
        "namespace": columns["namespace_name"].fillna(columns["namespace_id"]),
        "database": columns["database"],
        "owner": columns["owner"],
    }
    codes, labels = [], {}
    for facet in FACETS:
        numbers, uniques = pd.factorize(values[facet].to_numpy(dtype=object), use_na_sentinel=True)
        codes.append(numbers.astype("<i4"))
        labels[facet] = [str(value) for value in uniques]
    yield make_node("search_facets", [], items=[{"labels": labels}])
    stacked = np.stack(codes) if codes else np.zeros((len(FACETS), 0), dtype="<i4")
    for number, start in enumerate(range(0, stacked.shape[1], POSTINGS_CHUNK)):
        yield make_node("search_facets", [str(number)], data=stacked[:, start : start + POSTINGS_CHUNK].tobytes())
