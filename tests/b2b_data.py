"""A generated B2B lead export shaped like the real ones the lead model meets.

About 10% of leads convert. Columns: a lead id; an email (unique: an
identifier); the channel (9 values); the landing page (`pages` ids with a long
tail of popularity, some converting much better: pricing and demo variants,
some much worse: careers and blog posts); the UTM campaign (120 values, a weak
signal); the city (300 values, no signal); the company size (a sweet spot in
the middle, a quarter missing); the first-contact date (two years, in order);
and "what matters to you", a free-text answer (60% filled) whose words
reveal part of a hidden intent that drives conversion ("budget approved", "need
pricing" vs "student project", "just browsing").

`generate_b2b(n)` returns rows as dicts of strings (outcome "converted" or
"open"); `write_b2b(path, n)` writes them to a CSV. Used by the tests and by
`bench/eval_model.py --b2b`.
"""

from __future__ import annotations

import csv
import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np

CHANNELS = {"organic search": 0.3, "paid search": 0.0, "paid social": -0.6, "webinar": 0.5,
            "referral": 0.9, "events": 0.2, "email": -0.3, "partner": 0.6, "direct": 0.1}
POSITIVE = ["need pricing for our team", "budget approved this quarter", "want a demo",
            "replacing our current tool", "evaluating vendors now", "rollout to sales team",
            "contract renewal coming up", "need a quote"]
NEGATIVE = ["student project", "just browsing", "researching for a class",
            "looking for a job", "free version only", "personal use", "curious"]
NEUTRAL = ["integrations", "ease of use", "reporting", "good support", "security",
           "mobile app", "price", "onboarding", "api access", "dashboards"]
CITIES = 300
CAMPAIGNS = 120


def _pages(rng: np.random.Generator, count: int) -> tuple[list[str], np.ndarray]:
    """Page ids and their effect on the odds: most near zero, 8% hot, 15% cold."""
    names, effects = [], []
    for i in range(count):
        draw = rng.random()
        if draw < 0.08:
            names.append(f"/{rng.choice(['pricing', 'demo', 'quote', 'trial'])}/v{i}")
            effects.append(rng.normal(1.8, 0.4))
        elif draw < 0.23:
            names.append(f"/{rng.choice(['careers', 'blog', 'glossary'])}/p{i}")
            effects.append(rng.normal(-1.6, 0.4))
        else:
            names.append(f"/{rng.choice(['lp', 'features', 'solutions', 'docs'])}/x{i}")
            effects.append(rng.normal(0, 0.5))
    return names, np.array(effects)


def _zipf(rng: np.random.Generator, count: int, n: int, offset: float = 3.0) -> np.ndarray:
    weights = 1 / (np.arange(count) + offset) ** 1.1
    return rng.choice(count, size=n, p=weights / weights.sum())


def generate_b2b(n: int = 5000, seed: int = 1, pages: int = 400,
                 rate: float = 0.10) -> list[dict[str, str]]:
    return generate_b2b_with_truth(n, seed, pages, rate)[0]


def generate_b2b_with_truth(n: int = 5000, seed: int = 1, pages: int = 400,
                            rate: float = 0.10) -> tuple[list[dict[str, str]], np.ndarray]:
    """The rows and each one's true probability of converting (the best any
    model could score them: its AUC is the ceiling)."""
    rng = np.random.default_rng(seed)
    page_names, page_effect = _pages(rng, pages)
    page = _zipf(rng, pages, n)
    rng.shuffle(order := np.arange(pages))  # popularity unrelated to the effect
    page = order[page]
    campaign_effect = rng.normal(0, 0.3, CAMPAIGNS)
    campaign = _zipf(rng, CAMPAIGNS, n)
    city = _zipf(rng, CITIES, n, offset=1.0)
    channels = list(CHANNELS)
    channel = rng.integers(0, len(channels), n)
    intent = rng.normal(0, 1, n)
    size = np.exp(rng.normal(4.5, 1.6, n))
    size_effect = np.where((size > 50) & (size < 2000), 0.6, -0.4)
    days = np.sort(rng.integers(0, 730, n))
    logit = (np.array([CHANNELS[channels[c]] for c in channel]) + page_effect[page]
             + campaign_effect[campaign] + 1.2 * intent + size_effect)
    low, high = -10.0, 5.0
    for _ in range(40):  # the intercept giving the wanted conversion rate
        mid = (low + high) / 2
        low, high = (mid, high) if np.mean(1 / (1 + np.exp(-(logit + mid)))) < rate else (low, mid)
    p = 1 / (1 + np.exp(-(logit + low)))
    converted = rng.random(n) < p
    rows = []
    for i in range(n):
        answer = ""
        if rng.random() < 0.6:
            parts = [str(rng.choice(NEUTRAL))]
            lean = 1 / (1 + math.exp(-2.0 * intent[i]))
            if rng.random() < 0.8:
                parts.append(str(rng.choice(POSITIVE if rng.random() < lean else NEGATIVE)))
            rng.shuffle(parts)
            answer = ", ".join(parts)
        rows.append({
            "lead_id": f"MQL-{100000 + i}",
            "email": f"person{i}.{rng.integers(10**6)}@company{rng.integers(10**5)}.com",
            "channel": channels[channel[i]],
            "landing_page": page_names[page[i]],
            "utm_campaign": f"cmp_{campaign[i]:03d}_{['emea', 'na', 'apac'][campaign[i] % 3]}",
            "city": f"City {city[i]}",
            "company_size": "" if rng.random() < 0.25 else str(int(size[i])),
            "first_contact": (date(2023, 1, 1) + timedelta(days=int(days[i]))).isoformat(),
            "what_matters": answer,
            "outcome": "converted" if converted[i] else "open",
        })
    return rows, p


def write_b2b(path: Path, n: int = 5000, seed: int = 1, **options: object) -> Path:
    rows = generate_b2b(n, seed, **options)  # type: ignore[arg-type]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path
