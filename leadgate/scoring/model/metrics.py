"""AUC, log loss, lift and deciles, and a self-contained HTML chart (inline SVG)."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
from sklearn.metrics import log_loss as _log_loss
from sklearn.metrics import roc_auc_score


def auc(y: np.ndarray, p: np.ndarray) -> float:
    return float(roc_auc_score(y, p))


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    return float(_log_loss(y, np.clip(p, 1e-6, 1 - 1e-6), labels=[0, 1]))


def deciles(y: np.ndarray, p: np.ndarray) -> list[dict[str, Any]]:
    """Rows sorted by score, highest first, cut in ten groups: size, mean score,
    conversion, lift over the base rate, cumulative share of positives."""
    order = np.argsort(-p, kind="stable")
    base = y.mean() if len(y) else 0.0
    total_pos = max(int(y.sum()), 1)
    rows, captured = [], 0
    for number, chunk in enumerate(np.array_split(order, 10), start=1):
        if not len(chunk):
            continue
        positives = int(y[chunk].sum())
        captured += positives
        rate = positives / len(chunk)
        rows.append({
            "decile": number, "rows": len(chunk), "mean_score": float(p[chunk].mean()),
            "positives": positives, "conversion": rate,
            "lift": rate / base if base else 0.0, "cum_gain": captured / total_pos,
        })
    return rows


def calibration(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[tuple[float, float, int]]:
    """(mean predicted, observed rate, rows) per equal-size bin of predictions."""
    order = np.argsort(p, kind="stable")
    return [(float(p[c].mean()), float(y[c].mean()), len(c))
            for c in np.array_split(order, bins) if len(c)]


def captured(y: np.ndarray, p: np.ndarray, share: float) -> float:
    """The share of all positives among the `share` of rows with the highest scores."""
    top = np.argsort(-p, kind="stable")[:int(round(share * len(y)))]
    return float(y[top].sum() / y.sum()) if y.sum() else 0.0


def summary(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    table = deciles(y, p)
    return {
        "rows": len(y), "positives": int(y.sum()), "auc": auc(y, p), "log_loss": log_loss(y, p),
        "lift_top_decile": table[0]["lift"] if table else 0.0, "deciles": table,
        "top_20_share": captured(y, p, 0.2), "top_50_share": captured(y, p, 0.5),
    }


def decile_table(table: list[dict[str, Any]]) -> str:
    lines = ["decile   rows  mean score  positives  conversion   lift  cum. gain"]
    for r in table:
        lines.append(f"{r['decile']:>6} {r['rows']:>6} {r['mean_score']:>11.3f} "
                     f"{r['positives']:>10} {r['conversion']:>10.1%} {r['lift']:>6.2f} "
                     f"{r['cum_gain']:>10.1%}")
    return "\n".join(lines)


def _svg_plot(title: str, series: list[tuple[str, str, list[tuple[float, float]]]],
              xlabel: str, ylabel: str, size: int = 320) -> str:
    pad = 40
    inner = size - 2 * pad

    def xy(x: float, y: float) -> str:
        return f"{pad + x * inner:.1f},{size - pad - y * inner:.1f}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
             f'role="img" aria-label="{html.escape(title)}">',
             f'<rect x="{pad}" y="{pad}" width="{inner}" height="{inner}" fill="none" '
             'stroke="#999"/>',
             f'<text x="{size / 2}" y="20" text-anchor="middle" font-size="13">'
             f'{html.escape(title)}</text>',
             f'<text x="{size / 2}" y="{size - 8}" text-anchor="middle" font-size="11">'
             f'{html.escape(xlabel)}</text>',
             f'<text x="12" y="{size / 2}" font-size="11" transform="rotate(-90 12 {size / 2})" '
             f'text-anchor="middle">{html.escape(ylabel)}</text>']
    for tick in (0, 0.5, 1):
        parts.append(f'<text x="{pad - 4}" y="{size - pad - tick * inner + 4:.1f}" '
                     f'font-size="10" text-anchor="end">{tick:g}</text>')
        parts.append(f'<text x="{pad + tick * inner:.1f}" y="{size - pad + 14}" '
                     f'font-size="10" text-anchor="middle">{tick:g}</text>')
    for n, (name, colour, points) in enumerate(series):
        path = " ".join(xy(min(max(x, 0), 1), min(max(y, 0), 1)) for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                     'stroke-width="2"/>')
        for x, y in points:
            parts.append(f'<circle cx="{xy(x, y).split(",")[0]}" cy="{xy(x, y).split(",")[1]}" '
                         f'r="2.5" fill="{colour}"/>')
        parts.append(f'<text x="{pad + 8}" y="{pad + 16 + 14 * n}" font-size="11" '
                     f'fill="{colour}">{html.escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def chart_html(y: np.ndarray, p: np.ndarray, title: str) -> str:
    """Calibration curve, cumulative gains and lift by decile on one page."""
    cal = calibration(y, p)
    top = max(max(c[0] for c in cal), max(c[1] for c in cal), 1e-9)
    scale = min(1.0, round(top * 1.1 + 0.005, 2))  # zoom: lead scores are mostly small
    calibration_svg = _svg_plot(
        f"Calibration (axes 0 to {scale:g})",
        [("perfect", "#bbb", [(0, 0), (1, 1)]),
         ("model", "#1f6feb", [(a / scale, b / scale) for a, b, _ in cal])],
        "mean predicted", "observed rate")
    table = deciles(y, p)
    gains_svg = _svg_plot(
        "Cumulative gains",
        [("random", "#bbb", [(0, 0), (1, 1)]),
         ("model", "#1a7f37", [(0, 0)] + [(r["decile"] / 10, r["cum_gain"]) for r in table])],
        "share of leads called (by score)", "share of positives found")
    max_lift = max([r["lift"] for r in table] + [1.0])
    lift_svg = _svg_plot(
        f"Lift by decile (axis 0 to {max_lift:.1f})",
        [("base rate", "#bbb", [(0, 1 / max_lift), (1, 1 / max_lift)]),
         ("model", "#bf3989", [((r["decile"] - 0.5) / 10, r["lift"] / max_lift) for r in table])],
        "decile (1 = highest scores)", "lift")
    s = summary(y, p)
    rows = "".join(
        f"<tr><td>{r['decile']}</td><td>{r['rows']}</td><td>{r['mean_score']:.3f}</td>"
        f"<td>{r['conversion']:.1%}</td><td>{r['lift']:.2f}</td><td>{r['cum_gain']:.1%}</td></tr>"
        for r in table)
    return (
        "<!doctype html><html><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2em}svg{margin:0 1em 1em 0}"
        "td,th{padding:2px 10px;text-align:right}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f"<p>{s['rows']:,} rows, {s['positives']:,} positive; AUC {s['auc']:.4f}, "
        f"log loss {s['log_loss']:.4f}, lift at top decile {s['lift_top_decile']:.2f}</p>"
        f"<div>{calibration_svg}{gains_svg}{lift_svg}</div>"
        "<table><tr><th>decile</th><th>rows</th><th>mean score</th><th>conversion</th>"
        f"<th>lift</th><th>cum. gain</th></tr>{rows}</table></body></html>\n"
    )
