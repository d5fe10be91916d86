"""Payer names against customer names, with rapidfuzz. Pure: no Django.

Names are compared normalised: upper case, punctuation dropped, legal forms and 'THE'
dropped ("Acme Corp." and "ACME CORPORATION" are both "ACME"), words sorted by the
scorer (token_sort_ratio), so "Smith & Sons Ltd" meets "SONS SMITH". A score is 0 to 100.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from rapidfuzz import fuzz, process

STRONG = 92
"""A name this close, with no other customer within `MARGIN`, names the customer."""
WEAK = 80
"""Below this a name suggests nothing."""
MARGIN = 6

_LEGAL = {
    "INC",
    "INCORPORATED",
    "LLC",
    "LLP",
    "LP",
    "LTD",
    "LIMITED",
    "CORP",
    "CORPORATION",
    "CO",
    "COMPANY",
    "GMBH",
    "AG",
    "SA",
    "SAS",
    "SARL",
    "BV",
    "NV",
    "PLC",
    "PTY",
    "THE",
    "AND",
    "KG",
}
_WORD = re.compile(r"[A-Z0-9]+")


def name_key(name: str) -> str:
    words = [
        w
        for w in _WORD.findall(name.upper().replace(".", "").replace("'", "").replace("&", " AND "))
        if w not in _LEGAL
    ]
    return " ".join(words)


class NameIndex:
    """Customer names, for exact (normalised) and fuzzy lookups."""

    def __init__(self, names: Iterable[tuple[int, str]]) -> None:
        self._exact: dict[str, set[int]] = defaultdict(set)
        for customer_id, name in names:
            key = name_key(name)
            if key:
                self._exact[key].add(customer_id)
        self._by_word: dict[str, list[str]] = defaultdict(list)
        for key in self._exact:
            for word in set(key.split()):
                if len(word) >= 3:
                    self._by_word[word].append(key)
        self._cache: dict[str, list[tuple[int, float]]] = {}

    def lookup(self, payer: str) -> list[tuple[int, float]]:
        """Customers whose names are like `payer`, best first: (customer id, score)."""
        key = name_key(payer)
        if not key:
            return []
        if key in self._cache:
            return self._cache[key]
        if key in self._exact:
            result = [(c, 100.0) for c in sorted(self._exact[key])]
        else:
            # only names sharing a word of 3 letters or more: a name with no word in
            # common is not 80% alike, and 5,000 comparisons a line would be slow
            choices = sorted({k for w in set(key.split()) for k in self._by_word.get(w, ())})
            hits = process.extract(
                key, choices, scorer=fuzz.token_sort_ratio, limit=5, score_cutoff=WEAK
            )
            result = [(c, score) for match, score, _ in hits for c in sorted(self._exact[match])]
        self._cache[key] = result
        return result
