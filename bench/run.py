"""`make bench`: run every benchmark in this folder, each in its own process
(each sets up its own database), with the sizes given here. Every benchmark
prints its own table with ratios against a baseline measured in the same run."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Modest sizes so `make bench` finishes in minutes; docs/benchmarks.md also
# records the large runs and the commands for them.
BENCHMARKS = [
    ("bench_demo.py", ["--leads", "100000"]),
    ("bench_import.py", ["--rows", "100000"]),
    ("bench_xlsx.py", ["--rows", "100000"]),
    ("eval_model.py", []),
    ("eval_titles.py", []),
    ("bench_api_intake.py", ["--requests", "2000"]),
    ("bench_rescore.py", ["--leads", "100000"]),
    ("bench_queue.py", ["--leads", "200000", "--posts", "200"]),
    ("bench_routing.py", ["--leads", "3000"]),
    ("bench_reports.py", ["--leads", "100000"]),
    ("bench_search.py", ["--leads", "100000"]),
    ("bench_after_intake.py", ["--leads", "500"]),
    # Nurture: the sweep, the sender against bare SMTP, a killed worker (a 10 s
    # lease instead of 5 minutes), and due-to-sent through the real service.
    ("bench_nurture.py", ["--leads", "20000", "--emails", "500", "--kill", "300",
                          "--lease", "10", "--enrollments", "100", "--spread", "60"]),
    # The real service (serve, workers, scheduler) under load, on both databases.
    ("bench_serve.py", ["--seconds", "20", "--import-rows", "50000"]),
    ("bench_serve.py", ["--seconds", "20", "--import-rows", "50000", "--postgres"]),
]


def main() -> int:
    failed = []
    for script, args in BENCHMARKS:
        print(f"\n=== {script} {' '.join(args)}", flush=True)
        result = subprocess.run([sys.executable, str(HERE / script), *args], check=False)
        if result.returncode:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
