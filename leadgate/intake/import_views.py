"""Imports in the browser: upload a file, check the guessed mapping, then
preview (a dry run) or import it, and follow the run: its rows read while it
goes, then its figures, the summary and the rejected rows to download.

A preview or an import never runs in the request: the mapping page checks
the form, creates the run, queued, and queues its job (intake.import_jobs),
which the imports worker runs; the run's page polls its state (htmx) until
it is done or failed. A finished preview offers to import those rows with the
same options, or to change the mapping.

Marketing, managers and admins only; a run is seen by its author and by
managers and admins. The upload is stored under LEADGATE_DATA_DIR/imports/
uploads with a random name; the browser only ever holds that random token,
so no path comes from the user.
"""

from __future__ import annotations

import itertools
import secrets
from datetime import timedelta
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from leadgate.leads.http import AuthedRequest
from leadgate.leads.lifecycle import Role

from .import_jobs import fail_if_lost, options_of, queue_import, upload_path, uploads_dir
from .importers.encodings import ENCODING_CHOICES, encoding_label
from .importers.presets import REGISTRY, TARGETS, build_mapping, target_fields
from .importers.readers import ReadError, Table, file_encoding, open_table
from .imports import ImportOptions, ImportSetupError, figures, imports_dir, open_import
from .models import ImportRun

IMPORT_ROLES = (Role.MARKETING, Role.MANAGER, Role.ADMIN)
MAX_UPLOAD_BYTES = 50 * 2**20
SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx"}
SAMPLE_ROWS = 5
SESSION_KEY = "import_uploads"


def check_role(request: AuthedRequest) -> None:
    if not request.user.has_role(*IMPORT_ROLES):
        raise PermissionDenied


@login_required
def upload(request: AuthedRequest) -> HttpResponse:
    check_role(request)
    runs = list(ImportRun.objects.filter(by=request.user).order_by("-pk")[:10])
    for run in runs:
        fail_if_lost(run)
    context: dict = {"nav": "import", "presets": REGISTRY.values(), "targets": TARGETS,
                     "max_mb": MAX_UPLOAD_BYTES // 2**20, "runs": runs}
    if request.method != "POST":
        return render(request, "intake/import_upload.html", context)
    file = request.FILES.get("file")
    target = request.POST.get("target", "leads")
    preset = request.POST.get("preset", "")
    error = ""
    suffix = Path(file.name or "").suffix.lower() if file else ""
    if file is None:
        error = "Choose a file to import."
    elif suffix not in SUFFIXES:
        error = f"A {', '.join(sorted(SUFFIXES))} file, please (not {suffix or 'no extension'})."
    elif file.size is None or file.size > MAX_UPLOAD_BYTES:
        error = (f"The file is over {MAX_UPLOAD_BYTES // 2**20} MB: "
                 "import it with `leadgate import` on the server.")
    elif target not in TARGETS or (preset and preset not in REGISTRY):
        error = "Unknown import type or preset."
    if error:
        context["error"] = error
        return render(request, "intake/import_upload.html", context, status=400)
    assert file is not None
    token = secrets.token_hex(16)
    with open(uploads_dir() / f"{token}{suffix}", "wb") as out:
        for part in file.chunks():
            out.write(part)
    uploads = request.session.get(SESSION_KEY, {})
    uploads[token] = {"name": Path(file.name or "upload").name[:200], "suffix": suffix,
                      "target": target, "preset": preset}
    request.session[SESSION_KEY] = uploads
    return redirect("import-map", token=token)


def uploaded(request: AuthedRequest, token: str) -> tuple[dict, Path]:
    info = request.session.get(SESSION_KEY, {}).get(token)
    if not info:
        raise Http404("no such upload")
    path = uploads_dir() / f"{token}{info['suffix']}"
    if not path.is_file():
        raise Http404("the upload is gone")
    return info, path


def first_rows(table: Table) -> list[list[str]]:
    """The first rows' values, shown under their columns on the mapping page."""
    return [values for _, values in itertools.islice(table.rows, SAMPLE_ROWS)]


def columns(headers: list[str], chosen: dict[str, str | None],
            sample: list[list[str]]) -> list[dict]:
    return [{"index": i, "header": header, "field": chosen[header],
             "samples": [row[i] if i < len(row) else "" for row in sample]}
            for i, header in enumerate(headers)]


def forget_upload(request: AuthedRequest, token: str) -> None:
    """An upload imported (or on its way): no mapping page, no second import."""
    uploads = request.session.get(SESSION_KEY, {})
    uploads.pop(token, None)
    request.session[SESSION_KEY] = uploads


def asked_before(request: AuthedRequest, token: str) -> dict:
    """What an earlier run of this upload (`?run=`) was asked: the mapping
    page starts from it when "Change the mapping" leads back to it."""
    pk = request.GET.get("run", "")
    number = pk.isascii() and pk.isdigit() and len(pk) < 18
    run = ImportRun.objects.filter(pk=int(pk)).first() if number else None
    if run is None or Path(run.upload).stem != token or not may_see(request, run):
        return {}
    return {"preset": run.preset, **run.options}


@login_required
def mapping(request: AuthedRequest, token: str) -> HttpResponse:
    """The columns with their guessed fields; preview (dry run) or import,
    both queued as a job, then the run's page."""
    check_role(request)
    info, path = uploaded(request, token)
    target = info["target"]
    before = asked_before(request, token) if request.method == "GET" else {}
    preset = request.POST.get("preset", before.get("preset", info["preset"]))
    if preset and preset not in REGISTRY:
        preset = ""
    # "" reads the file in the encoding detected; a choice overrides it.
    encoding = request.POST.get("encoding", before.get("encoding", ""))
    if encoding and encoding not in dict(ENCODING_CHOICES):
        return render(request, "intake/import_map.html",
                      {"nav": "import", "info": info,
                       "error": f"encoding: unknown encoding {encoding[:40]!r}; choose one "
                                "of the list"}, status=400)
    action = request.POST.get("action") if request.method == "POST" else None
    queueing = action in ("preview", "run")
    try:
        with open_table(path, encoding=encoding) as table:
            headers, kind = table.headers, table.kind
            detected = file_encoding(path) if encoding and kind == "csv" else table.encoding
            # Preview and Import read no row here: the rows are the job's.
            sample = [] if queueing else first_rows(table)
    except ReadError as error:
        return render(request, "intake/import_map.html",
                      {"nav": "import", "info": info, "error": str(error)}, status=400)
    guessed = build_mapping(headers, target, preset)
    chosen = dict(guessed)
    fields = set(target_fields(target))
    for header, value in (before.get("mapping") or {}).items():
        if header in chosen:
            chosen[header] = value if value in fields else None
    # Another preset or encoding: the columns are guessed afresh.
    reread = "apply_preset" in request.POST or "apply_encoding" in request.POST
    if request.method == "POST" and not reread:
        for i, header in enumerate(headers):
            value = request.POST.get(f"col-{i}", "")
            chosen[header] = value if value in fields else None
    context: dict = {
        "nav": "import", "info": info, "token": token, "preset": preset,
        "presets": REGISTRY.values(), "fields": target_fields(target),
        "columns": columns(headers, chosen, sample),
        "source": request.POST.get("source", before.get("source", "")),
        "campaign": request.POST.get("campaign", before.get("campaign", "")),
        "csv": kind == "csv", "encoding": encoding, "encodings": ENCODING_CHOICES,
        "detected_label": encoding_label(detected),
        "reading_label": encoding_label(encoding or detected),
    }
    if not queueing:
        return render(request, "intake/import_map.html", context)
    options = ImportOptions(
        target=target, preset=preset, encoding=encoding,
        source=context["source"].strip()[:100],
        campaign=context["campaign"].strip()[:200], dry_run=action == "preview",
        by=request.user,
        mapping={header: field or "-" for header, field in chosen.items()},
    )
    try:  # the header and the mapping only
        open_import(path, options).table.close()
    except ImportSetupError as error:
        with open_table(path, encoding=encoding) as table:
            context["columns"] = columns(headers, chosen, first_rows(table))
        context["error"] = str(error)
        return render(request, "intake/import_map.html", context, status=400)
    run = queue_import(options, upload=path.name, file_name=info["name"])
    if action == "run":
        forget_upload(request, token)
    return redirect("import-run", pk=run.pk)


def may_see(request: AuthedRequest, run: ImportRun) -> bool:
    return run.by_id == request.user.pk or request.user.has_role(Role.MANAGER, Role.ADMIN)


def visible_run(request: AuthedRequest, pk: int) -> ImportRun:
    check_role(request)
    run = get_object_or_404(ImportRun.objects.select_related("by", "source", "campaign"), pk=pk)
    if not may_see(request, run):
        raise PermissionDenied
    return run


def duration(elapsed: timedelta) -> str:
    seconds = max(0, int(elapsed.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    if hours:
        return f"{hours} h {rest // 60} min"
    return f"{rest // 60} min {rest % 60} s" if rest >= 60 else f"{rest} s"


def run_context(request: AuthedRequest, run: ImportRun) -> dict:
    """What the run's page shows; a run whose job was lost is failed first."""
    fail_if_lost(run)
    token = Path(run.upload).stem if run.upload else ""
    # Imported meanwhile, or uploaded in another session: not to map or import again.
    upload_here = bool(token) and token in request.session.get(SESSION_KEY, {}) and (
        upload_path(run) is not None)
    encoding = run.mapping.get("encoding") or ""
    return {
        "nav": "import", "run": run, "figures": figures(run),
        "errors_ready": bool(error_path(run)),
        "encoding_label": encoding_label(encoding) if encoding else "",
        "elapsed": duration(timezone.now() - run.started_at)
        if run.state == ImportRun.State.RUNNING else "",
        "percent": round(run.fraction * 100) if run.fraction is not None else None,
        "ahead": ImportRun.objects.filter(state__in=ImportRun.ACTIVE, pk__lt=run.pk)
        .exclude(task_id="").count() if run.state == ImportRun.State.QUEUED else 0,
        "can_import": run.dry_run and run.state == ImportRun.State.DONE and upload_here,
        "remap_token": token if run.dry_run and not run.active and upload_here else "",
    }


@login_required
@require_safe
def run_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    run = visible_run(request, pk)
    return render(request, "intake/import_run.html", run_context(request, run))


@login_required
@require_safe
def run_status(request: AuthedRequest, pk: int) -> HttpResponse:
    """The run's state, polled by its page while it is queued or running; once
    it ends, the figures (without the polling, which stops)."""
    run = visible_run(request, pk)
    return render(request, "intake/_import_run_status.html", run_context(request, run))


@login_required
@require_POST
def import_previewed(request: AuthedRequest, pk: int) -> HttpResponse:
    """Import the rows of a finished preview, with the options it was run with."""
    preview = visible_run(request, pk)
    context = run_context(request, preview)
    if not context["can_import"]:
        messages.error(request, "This preview cannot be imported: the upload is gone "
                       "(imported already, or uploaded in another session). Upload the "
                       "file again.")
        return redirect("import-run", pk=preview.pk)
    options = options_of(preview)
    options.dry_run, options.by = False, request.user
    run = queue_import(options, upload=preview.upload, file_name=preview.file_name)
    forget_upload(request, context["remap_token"])
    return redirect("import-run", pk=run.pk)


def error_path(run: ImportRun) -> Path | None:
    """The run's row-error file, only when it is one of ours (under imports/)."""
    if not run.errors_file:
        return None
    path = Path(run.errors_file).resolve()
    if not path.is_relative_to(imports_dir().resolve()) or not path.is_file():
        return None
    return path


@login_required
def run_errors(request: AuthedRequest, pk: int) -> FileResponse:
    run = visible_run(request, pk)
    path = error_path(run)
    if path is None:
        raise Http404("no row-error file")
    return FileResponse(open(path, "rb"), as_attachment=True,  # noqa: SIM115
                        filename=f"import-{run.pk}-errors.csv", content_type="text/csv")
