"""The benchmarks still run (at a tiny size): `make bench` must not rot."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.markers import own_sqlite_service

ROOT = Path(__file__).resolve().parent.parent
pytestmark = own_sqlite_service


@pytest.mark.parametrize(
    ("script", "args", "expected"),
    [
        ("bench_demo.py", ["--leads", "300"], "leadgate demo (all tables)"),
        ("bench_import.py", ["--rows", "500"], "leadgate import again (all skip)"),
        ("bench_xlsx.py", ["--rows", "500", "--timeout", "3"], "time guarded/openpyxl"),
        ("bench_api_intake.py", ["--requests", "40", "--clients", "1,4"], "POST /api/v1/leads"),
        ("bench_after_intake.py", ["--leads", "30", "--batch", "10"], "a lead at a time"),
        # Every registered report, cold in a new process, one filter set.
        ("bench_reports.py", ["--leads", "300", "--sets", "a"], "report runs within the"),
        ("bench_search.py", ["--leads", "500", "--samples", "3"], "slowest page p95"),
        # Exits 1 unless every step is taken once and every email reaches the
        # sink once, also with the worker killed mid-send.
        ("bench_nurture.py", ["--parts", "scheduling,sending,kill", "--leads", "200",
                              "--due-share", "0.2", "--rounds", "2", "--idle-samples", "20",
                              "--emails", "20", "--kill", "30", "--kills", "1", "--lease", "2",
                              "--sink-delay", "0.02"], "goal 0 duplicates, 0 missing: met"),
    ],
)
def test_it_runs_each_benchmark_at_a_small_size(script, args, expected):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert expected in result.stdout
