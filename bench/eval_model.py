"""Predictive scoring on real outcomes: the model against its baselines, and
rescoring throughput.

    .venv/bin/python bench/eval_model.py [CSV] [--rows 1000000] [--train-rows N] [--keep]
    .venv/bin/python bench/eval_model.py --b2b 20000 [--seeds 1,2,3]

Default CSV: ../shared/data/uci-bank-marketing/bank-additional-full.csv (UCI Bank
Marketing, `;`-separated, outcome `y`, ordered by time), with `duration` dropped
(known only after the call: it leaks the outcome).

1. `leadgate model train` and `leadgate model evaluate --baselines --chart` on a
   fresh database, as a user would run them (their output is shown).
2. A table on the same encoded data: each estimator's 5-fold AUC and log loss
   (same folds), time-ordered AUC (first 80% of the file to train, last 20% to
   test), and seconds to fit on all rows.
3. Rescoring: the file's rows repeated to --rows rows, encoded from strings and
   scored by the trained model in batches of 100,000; rows per second.
4. With --train-rows N: the file's rows resampled (with replacement) to N rows,
   written to a CSV and trained on with `leadgate model train` (read, infer,
   leakage guard, selection on a 200,000-row sample, calibrated refit on all).

With --b2b N: the generated B2B export of `tests/b2b_data.py` (N rows per seed,
10% converting, a landing page with hundreds of values, a free-text answer):
`train` output for the first seed, then per seed the model against both
baselines, a one-hot logistic regression on the raw columns (what a user would
fit first), the model without the landing page and without the text, on the
latest 20% (time-ordered) and 5-fold; and the generator's own probabilities
(the ceiling: they know each lead's hidden intent).
"""

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from common import finish, fresh_environment  # noqa: E402

DEFAULT_CSV = HERE.parent.parent / "shared/data/uci-bank-marketing/bank-additional-full.csv"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("csv", nargs="?", default=str(DEFAULT_CSV))
    parser.add_argument("--target", default="y")
    parser.add_argument("--drop", default="duration")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows to rescore")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (and chart)")
    parser.add_argument("--train-rows", type=int, default=0,
                        help="also train on the file resampled to this many rows")
    parser.add_argument("--b2b", type=int, default=0, help="rows of generated B2B export")
    parser.add_argument("--seeds", default="1,2,3", help="B2B seeds")
    args = parser.parse_args()
    if args.b2b:
        return b2b(args)

    workdir = fresh_environment("leadgate-bench-model-")
    import django

    django.setup()
    import numpy as np
    from django.core.management import call_command

    from leadgate.scoring.model import baselines, metrics, pipeline, tabular
    from leadgate.scoring.models import ModelVersion

    call_command("migrate", verbosity=0)
    print(f"data: {args.csv} (drop {args.drop or 'nothing'})\n")
    started = time.monotonic()
    call_command("model", "train", "--csv", args.csv, "--target", args.target,
                 "--drop", args.drop, "--name", "bench")
    train_seconds = time.monotonic() - started
    chart = workdir / "bench-model.html"
    call_command("model", "evaluate", "--model", "bench", "--csv", args.csv, "--target",
                 args.target, "--baselines", "--chart", str(chart))
    version = ModelVersion.objects.get(name="bench", active=True)
    spec, artifact = version.features, version.load()
    chosen = version.metrics["chosen"]

    table = tabular.read_csv(args.csv)
    keep, y, _ = tabular.target_labels(table.column(args.target), version.positive)
    X = tabular.encode(spec, table.take(keep.tolist()))
    mask, target = tabular.categorical_mask(spec), tabular.target_mask(spec)
    kfold = pipeline.kfold_splits(y)
    by_time = pipeline.time_split(np.arange(len(y)))
    makers = {
        f"model: {chosen} (chosen)": lambda: pipeline.make_candidate(
            chosen, mask, len(y), target),
        **{f"candidate: {k}": (lambda k=k: pipeline.make_candidate(k, mask, len(y), target))
           for k in pipeline.CANDIDATES if k != chosen},
        "baseline: naive Bayes (Odoo-like)": lambda: baselines.make_baseline("naive_bayes", mask),
        "baseline: plain logistic, one-hot": lambda: baselines.make_baseline(
            "plain_logistic", mask),
    }
    print(f"\n{'estimator':<38} {'AUC 5-fold':>10} {'AUC time':>9} {'log loss':>9} "
          f"{'fit s':>6}")
    for name, make in makers.items():
        cv = pipeline.validate(make, X, y, kfold)
        timed = pipeline.validate(make, X, y, by_time)
        started = time.monotonic()
        make().fit(X, y)
        fit = time.monotonic() - started
        print(f"{name:<38} {cv['auc']:>10.4f} {timed['auc']:>9.4f} {cv['log_loss']:>9.4f} "
              f"{fit:>6.1f}")
    print(f"(train command end to end, with selection and calibration: {train_seconds:.1f}s; "
          f"log loss of the raw estimators, out of fold)")

    repeats = -(-args.rows // table.n_rows)
    big = tabular.Table.__new__(tabular.Table)
    big.header = table.header
    big.columns = {n: (v * repeats)[:args.rows] for n, v in table.columns.items()}
    big.n_rows = args.rows
    started = time.monotonic()
    X_big = tabular.encode(spec, big)
    encoded = time.monotonic() - started
    started = time.monotonic()
    scores = pipeline.predict(artifact, X_big, batch_size=100_000)
    scored = time.monotonic() - started
    assert len(scores) == args.rows
    total = encoded + scored
    print(f"\nrescoring {args.rows:,} rows: encode {encoded:.1f}s, predict {scored:.1f}s "
          f"(batches of 100,000), total {total:.1f}s = {args.rows / total:,.0f} rows/s "
          f"(predict alone {args.rows / scored:,.0f} rows/s)")
    s = metrics.summary(y, pipeline.predict(artifact, X))
    print(f"in-sample AUC of the stored model {s['auc']:.4f} (for reference only)")
    if args.train_rows:
        train_big(table, args, workdir)
    finish(workdir, args.keep)
    return 0


def train_big(table, args, workdir: Path) -> None:
    """`leadgate model train` on the file resampled to --train-rows rows."""
    import csv

    import numpy as np
    from django.core.management import call_command

    picks = np.random.default_rng(0).integers(0, table.n_rows, args.train_rows)
    path = workdir / "resampled.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.header)
        columns = [table.columns[name] for name in table.header]
        writer.writerows([column[i] for column in columns] for i in picks.tolist())
    started = time.monotonic()
    call_command("model", "train", "--csv", str(path), "--target", args.target,
                 "--drop", args.drop, "--name", "bench-big")
    print(f"\ntraining on {args.train_rows:,} resampled rows, end to end: "
          f"{time.monotonic() - started:.1f}s")


def b2b(args) -> int:
    workdir = fresh_environment("leadgate-bench-b2b-")
    import django

    django.setup()
    import numpy as np
    from django.core.management import call_command
    from sklearn.base import clone
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from leadgate.scoring.model import pipeline, tabular
    from tests.b2b_data import generate_b2b_with_truth
    from tests.test_model import write_csv

    call_command("migrate", verbosity=0)
    header = (f"{'seed':>4} {'split':<13} {'model':>13} {'naive Bayes':>11} {'plain logit':>11} "
              f"{'raw one-hot':>11} {'no page':>8} {'no text':>8} {'ceiling':>8}")
    lines = []
    for number, seed in enumerate(int(s) for s in args.seeds.split(",")):
        rows, truth = generate_b2b_with_truth(args.b2b, seed=seed)
        path = write_csv(workdir / f"b2b-{seed}.csv", rows)
        if number == 0:
            print(f"data: generated B2B export, {args.b2b:,} rows, seed {seed}\n")
            call_command("model", "train", "--csv", str(path), "--target", "outcome",
                         "--positive", "converted", "--id", "lead_id", "--name", "b2b")
            call_command("model", "evaluate", "--model", "b2b", "--csv", str(path),
                         "--target", "outcome", "--positive", "converted")
        table = tabular.read_csv(path)
        keep, y, _ = tabular.target_labels(table.column("outcome"), "converted")

        full, no_page, no_text = (
            (spec, tabular.encode(spec, table.take(keep.tolist()))) for spec in (
                tabular.infer_spec(table, target="outcome", id_column="lead_id", drop=drop)
                for drop in ([], ["landing_page"], ["what_matters"])))
        raw_columns = [c for c in table.header if c not in ("lead_id", "outcome")]
        raw = np.array([[table.columns[c][i] for c in raw_columns] for i in range(len(y))],
                       dtype=object)
        size = raw_columns.index("company_size")
        numbers = np.array([float(v) if v else np.nan for v in raw[:, size]])[:, None]
        others = [j for j in range(len(raw_columns)) if j != size]

        raw_one_hot = Pipeline([("pre", ColumnTransformer([  # what a user fits first
            ("num", Pipeline([("impute", SimpleImputer(add_indicator=True)),
                              ("scale", StandardScaler())]), [0]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), list(range(1, 1 + len(others)))),
        ])), ("lr", LogisticRegression(C=1.0, max_iter=2000))])
        raw_X = np.column_stack([numbers, raw[:, others]])
        for name, splits in (("latest 20%", pipeline.time_split(np.arange(len(y)))),
                             ("5-fold", pipeline.kfold_splits(y))):
            def auc(kind: str, data: tuple, y=y, splits=splits) -> float:
                spec, X = data
                return pipeline.validate(lambda: pipeline.make_candidate(
                    kind, tabular.categorical_mask(spec), len(y), tabular.target_mask(spec)),
                    X, y, splits)["auc"]
            scores = {k: auc(k, full) for k in (*pipeline.CANDIDATES, "naive_bayes",
                                                 "plain_logistic")}
            best = max(pipeline.CANDIDATES, key=lambda k: scores[k])
            raw_auc = np.mean([roc_auc_score(y[te], clone(raw_one_hot).fit(raw_X[tr], y[tr])
                                             .predict_proba(raw_X[te])[:, 1])
                               for tr, te in splits])
            ceiling = np.mean([roc_auc_score(y[te], truth[keep][te]) for _, te in splits])
            lines.append(f"{seed:>4} {name:<13} {scores[best]:>8.4f} {best[:4]:<4} "
                         f"{scores['naive_bayes']:>11.4f} {scores['plain_logistic']:>11.4f} "
                         f"{raw_auc:>11.4f} {auc(best, no_page):>8.4f} "
                         f"{auc(best, no_text):>8.4f} {ceiling:>8.4f}")
            print(lines[-1], flush=True)
    print("\n" + header + "\n" + "\n".join(lines))
    finish(workdir, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
