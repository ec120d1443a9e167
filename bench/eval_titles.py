"""Evaluate title parsing's word tables against the IPOD job-title gazetteer.

    .venv/bin/python bench/eval_titles.py [--path FILE] [--misses 20]

The gazetteer (Liu, Ng, Wood & Lim, "IPOD: A Large-scale Industrial and
Professional Occupation Dataset", CSCW'20 Companion; CC BY 4.0) lists words
found in job titles, each tagged by three annotators: RES (responsibility /
seniority word), FUN (function word), LOC (location), O (other). Words are
listed roughly by how often they occur in titles, most common first; we use
that order as the frequency rank for "most common misses".

A word's gold tag is the one at least two annotators agree on (words where all
three disagree are left out). Our view of a word is
``leadgate.lib.titles.classify_token(word)``: RES (a level word), FUN (a
department word) or None. We report, for RES words, the share we read as RES;
for FUN words, the share we read as FUN; for LOC/O words, the share we read as
either (false positives); and a confusion table.

This is an evaluation, not training data: nothing here is copied into the
parser's tables.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from leadgate.lib.titles import classify_token  # noqa: E402

DEFAULT_PATH = REPO / ".." / "shared" / "data" / "ipod-job-title-gazetteer" / "gazetteer.csv"
CREDIT = (
    "Data: IPOD job-title gazetteer, Liu, Ng, Wood & Lim, IPOD, CSCW'20 Companion "
    "(CC BY 4.0)."
)
GOLD_TAGS = ("RES", "FUN", "LOC", "O")
OURS = ("RES", "FUN", "-")


def majority(tags: list[str]) -> str | None:
    tag, count = Counter(t.strip().upper() for t in tags).most_common(1)[0]
    return tag if count >= 2 else None


def load(path: Path) -> list[tuple[int, str, str]]:
    """(rank, word, gold tag) for every word with a majority tag."""
    rows: list[tuple[int, str, str]] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for rank, row in enumerate(csv.DictReader(handle), start=1):
            gold = majority([row["A1"], row["A2"], row["A3"]])
            if gold is not None:
                rows.append((rank, row["Title"].strip(), gold))
    return rows


def evaluate(rows: list[tuple[int, str, str]]) -> dict[str, object]:
    confusion: Counter[tuple[str, str]] = Counter()
    misses: list[tuple[int, str, str, str]] = []
    for rank, word, gold in rows:
        ours = classify_token(word) or "-"
        confusion[gold, ours] += 1
        wrong = ours != gold if gold in ("RES", "FUN") else ours != "-"
        if wrong:
            misses.append((rank, word, gold, ours))
    return {"confusion": confusion, "misses": misses}


def share(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100 * part / whole:.1f}%" if whole else "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--path", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--misses", type=int, default=20, help="how many misses to list")
    args = parser.parse_args(argv)

    rows = load(args.path)
    result = evaluate(rows)
    confusion: Counter[tuple[str, str]] = result["confusion"]  # type: ignore[assignment]
    misses: list[tuple[int, str, str, str]] = result["misses"]  # type: ignore[assignment]

    def total(gold: str) -> int:
        return sum(confusion[gold, ours] for ours in OURS)

    print(CREDIT)
    print(f"file: {args.path.resolve()}; words with a majority tag: {len(rows)}")
    print()
    print("| gold \\ ours | RES | FUN | - | total |")
    print("|---|---:|---:|---:|---:|")
    for gold in GOLD_TAGS:
        cells = " | ".join(str(confusion[gold, ours]) for ours in OURS)
        print(f"| {gold} | {cells} | {total(gold)} |")
    print()
    res_ok = confusion["RES", "RES"]
    fun_ok = confusion["FUN", "FUN"]
    res_any = res_ok + confusion["RES", "FUN"]
    fun_any = fun_ok + confusion["FUN", "RES"]
    other = total("LOC") + total("O")
    false_pos = other - confusion["LOC", "-"] - confusion["O", "-"]
    print(f"RES words read as seniority:       {share(res_ok, total('RES'))}")
    print(f"FUN words read as function:        {share(fun_ok, total('FUN'))}")
    print(f"RES words recognised at all:       {share(res_any, total('RES'))}")
    print(f"FUN words recognised at all:       {share(fun_any, total('FUN'))}")
    print(f"LOC/O words recognised (false +):  {share(false_pos, other)}")
    decided = res_ok + fun_ok + confusion["LOC", "-"] + confusion["O", "-"]
    print(f"overall agreement (4 tags):        {share(decided, len(rows))}")
    for top in (100, 300):
        head = [(r, w, g) for r, w, g in rows if r <= top]
        agree = sum(
            1 for _, w, g in head if (classify_token(w) or "-") == (g if g in OURS else "-")
        )
        print(f"agreement, {top} most common words:  {share(agree, len(head))}")
    print()
    print(f"{args.misses} most common misses (rank in gazetteer, word, gold, ours):")
    for rank, word, gold, ours in misses[: args.misses]:
        print(f"  {rank:5d}  {word:<20} {gold:<4} {ours}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
