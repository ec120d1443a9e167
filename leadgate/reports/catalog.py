"""Every report, registered on import (views, the API and tests import this)."""

from . import (  # noqa: F401 - each module registers its reports
    coverage,
    qualifiers,
    revenue_gap,
    scorecard,
    segment_tests,
    sources,
    speed,
    waterfall,
)
from .registry import REPORTS, readable_by

__all__ = ["REPORTS", "readable_by"]
