"""Benchmark reading XLSX imports: the guarded reader (`importers.xlsx`)
against openpyxl's own read-only reader with each cell made text (what
imports did before), on a
realistic workbook and on the hostile ones of the test suite.

    .venv/bin/python bench/bench_xlsx.py --rows 100000 [--timeout 30]

Each read runs in its own process, so its peak memory (max RSS) is its own;
a read still going after --timeout seconds is stopped and shown as such. The
realistic workbook holds the leads of bench_import.py (names, emails, phones,
titles, countries), written by openpyxl with shared strings, as Excel writes.
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_import import generate  # noqa: E402 - bench/ is the script's folder

from tests import hostile_files  # noqa: E402

# Both readers run after the same set-up (Django and the app loaded), and
# time only the reading.
SETUP = """
import os, sys, time, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadgate.settings")
django.setup()
from leadgate.intake.importers.readers import ReadError, open_table
started = time.perf_counter()
"""
# Peak memory from /proc (ru_maxrss would carry the parent's over exec).
DONE = """
print(time.perf_counter() - started)
print(next(int(line.split()[1]) // 1024 for line in open("/proc/self/status")
           if line.startswith("VmHWM:")))
"""
READ_GUARDED = SETUP + """
try:
    with open_table(sys.argv[1]) as table:
        print(sum(1 for _ in table.rows), "rows")
except ReadError as error:
    print("refused:", str(error)[:60])
""" + DONE
READ_OPENPYXL = SETUP + """
from openpyxl import load_workbook
from leadgate.intake.importers.table import cell_text
book = load_workbook(sys.argv[1], read_only=True, data_only=True)
rows = (["" if value is None else cell_text(value) for value in row]
        for row in book.worksheets[0].iter_rows(values_only=True))
print(sum(1 for texts in rows if any(text.strip() for text in texts)) - 1, "rows")
""" + DONE


def workbook_of_leads(path: Path, rows: int) -> Path:
    import csv

    from openpyxl import Workbook

    csv_path = path.with_suffix(".csv")
    generate(csv_path, rows)
    book = Workbook()
    sheet = book.active
    with open(csv_path, newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            sheet.append(row)
    book.save(path)
    return path


def peak_of(pid: int) -> float:
    """A running process's peak resident memory so far, in MB (Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def measure(script: str, path: Path, timeout: float) -> tuple[str, float, float]:
    """(what it read, seconds reading, peak MB) of one read in a child process."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", script, str(path)], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = child.communicate(timeout=timeout)
        lines = out.strip().splitlines()
        if child.returncode or len(lines) < 3:
            return ((err.strip().splitlines() or ["failed"])[-1][:60],
                    time.perf_counter() - started, float("nan"))
        return lines[0], float(lines[1]), float(lines[2])
    except subprocess.TimeoutExpired:
        peak = peak_of(child.pid)
        child.kill()
        child.communicate()
        return f"still reading after {timeout:.0f} s: stopped", time.perf_counter() - started, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="leadgate-bench-xlsx-") as folder:
        work = Path(folder)
        files = [
            (f"{args.rows:,} leads (Excel-like)",
             workbook_of_leads(work / "leads.xlsx", args.rows)),
            ("one cell at XFD1048576", hostile_files.far_cell(work / "far.xlsx")),
            ("shared-strings bomb (200 MB)", hostile_files.shared_strings_bomb(work / "s.xlsx")),
            ("3 million rows in a small zip", hostile_files.many_rows(work / "rows.xlsx")),
            ("entity bomb", hostile_files.billion_laughs(work / "laughs.xlsx")),
        ]
        print(f"\n{'file':32} {'KB':>8} | {'reader':9} {'result':44} {'s':>7} {'peak MB':>8}")
        for name, path in files:
            kb = path.stat().st_size // 1024
            results = {}
            for reader, script in (("openpyxl", READ_OPENPYXL), ("guarded", READ_GUARDED)):
                results[reader] = measure(script, path, args.timeout)
                said, seconds, peak = results[reader]
                print(f"{name:32} {kb:>8,} | {reader:9} {said[:44]:44} {seconds:7.2f} "
                      f"{peak:8.0f}", flush=True)
            ratio = results["guarded"][1] / max(results["openpyxl"][1], 1e-9)
            print(f"{'':32} {'':>8} | time guarded/openpyxl: {ratio:.2f}"
                  + (" (openpyxl was stopped)" if "stopped" in results["openpyxl"][0] else ""))


if __name__ == "__main__":
    main()
