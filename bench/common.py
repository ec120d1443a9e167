"""What every benchmark script does around its measurement: a fresh database in
a temporary folder, and cleaning up after."""

import os
import shutil
import tempfile
from pathlib import Path


def fresh_environment(prefix: str, database_url: str | None = None) -> Path:
    """Point Leadgate's settings at a new temporary folder (and SQLite file in
    it, unless `database_url` names an EMPTY database). Call before django.setup()."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["LEADGATE_DATA_DIR"] = str(workdir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadgate.settings")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["LEADGATE_SQLITE_PATH"] = str(workdir / "leadgate.sqlite3")
    return workdir


def finish(workdir: Path, keep: bool) -> None:
    if keep:
        print(f"kept: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
