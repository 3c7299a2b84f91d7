"""Facets of the search: the namespace, database and owner of every column row, to count the
matches by each and narrow them to one. No Django import.

Built by `catalog.search_index.search_facet_nodes_build` (pandas, the worker); read here with numpy.

A namespace is counted by its name (its id when it has none): that is what a person reads, and
ids repeat across datasets (`N1` in each). Stored at processing time beside the search index: one
node of labels (the distinct values of each facet), then, for every POSTINGS_CHUNK column rows in browse order, one
node holding their three label numbers as int32 (-1 for a blank owner). A query reads only the
chunks its matches fall in, by `_id`: at most 16 reads for a million column rows.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from catalog.search_query import POSTINGS_CHUNK

FACETS = ("namespace", "database", "owner")
FACET_VALUES_SHOWN = 10


@dataclass(frozen=True)
class FacetValue:
    facet: str
    value: str  # what narrows to it (`?owner=Equity Research`)
    label: str  # what a person reads
    count: int


@dataclass(frozen=True)
class Facets:
    columns: np.ndarray  # the column positions left after narrowing, in the order given
    counts: dict[str, list[FacetValue]]  # per facet, most matches first
    available: bool  # False for a version indexed before facets existed


def _codes(fetch: Callable, positions: np.ndarray) -> np.ndarray:
    """The facets' label numbers of some column positions: shape (len(FACETS), len(positions))."""
    out = np.empty((len(FACETS), positions.size), dtype=np.int32)
    chunks = positions // POSTINGS_CHUNK
    for number in np.unique(chunks):
        node = fetch("search_facets", [str(int(number))])
        block = np.frombuffer(node["data"], dtype="<i4").reshape(len(FACETS), -1)
        here = chunks == number
        out[:, here] = block[:, positions[here] - int(number) * POSTINGS_CHUNK]
    return out


def search_facets(
    *, fetch: Callable, columns: np.ndarray, chosen: dict[str, str], shown: int | None = FACET_VALUES_SHOWN
) -> Facets:
    """Narrows column positions to the `chosen` facet values and counts what is left by each facet
    (its `shown` most frequent values; every one when None)."""
    root = fetch("search_facets", [])
    if root is None:
        return Facets(columns=columns, counts={}, available=False)
    labels = root["items"][0]["labels"]
    codes = _codes(fetch, columns)
    keep = np.ones(columns.size, dtype=bool)
    for row, facet in enumerate(FACETS):
        if chosen.get(facet):
            number = labels[facet].index(chosen[facet]) if chosen[facet] in labels[facet] else -2
            keep &= codes[row] == number
    codes = codes[:, keep]
    counts = {}
    for row, facet in enumerate(FACETS):
        present = codes[row][codes[row] >= 0]
        tally = np.bincount(present, minlength=len(labels[facet]))
        top = np.argsort(-tally, kind="stable")[:shown]
        counts[facet] = [
            FacetValue(facet=facet, value=labels[facet][i], label=labels[facet][i], count=int(tally[i]))
            for i in top
            if tally[i]
        ]
    return Facets(columns=columns[keep], counts=counts, available=True)
