# syntax=docker/dockerfile:1
#
# Leadgate's image: one image for every role (docs/deploy.md). The command
# picks the role:
#
#   leadgate web --host 0.0.0.0 --port 8000    (the default CMD)
#   leadgate worker [--queues urgent,default]
#   leadgate scheduler
#   leadgate migrate                           (once per deploy, before the rest)
#
# Build: docker build -t leadgate .

# --- build: wheels for the project and every dependency, compilers allowed ---
FROM python:3.11-slim AS build

RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY leadgate ./leadgate

# The [scale] extra: PostgreSQL (psycopg) and task workers on Redis
# (django-tasks-rq, django-rq, rq, redis), pinned in pyproject.toml.
RUN pip wheel --wheel-dir /wheels ".[scale]"

# The wheel must carry every file of the package: templates and static files
# of each app, not only the project's own (a wheel without them builds fine and
# fails on the first page). Stops the build naming what is missing.
RUN python - <<'EOF'
import glob, pathlib, sys, zipfile
wheel = zipfile.ZipFile(glob.glob("/wheels/leadgate-*.whl")[0])
packed = set(wheel.namelist())
source = pathlib.Path("/src")
missing = sorted(str(path.relative_to(source)) for path in (source / "leadgate").rglob("*")
                 if path.is_file() and "__pycache__" not in path.parts
                 and str(path.relative_to(source)) not in packed)
if missing:
    sys.exit(f"the leadgate wheel lacks {len(missing)} files, e.g. {missing[:3]}: "
             "list them in [tool.setuptools.package-data] of pyproject.toml")
EOF


# --- runtime: the wheels installed, no compilers, not root ---
FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PATH=/opt/leadgate/bin:$PATH \
    LEADGATE_DATA_DIR=/data

RUN groupadd --system --gid 10001 leadgate \
 && useradd --system --uid 10001 --gid leadgate --home-dir /home/leadgate --create-home \
            --shell /usr/sbin/nologin leadgate

# The wheels are mounted from the build stage, not copied: no layer keeps them.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python -m venv /opt/leadgate \
 && /opt/leadgate/bin/pip install --no-index --find-links=/wheels "leadgate[scale]"

# LEADGATE_DATA_DIR: uploads being imported (the web app writes them, the
# worker taking the "imports" queue reads them: share it between the two),
# email written as files when EMAIL_HOST is unset, the log file, SQLite when
# DATABASE_URL is unset. Static files are served by whitenoise straight from
# the installed package (WHITENOISE_USE_FINDERS), so no collectstatic here:
# STATIC_ROOT lies in this volume, which would hide what a build put there.
RUN mkdir -p /data && chown leadgate:leadgate /data
VOLUME ["/data"]
WORKDIR /home/leadgate

USER leadgate
EXPOSE 8000

# For `leadgate web` only (compose.yaml turns it off for the other roles).
# The request's Host is 127.0.0.1: ALLOWED_HOSTS must include it.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

CMD ["leadgate", "web", "--host", "0.0.0.0", "--port", "8000"]
