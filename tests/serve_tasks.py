"""A task for the serve test: proves the worker that `leadgate serve` starts
picks up work from the database queue."""

from pathlib import Path

from django_tasks import task


@task()
def write_marker(path: str, text: str) -> None:
    Path(path).write_text(text)
