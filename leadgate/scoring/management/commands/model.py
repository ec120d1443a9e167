"""`leadgate model train|score|evaluate`: predictive scoring from CSV files.

    leadgate model train --name NAME [--outcome accepted|won]    # from the database
    leadgate model train --csv leads.csv --target y [--positive yes] [--drop a,b] \
        [--id lead_id] [--date created] --name NAME [--delimiter ';']
    leadgate model score --model NAME --csv open.csv --out scores.csv
    leadgate model evaluate --model NAME --csv history.csv --target y [--positive yes] \
        [--baselines] [--chart chart.html]
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser

from leadgate.scoring.database import OUTCOMES, lead_table
from leadgate.scoring.model import baselines, leakage, metrics, pipeline, tabular
from leadgate.scoring.models import ModelVersion


def _split_list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


class Command(BaseCommand):
    help = "Train, apply and evaluate predictive lead-scoring models (CSV of historical leads)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        train = actions.add_parser("train", help="train a new version of a model from a CSV")
        train.add_argument("--csv", help="CSV of historical leads with an outcome column "
                                          "(without it: the leads in the database)")
        train.add_argument("--target", help="outcome column (required with --csv)")
        train.add_argument("--outcome", choices=sorted(OUTCOMES), default="accepted",
                           help="from the database: the stage that counts as success "
                                "(accepted by sales, or won; default accepted)")
        train.add_argument("--positive", help="outcome value to predict (default: yes/true/1/won)")
        train.add_argument("--drop", help="columns to leave out, comma-separated (e.g. one "
                                          "the leakage guard warns about); recorded with "
                                          "the version")
        train.add_argument("--id", dest="id_column",
                           help="identifier column (kept out of the model)")
        train.add_argument("--date", dest="date_column",
                           help="date column: validate on the latest 20%% of rows")
        train.add_argument("--time-ordered", action="store_true",
                           help="validate on the last 20%% of rows even without a date column "
                                "(the file is ordered by time)")
        train.add_argument("--name", required=True, help="model name in the registry")
        train.add_argument("--delimiter", help="CSV delimiter (sniffed by default)")
        train.add_argument("--missing", help="missing-value markers, comma-separated (default: "
                                             + ", ".join(repr(m) for m in tabular.DEFAULT_MISSING)
                                             + ")")

        score = actions.add_parser("score", help="score a CSV with the active version")
        score.add_argument("--model", required=True, help="model name")
        score.add_argument("--csv", required=True, help="CSV of leads to score")
        score.add_argument("--out", required=True, help="CSV to write: id (or row) and score")
        score.add_argument("--delimiter", help="CSV delimiter (sniffed by default)")
        score.add_argument("--reasons", action="store_true",
                           help="add the top 3 reasons per row (slower)")

        evaluate = actions.add_parser("evaluate", help="measure the active version on a CSV")
        evaluate.add_argument("--model", required=True, help="model name")
        evaluate.add_argument("--csv", required=True, help="CSV with the outcome column")
        evaluate.add_argument("--target", required=True, help="outcome column")
        evaluate.add_argument("--positive", help="outcome value (default: the model's)")
        evaluate.add_argument("--baselines", action="store_true",
                              help="also cross-validate the naive-Bayes and plain logistic "
                                   "baselines and the model's estimator on the same folds")
        evaluate.add_argument("--chart", help="write a calibration and lift chart (HTML)")
        evaluate.add_argument("--delimiter", help="CSV delimiter (sniffed by default)")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, f"handle_{action}")(**options)
        except (tabular.DataError, pipeline.TrainingError) as error:
            raise CommandError(str(error)) from error

    # train ---------------------------------------------------------------------------

    def handle_train(self, *, csv: str | None, target: str | None, outcome: str,
                     positive: str | None, drop: str | None, id_column: str | None,
                     date_column: str | None, time_ordered: bool, name: str,
                     delimiter: str | None, missing: str | None, **_: Any) -> None:
        started = time.monotonic()
        markers = _split_list(missing) if missing is not None else None
        if csv:
            if not target:
                raise CommandError("--target COL is required with --csv")
            table = tabular.read_csv(csv, delimiter)
            source = Path(csv).name
        else:
            table = lead_table(outcome)
            target, positive, id_column, date_column = "outcome", "yes", "lead_id", "created"
            source = f"database: {table.n_rows:,} leads, outcome reached {outcome}"
        table.column(target)
        rows, y, positive = tabular.target_labels(table.column(target), positive, markers,
                                                  strict=bool(csv))
        pipeline.check_outcomes(y, positive)  # before anything else: the likeliest refusal
        spec = tabular.infer_spec(table, target=target, drop=_split_list(drop),
                                  id_column=id_column, date_column=date_column,
                                  missing_markers=markers)
        without_outcome = table.n_rows - len(rows)
        table = table.take(rows.tolist())
        X = tabular.encode(spec, table)
        dates = None
        if spec["date_column"]:
            fmt = spec["columns"][spec["date_column"]]["format"]
            parsed = [tabular._parse_date(v, fmt) for v in table.columns[spec["date_column"]]]
            dates = np.array([d.timestamp() if d else np.nan for d in parsed])
        validation = "time" if (spec["date_column"] or time_ordered) else "kfold"
        suspects = leakage.warnings(spec, X, y)
        trained = pipeline.train(X, y, tabular.categorical_mask(spec), positive=positive,
                                 validation=validation, dates=dates,
                                 target_mask=tabular.target_mask(spec))
        summary = {
            "source": source, "from_database": not csv,
            "rows": int(len(y)), "positives": int(y.sum()),
            "rows_without_outcome": without_outcome,
            "columns": {c: i["kind"] for c, i in spec["columns"].items()},
            "dropped": spec["dropped"], "ignored": spec["ignored"],
            "id_column": id_column, "date_column": spec["date_column"],
            "leakage_warnings": suspects,
            "seconds": round(time.monotonic() - started, 1),
        }
        version = ModelVersion.register(name, trained.artifact, target=target, positive=positive,
                                        features=spec, training=summary, metrics=trained.metrics)
        m = trained.metrics
        others = ", ".join(f"{k} {v['auc']:.4f}" for k, v in m["candidates"].items())
        self.stdout.write("What each column became:")
        width = max(len(b["column"]) for b in spec["became"])
        for became in spec["became"]:
            self.stdout.write(f"  {became['column']:<{width}}  {became['kind']:<16} "
                              f"{became['became']}")
        for suspect in suspects:
            self.stdout.write(self.style.WARNING(
                f"Leakage? {suspect['reason']} If so, train again with --drop "
                f"{suspect['column']}."))
        if not m["beats_baselines"]:
            self.stdout.write(self.style.WARNING(f"Note: {m['note']}."))
        self.stdout.write(self.style.SUCCESS(
            f"Trained {version} on {len(y):,} rows ({int(y.sum()):,} positive {positive!r}): "
            f"{m['chosen']} chosen, {m['validation']} AUC {m['auc']:.4f}, "
            f"log loss {m['log_loss']:.4f} (same splits: {others}); "
            f"{m['calibration']} calibration; {summary['seconds']}s."
        ))

    # score ---------------------------------------------------------------------------

    def _active(self, name: str) -> ModelVersion:
        version = ModelVersion.active_for(name)
        if version is None:
            known = sorted(set(ModelVersion.objects.values_list("name", flat=True)))
            raise CommandError(f"no active model named {name!r}"
                               + (f" (models: {', '.join(known)})" if known else
                                  "; train one with `leadgate model train`"))
        return version

    def handle_score(self, *, model: str, csv: str, out: str, delimiter: str | None,
                     reasons: bool, **_: Any) -> None:
        started = time.monotonic()
        version = self._active(model)
        spec = version.features
        artifact = version.load()
        table = tabular.read_csv(csv, delimiter)
        absent = [f["column"] for f in spec["features"] if f["column"] not in table.columns]
        if absent:
            self.stderr.write(f"Columns missing from the CSV, scored as missing: "
                              f"{', '.join(sorted(set(absent)))}")
        X = tabular.encode(spec, table)
        scores = pipeline.predict(artifact, X)
        id_column = spec.get("id_column")
        ids = table.columns.get(id_column) if id_column else None
        why = pipeline.reasons(artifact, spec, X) if reasons else None
        with open(out, "w", newline="", encoding="utf-8") as handle:
            writer = csv_writer(handle)
            writer.writerow([id_column if ids is not None else "row", "score"]
                            + (["reasons"] if why else []))
            for i, score in enumerate(scores):
                row = [ids[i] if ids is not None else i + 1, f"{score:.6f}"]
                if why:
                    row.append("; ".join(f"{r['feature']}={r['value']} ({r['direction']})"
                                         for r in why[i]))
                writer.writerow(row)
        self.stdout.write(self.style.SUCCESS(
            f"Scored {len(scores):,} rows with {version} in {time.monotonic() - started:.1f}s "
            f"→ {out}"))

    # evaluate ------------------------------------------------------------------------

    def handle_evaluate(self, *, model: str, csv: str, target: str, positive: str | None,
                        baselines: bool, chart: str | None, delimiter: str | None,
                        **_: Any) -> None:
        version = self._active(model)
        spec = version.features
        artifact = version.load()
        table = tabular.read_csv(csv, delimiter)
        rows, y, positive = tabular.target_labels(
            table.column(target), positive or version.positive, spec["missing_markers"])
        if len(set(y.tolist())) < 2:
            raise CommandError(f"the CSV has only one outcome ({positive!r} or not) in {target}")
        X = tabular.encode(spec, table.take(rows.tolist()))
        p = pipeline.predict(artifact, X)
        s = metrics.summary(y, p)
        self.stdout.write(
            f"{version} on {s['rows']:,} rows ({s['positives']:,} positive {positive!r}):\n"
            f"AUC {s['auc']:.4f}  log loss {s['log_loss']:.4f}  "
            f"lift at top decile {s['lift_top_decile']:.2f}  "
            f"conversions in the top 20%: {s['top_20_share']:.1%}, "
            f"in the top 50%: {s['top_50_share']:.1%}\n"
            f"(trained on {version.training.get('source', '?')}: scoring the training file "
            f"is in-sample; validation AUC at training {version.metrics.get('auc')})\n"
        )
        self.stdout.write("Conversion by decile (1 = highest scores):")
        self.stdout.write(metrics.decile_table(s["deciles"]))
        if baselines:
            self._baselines(version, X, y)
        if chart:
            Path(chart).write_text(metrics.chart_html(y, p, f"{version} on {Path(csv).name}"),
                                   encoding="utf-8")
            self.stdout.write(f"Chart written to {chart}")

    def _baselines(self, version: ModelVersion, X: np.ndarray, y: np.ndarray) -> None:
        chosen = version.metrics.get("chosen", "hgb")
        mask = tabular.categorical_mask(version.features)
        splits = pipeline.kfold_splits(y)
        results = baselines.compare(X, y, mask, chosen, splits,
                                    tabular.target_mask(version.features))
        self.stdout.write(f"\nCross-validated on this CSV ({len(splits)}-fold, same folds):")
        self.stdout.write(f"{'model':<22} {'AUC':>7} {'log loss':>9} {'seconds':>8}")
        for name, r in results.items():
            self.stdout.write(f"{name:<22} {r['auc']:>7.4f} {r['log_loss']:>9.4f} "
                              f"{r['seconds']:>8.1f}")
        ours = next(iter(results.values()))["auc"]
        beaten = [n for n in baselines.BASELINES if ours > results[n]["auc"]]
        verdict = "beats both baselines" if len(beaten) == 2 else (
            f"beats only {', '.join(beaten)}" if beaten else "beats neither baseline")
        self.stdout.write(f"The model {verdict}.")


def csv_writer(handle: Any) -> Any:
    return csv.writer(handle)
