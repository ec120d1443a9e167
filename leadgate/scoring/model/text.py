"""Free text (notes, "what matters to you" answers) as features a person can read.

A text column becomes the words and word pairs written in enough rows of the
training file (`MIN_TERM_ROWS`, at most `MAX_TERMS` of them, the most frequent
first), each a 0/1 feature "mentions 'budget'", plus the number of words (NaN
when empty). The terms are chosen by how often they are written, never by the
outcome, so choosing them cannot leak the outcome into validation. A learned
vocabulary rather than hashed n-grams: a hashed bucket cannot be said in words,
and the lead page gives every reason in words.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

MAX_TERMS = 60  # per text column
MIN_TERM_ROWS = 5
MAX_TERM_SHARE = 0.9  # written in (almost) every row: says nothing
TEXT_WORDS = 3.0  # mean words per value from which a many-valued column is free text

CLAUSE = re.compile(r"[,.;:!?()\n/|]+")
WORD = re.compile(r"[^\W\d_][\w'-]*")  # starts with a letter: no bare numbers, no ids
STOP_WORDS = frozenset("""
a an and are as at be been but by can could did do does for from had has have he her his i
if in into is it its me my no not of on or our she so than that the their them then there
these they this to too us was we were what when which who will with would you your yours
just also am any all more very""".split())


def words_of(value: str) -> list[str]:
    return [w for w in WORD.findall(value.lower()) if w not in STOP_WORDS and len(w) > 1]


def terms_of(value: str) -> set[str]:
    """The words and adjacent word pairs ("budget", "budget approved"); no pair
    across a comma, a full stop or a line ("reporting, demo" is two answers)."""
    terms: set[str] = set()
    for part in CLAUSE.split(value):
        words = words_of(part)
        terms.update(words)
        terms.update(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))
    return terms


def mean_words(values: Iterable[str], sample: int = 2000) -> float:
    taken = [v for _, v in zip(range(sample), values, strict=False)]
    return sum(len(v.split()) for v in taken) / len(taken) if taken else 0.0


def choose_terms(present: list[str]) -> list[str]:
    """The terms of a text column: in at least MIN_TERM_ROWS rows and not in
    nearly all, most frequent first; a pair only when it is not just its more
    frequent word (a pair written as often as its words adds nothing)."""
    counts: Counter[str] = Counter()
    for value in present:
        counts.update(terms_of(value))
    limit = MAX_TERM_SHARE * len(present)
    chosen: list[str] = []
    for term, count in sorted(counts.items(), key=lambda tc: (-tc[1], tc[0])):
        if count < MIN_TERM_ROWS or len(chosen) >= MAX_TERMS:
            break
        if count > limit:
            continue
        if " " in term and any(counts[w] == count for w in term.split()):
            continue
        chosen.append(term)
    return chosen
