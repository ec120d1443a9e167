"""Every report, registered on import (views, the API and tests import this)."""

from . import waterfall  # noqa: F401
from .registry import REPORTS, readable_by

__all__ = ["REPORTS", "readable_by"]
