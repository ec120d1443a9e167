"""Predictive scoring on real outcomes: the model against its baselines, and
rescoring throughput.

    .venv/bin/python bench/eval_model.py [CSV] [--rows 1000000] [--keep]

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
    args = parser.parse_args()

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
    mask = tabular.categorical_mask(spec)
    kfold = pipeline.kfold_splits(y)
    by_time = pipeline.time_split(np.arange(len(y)))
    makers = {
        f"model: {chosen} (chosen)": lambda: pipeline.make_candidate(
            chosen, mask, len(y)),
        **{f"candidate: {k}": (lambda k=k: pipeline.make_candidate(k, mask, len(y)))
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
    finish(workdir, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
