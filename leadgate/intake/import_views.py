"""Imports in the browser: upload a file, check the guessed mapping, preview
(a dry run), run, then see the summary and download the rejected rows.

A preview reads the database without a write transaction (see
intake.imports), so previewing a big file makes no one wait.

Marketing, managers and admins only. The upload is stored under
LEADGATE_DATA_DIR/imports/uploads with a random name; the browser only ever
holds that random token, so no path comes from the user. Imports run in the
request: fine for files up to a few ten thousand rows; bigger files belong on
the command line (`leadgate import`), or in a background task later.
"""

from __future__ import annotations

import itertools
import secrets
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from leadgate.leads.http import AuthedRequest
from leadgate.leads.lifecycle import Role

from .importers.encodings import ENCODING_CHOICES, encoding_label
from .importers.presets import REGISTRY, TARGETS, build_mapping, target_fields
from .importers.readers import ReadError, file_encoding, open_table
from .imports import ImportOptions, ImportSetupError, figures, imports_dir, run_import
from .models import ImportRun

IMPORT_ROLES = (Role.MARKETING, Role.MANAGER, Role.ADMIN)
MAX_UPLOAD_BYTES = 50 * 2**20
SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx"}
SAMPLE_ROWS = 5
SESSION_KEY = "import_uploads"


def check_role(request: AuthedRequest) -> None:
    if not request.user.has_role(*IMPORT_ROLES):
        raise PermissionDenied


def uploads_dir() -> Path:
    path = imports_dir() / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


@login_required
def upload(request: AuthedRequest) -> HttpResponse:
    check_role(request)
    context: dict = {"nav": "import", "presets": REGISTRY.values(), "targets": TARGETS,
                     "max_mb": MAX_UPLOAD_BYTES // 2**20,
                     "runs": ImportRun.objects.filter(by=request.user).order_by("-pk")[:10]}
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


@login_required
def mapping(request: AuthedRequest, token: str) -> HttpResponse:
    """The columns with their guessed fields; preview (dry run) or run."""
    check_role(request)
    info, path = uploaded(request, token)
    target = info["target"]
    preset = request.POST.get("preset", info["preset"])
    if preset and preset not in REGISTRY:
        preset = ""
    # "" reads the file in the encoding detected; a choice overrides it.
    encoding = request.POST.get("encoding", "")
    if encoding and encoding not in dict(ENCODING_CHOICES):
        return render(request, "intake/import_map.html",
                      {"nav": "import", "info": info,
                       "error": f"encoding: unknown encoding {encoding[:40]!r}; choose one "
                                "of the list"}, status=400)
    try:
        with open_table(path, encoding=encoding) as table:
            headers, kind = table.headers, table.kind
            detected = file_encoding(path) if encoding and kind == "csv" else table.encoding
            sample = [values for _, values in itertools.islice(table.rows, SAMPLE_ROWS)]
    except ReadError as error:
        return render(request, "intake/import_map.html",
                      {"nav": "import", "info": info, "error": str(error)}, status=400)
    guessed = build_mapping(headers, target, preset)
    chosen = dict(guessed)
    # Another preset or encoding: the columns are guessed afresh.
    reread = "apply_preset" in request.POST or "apply_encoding" in request.POST
    if request.method == "POST" and not reread:
        fields = set(target_fields(target))
        for i, header in enumerate(headers):
            value = request.POST.get(f"col-{i}", "")
            chosen[header] = value if value in fields else None
    context: dict = {
        "nav": "import", "info": info, "token": token, "preset": preset,
        "presets": REGISTRY.values(), "fields": target_fields(target),
        "columns": [
            {"index": i, "header": header, "field": chosen[header],
             "samples": [row[i] if i < len(row) else "" for row in sample]}
            for i, header in enumerate(headers)
        ],
        "source": request.POST.get("source", ""), "campaign": request.POST.get("campaign", ""),
        "csv": kind == "csv", "encoding": encoding, "encodings": ENCODING_CHOICES,
        "detected_label": encoding_label(detected),
        "reading_label": encoding_label(encoding or detected),
    }
    action = request.POST.get("action") if request.method == "POST" else None
    if action not in ("preview", "run"):
        return render(request, "intake/import_map.html", context)
    options = ImportOptions(
        target=target, preset=preset, encoding=encoding,
        source=context["source"].strip()[:100],
        campaign=context["campaign"].strip()[:200], dry_run=action == "preview",
        by=request.user,
        mapping={header: field or "-" for header, field in chosen.items()},
    )
    try:
        run = run_import(path, options, file_name=info["name"])
    except ImportSetupError as error:
        context["error"] = str(error)
        return render(request, "intake/import_map.html", context, status=400)
    if action == "preview":
        context["preview"], context["figures"] = run, figures(run)
        return render(request, "intake/import_map.html", context)
    path.unlink(missing_ok=True)
    uploads = request.session.get(SESSION_KEY, {})
    uploads.pop(token, None)
    request.session[SESSION_KEY] = uploads
    return redirect("import-run", pk=run.pk)


def may_see(request: AuthedRequest, run: ImportRun) -> bool:
    return run.by_id == request.user.pk or request.user.has_role(Role.MANAGER, Role.ADMIN)


@login_required
def run_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    check_role(request)
    run = get_object_or_404(ImportRun, pk=pk)
    if not may_see(request, run):
        raise PermissionDenied
    encoding = run.mapping.get("encoding") or ""
    return render(request, "intake/import_run.html", {
        "nav": "import", "run": run, "figures": figures(run),
        "errors_ready": bool(error_path(run)),
        "encoding_label": encoding_label(encoding) if encoding else ""})


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
    check_role(request)
    run = get_object_or_404(ImportRun, pk=pk)
    if not may_see(request, run):
        raise PermissionDenied
    path = error_path(run)
    if path is None:
        raise Http404("no row-error file")
    return FileResponse(open(path, "rb"), as_attachment=True,  # noqa: SIM115
                        filename=f"import-{run.pk}-errors.csv", content_type="text/csv")
