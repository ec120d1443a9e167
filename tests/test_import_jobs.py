"""Web imports and previews run as background jobs on the "imports" queue,
never in the request: the run is queued, the job reads the file (writing its
progress), and a job lost with its worker, or a file that stops being
readable part-way, leaves the run failed with the reason."""

import io
import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from leadgate.intake import import_jobs, import_views, imports
from leadgate.intake.import_jobs import run_import_job, uploads_dir
from leadgate.intake.importers.readers import open_table
from leadgate.intake.imports import ImportOptions, Progress, figures, run_import
from leadgate.intake.models import ImportRun
from leadgate.intake.tasks import fail_lost_imports
from leadgate.leads.models import Lead
from leadgate.leads.queue import IMPORTS_QUEUE
from leadgate.leads.worker import reap_lost_tasks
from tests.factories import make_user
from tests.import_queue import queued_imports, run_import_tasks

pytestmark = pytest.mark.django_db

CSV = (
    "First Name,Last Name,Email,Phone,Company,Note\n"
    "Ada,Lovelace,ada@analytical.example,+44 20 7946 0958,Analytical Engines,first\n"
    "Grace,Hopper,grace@navy.example,,US Navy,\n"
    "Ada,Lovelace,ADA@analytical.example,,Analytical Engines Ltd,\n"
    ",,,,Nobody Inc,\n"
    "Alan,Turing,,+1 415 555 0100,Bletchley,\n"
)
FIELDS = {"col-0": "first_name", "col-1": "last_name", "col-2": "email", "col-3": "phone",
          "col-4": "company", "col-5": "", "source": "Fair"}


@pytest.fixture(autouse=True)
def data_dir(tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture
def maria(db):
    return make_user("maria", "marketing")


def upload(client, text: str = CSV) -> str:
    """Upload the file; the mapping page's URL."""
    response = client.post(reverse("import-upload"), {
        "file": SimpleUploadedFile("leads.csv", text.encode(), content_type="text/csv"),
        "target": "leads", "preset": ""})
    assert response.status_code == 302
    return response["Location"]


def queued(client, action: str, text: str = CSV) -> ImportRun:
    """Upload, then press Preview ("preview") or Import ("run"): the run queued."""
    response = client.post(upload(client, text), {**FIELDS, "action": action})
    assert response.status_code == 302
    run = ImportRun.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))
    assert response["Location"] == reverse("import-run", args=[run.pk])
    return run


def stop_after(rows: int, settings) -> None:
    """Files stop being readable after `rows` rows: the import's row limit."""
    settings.LEADGATE_IMPORT_MAX_ROWS = rows


# -- queued, then run by the job ------------------------------------------------------

def test_it_answers_a_preview_with_a_redirect_having_read_no_row(client, maria, monkeypatch):
    def rows_refused():
        raise AssertionError("a data row was read in the request")
        yield

    def headers_only(path, **kwargs):
        table = open_table(path, **kwargs)
        table.rows = rows_refused()
        return table

    monkeypatch.setattr(import_views, "open_table", headers_only)
    monkeypatch.setattr(imports, "open_table", headers_only)
    client.force_login(maria)
    run = queued(client, "preview")
    assert (run.state, run.progress, run.rows, run.dry_run) == ("queued", 0, 0, True)
    (task,) = queued_imports()
    assert (task.task_path, task.args_kwargs["args"]) == (run_import_job.module_path, [run.pk])
    assert str(task.id) == run.task_id


def test_it_runs_a_queued_preview_in_the_job_writing_nothing(client, maria):
    client.force_login(maria)
    run = queued(client, "preview")
    assert run_import_tasks() == ["done"]
    run.refresh_from_db()
    assert (run.state, run.progress, run.by) == ("done", 5, maria)
    assert {name: figures(run)[name] for name in ("rows", "created", "merged", "rejected")} == {
        "rows": 5, "created": 3, "merged": 1, "rejected": 1}
    assert not Lead.objects.exists()


def test_it_imports_the_rows_only_in_the_job(client, maria):
    client.force_login(maria)
    run = queued(client, "run")
    assert not Lead.objects.exists()
    assert run_import_tasks() == ["done"]
    run.refresh_from_db()
    assert (run.state, run.created, run.source.name) == ("done", 3, "Fair")
    assert Lead.objects.count() == 3
    assert not any(uploads_dir().iterdir())  # imported: the upload is gone


def test_it_names_what_is_wrong_with_the_mapping_and_queues_nothing(client, maria):
    client.force_login(maria)
    nothing = {name: "" for name in FIELDS}
    response = client.post(upload(client), {**nothing, "action": "preview"})
    assert response.status_code == 400
    assert "no recognisable columns" in response.content.decode()
    assert not ImportRun.objects.exists() and not queued_imports()


@pytest.mark.django_db(transaction=True)
def test_it_writes_the_rows_read_while_the_job_runs_outside_any_transaction(
        client, maria, monkeypatch):
    client.force_login(maria)
    queued(client, "preview")
    options_of = import_jobs.options_of

    def in_chunks_of_two(run):
        options = options_of(run)
        options.chunk_size = 2
        return options

    monkeypatch.setattr(import_jobs, "options_of", in_chunks_of_two)
    monkeypatch.setattr(imports, "PROGRESS_SECONDS", 0)
    written: list[tuple[int, str, bool]] = []
    note = ImportRun.note_progress

    def noted(self, rows, fraction=None):
        note(self, rows, fraction)
        stored = ImportRun.objects.get(pk=self.pk)
        written.append((stored.progress, stored.state, connection.in_atomic_block))

    monkeypatch.setattr(ImportRun, "note_progress", noted)
    run_import_tasks()
    assert written == [(2, "running", False), (4, "running", False), (5, "running", False)]


def test_it_writes_the_rows_read_at_most_once_a_second(maria):
    run = ImportRun.objects.create(file_name="x.csv", by=maria, state="running")
    now = [100.0]
    unknown = SimpleNamespace(fraction=lambda: 0.0)  # a reader that cannot tell how far
    progress = Progress(run, table=unknown, bar=lambda rows: None,  # type: ignore[arg-type]
                        clock=lambda: now[0])
    seen = []
    for seconds, rows in ((0.0, 2), (0.4, 2), (0.9, 2), (1.0, 2), (1.5, 2), (2.1, 1)):
        now[0] = 100.0 + seconds
        progress(rows)
        seen.append(ImportRun.objects.get(pk=run.pk).progress)
    assert seen == [2, 2, 2, 8, 8, 11]


def test_it_keeps_a_command_line_import_synchronous_and_done(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text(CSV, encoding="utf-8")
    call_command("import", str(path), "--quiet", stdout=io.StringIO())
    run = ImportRun.objects.get()
    assert (run.state, run.progress, run.created, run.task_id) == ("done", 5, 3, "")


# -- failures -------------------------------------------------------------------------

def test_it_fails_a_job_whose_file_stops_part_way_keeping_the_rows_taken(
        client, maria, settings):
    client.force_login(maria)
    run = queued(client, "run")
    stop_after(3, settings)
    assert run_import_tasks() == ["failed"]
    run.refresh_from_db()
    assert run.state == "failed"
    assert run.failure.startswith("the file has more than 3 rows, the limit "
                                  "(LEADGATE_IMPORT_MAX_ROWS)")
    assert (run.rows, run.created, run.merged, run.progress) == (3, 2, 1, 3)
    assert Lead.objects.count() == 2
    page = client.get(reverse("import-run", args=[run.pk])).content.decode()
    assert "The file has more than 3 rows, the limit" in page
    assert "importing the file again skips them" in page


def test_it_skips_the_rows_taken_before_the_stop_when_the_file_is_imported_again(
        tmp_path, settings):
    path = tmp_path / "leads.csv"
    path.write_text(CSV, encoding="utf-8")
    stop_after(3, settings)
    with pytest.raises(imports.ImportFailed):
        run_import(path, ImportOptions())
    settings.LEADGATE_IMPORT_MAX_ROWS = 1000
    again = run_import(path, ImportOptions())
    assert (again.skipped, again.created, again.rejected) == (3, 1, 1)


def test_it_takes_the_rows_parsed_in_worker_processes_before_the_stop(tmp_path, settings):
    path = tmp_path / "leads.csv"
    path.write_text(CSV, encoding="utf-8")
    stop_after(4, settings)
    with pytest.raises(imports.ImportFailed) as stopped:
        run_import(path, ImportOptions(workers=1, chunk_size=1))
    run = stopped.value.run
    assert (run.rows, run.created, run.merged, run.rejected) == (4, 2, 1, 1)


def test_it_prints_the_failure_and_exits_non_zero_when_the_file_stops_part_way(
        tmp_path, settings):
    path = tmp_path / "leads.csv"
    path.write_text(CSV, encoding="utf-8")
    stop_after(2, settings)
    out = io.StringIO()
    with pytest.raises(CommandError, match="the file has more than 2 rows, the limit"):
        call_command("import", str(path), "--quiet", stdout=out)
    assert "Stopped part-way: imported leads.csv: 2 rows" in out.getvalue()
    assert ImportRun.objects.get().state == "failed"


def test_it_fails_the_run_of_a_job_that_stops_unexpectedly_and_logs_it(
        client, maria, monkeypatch, caplog):
    client.force_login(maria)
    run = queued(client, "run")

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is on fire\nand more")

    monkeypatch.setattr(imports, "receive_many", broken)
    with caplog.at_level(logging.ERROR, logger="leadgate.imports"):
        assert run_import_tasks() == ["failed"]
    run.refresh_from_db()
    assert run.failure == "the import stopped: RuntimeError: the disk is on fire"
    assert f"import run {run.pk} stopped" in caplog.text


def test_it_fails_a_job_whose_upload_is_gone(client, maria):
    client.force_login(maria)
    run = queued(client, "preview")
    (uploads_dir() / run.upload).unlink()
    assert run_import_tasks() == ["failed"]
    run.refresh_from_db()
    assert run.failure == "the uploaded file is gone: upload it again"


def lost(run: ImportRun) -> None:
    """The run's worker took it, then was killed; the reaper fails its task."""
    start = timezone.now() - timedelta(minutes=5)
    ImportRun.objects.filter(pk=run.pk).update(state="running", started_at=start)
    DBTaskResult.objects.filter(pk=run.task_id).update(
        status=TaskResultStatus.RUNNING, started_at=start, worker_ids=["killed"])
    assert reap_lost_tasks() == 1


def test_it_shows_a_run_failed_once_its_page_sees_its_task_lost(client, maria):
    client.force_login(maria)
    run = queued(client, "run")
    lost(run)
    page = client.get(reverse("import-run-status", args=[run.pk])).content.decode()
    assert "its worker stopped while running it" in page
    assert "hx-trigger" not in page  # no more polling
    assert ImportRun.objects.get(pk=run.pk).state == "failed"


def test_it_fails_the_runs_of_lost_tasks_in_the_periodic_sweep(client, maria):
    client.force_login(maria)
    gone, waiting = queued(client, "run"), queued(client, "preview")
    lost(gone)
    assert fail_lost_imports.call() == 1
    assert ImportRun.objects.get(pk=gone.pk).state == "failed"
    assert ImportRun.objects.get(pk=waiting.pk).state == "queued"


def test_it_fails_a_command_line_run_nothing_was_heard_from_for_a_quarter_hour(maria):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        run = ImportRun.objects.create(file_name="x.csv", state="running", progress_at=start)
        clock.shift(timedelta(minutes=14))
        assert fail_lost_imports.call() == 0
        clock.shift(timedelta(minutes=2))
        assert fail_lost_imports.call() == 1
    run.refresh_from_db()
    assert (run.state, run.failure) == (
        "failed", "the import stopped: nothing was heard from it for a quarter of an hour")


# -- the run's page -------------------------------------------------------------------

def test_it_polls_the_state_of_a_queued_run_and_stops_once_done(client, maria):
    client.force_login(maria)
    run = queued(client, "preview")
    url = reverse("import-run-status", args=[run.pk])
    waiting = client.get(url).content.decode()
    assert f'hx-get="{url}"' in waiting and 'hx-trigger="every 1s"' in waiting
    assert "No row has been read yet" in waiting
    run_import_tasks()
    done = client.get(url).content.decode()
    assert "hx-trigger" not in done and "would be created" in done


def test_it_shows_the_rows_read_so_far_of_a_running_run(client, maria):
    client.force_login(maria)
    run = queued(client, "run")
    ImportRun.objects.filter(pk=run.pk).update(state="running", progress=12_345)
    page = client.get(reverse("import-run-status", args=[run.pk])).content.decode()
    assert "<strong data-progress>12,345</strong> rows read so far" in page


def test_it_shows_a_run_only_to_its_author_and_managers(client, maria, mia):
    client.force_login(maria)
    run = queued(client, "preview")
    url = reverse("import-run-status", args=[run.pk])
    client.force_login(make_user("mark", "marketing"))
    assert client.get(url).status_code == 403
    assert client.get(reverse("import-run", args=[run.pk])).status_code == 403
    client.force_login(mia)
    assert client.get(url).status_code == 200
    client.force_login(make_user("quinn", "qualifier"))
    assert client.get(url).status_code == 403


def test_it_imports_the_rows_of_a_finished_preview_with_its_options(client, maria):
    client.force_login(maria)
    preview = queued(client, "preview")
    run_import_tasks()
    page = client.get(reverse("import-run", args=[preview.pk])).content.decode()
    assert "Import these rows" in page
    response = client.post(reverse("import-run-import", args=[preview.pk]))
    run = ImportRun.objects.get(dry_run=False)
    assert response["Location"] == reverse("import-run", args=[run.pk])
    assert (run.state, run.options, run.upload) == ("queued", preview.options, preview.upload)
    assert run_import_tasks() == ["done"]
    run.refresh_from_db()
    preview.refresh_from_db()
    assert figures(run) == figures(preview) and figures(run)["created"] == 3


def test_it_imports_a_preview_once(client, maria):
    client.force_login(maria)
    preview = queued(client, "preview")
    run_import_tasks()
    client.post(reverse("import-run-import", args=[preview.pk]))
    again = client.post(reverse("import-run-import", args=[preview.pk]), follow=True)
    assert "This preview cannot be imported" in again.content.decode()
    assert ImportRun.objects.filter(dry_run=False).count() == 1
    assert "Import these rows" not in again.content.decode()


def test_it_goes_back_to_the_mapping_as_the_preview_had_it(client, maria):
    client.force_login(maria)
    map_url = upload(client)
    client.post(map_url, {**FIELDS, "col-5": "message", "campaign": "Spring",
                          "action": "preview"})
    preview = ImportRun.objects.get()
    run_import_tasks()
    page = client.get(reverse("import-run", args=[preview.pk])).content.decode()
    assert f'href="{map_url}?run={preview.pk}"' in page
    mapping = client.get(f"{map_url}?run={preview.pk}").content.decode()
    assert '<option value="message" selected>' in mapping
    assert 'name="campaign" value="Spring"' in mapping


def test_it_lists_recent_runs_with_their_state(client, maria):
    client.force_login(maria)
    queued(client, "preview")
    page = client.get(reverse("import-upload")).content.decode()
    assert '<span class="badge state-queued">Queued</span>' in page


def test_it_queues_the_job_on_the_imports_queue():
    assert run_import_job.queue_name == IMPORTS_QUEUE
