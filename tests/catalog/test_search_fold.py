"""The query's fold (plain Python, in the web process) is the build's (pandas, in the worker): a
typed word finds what was indexed only if both fold it alike, whatever the text."""

import pandas as pd

from catalog.search_index import values_fold, values_key
from catalog.search_query import WORD, search_fold, search_value_key, search_words

TRICKY = [
    "Zürich",
    "ZÜRICH Asset Management",
    "Crème Brûlée",
    "e\u0301",  # an accent already apart
    "Straße",  # ß casefolds to ss
    "STRASSE",
    "İstanbul",  # Turkish dotted capital I: i + a combining dot
    "ıi",  # Turkish dotless i
    "ﬁnance ﬂow",  # ligatures: NFKD spells them out
    "Ⅻ ² ½",  # compatibility forms
    "東京 データ",  # CJK
    "ｶﾀｶﾅ",  # half-width katakana
    "🙂 risk 😀 score",  # emoji
    "  tabs\tand\nnew\r\nlines\u00a0and\u2003spaces  ",
    "Ǆemal ǅ",  # a title-case digraph
    "ΣΊΣΥΦΟΣ ς",  # Greek final sigma
    "Å Å Ω Ω",  # composed, decomposed, Ohm and Omega
    "rixk_warehouse MR-003",
    "",
    "plain ascii 123",
]


def test_the_query_folds_every_text_as_the_build_folds_it():
    built = values_fold(pd.Series(TRICKY, dtype=object)).tolist()

    assert [search_fold(text) for text in TRICKY] == built


def test_a_typed_value_and_its_words_are_the_keys_and_words_the_build_indexes():
    folded = values_fold(pd.Series(TRICKY, dtype=object))
    keys = values_key(folded).tolist()
    words = folded.str.findall(WORD).tolist()

    assert [search_value_key(text) for text in TRICKY] == keys
    assert [search_words(text) for text in TRICKY] == [list(dict.fromkeys(found)) for found in words]


def test_folding_removes_accents_and_case():
    assert search_words("Zürich_Re 1Y") == ["zurich", "re", "1y"]
    assert search_fold("Straße") == search_fold("STRASSE") == "strasse"
