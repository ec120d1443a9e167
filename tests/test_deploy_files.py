"""The deployment files (docs/deploy.md) have the shape issue 17 asks for:
compose.yaml runs PostgreSQL, Redis, two web instances behind a proxy, two
task workers and one scheduler from one image and one set of settings, with
no secret written in it; the Dockerfile's runtime image has no compilers and
runs as a user; the systemd units start each role. No Docker engine is
needed: the files are read, and `docker-compose config` runs only where
installed."""

import configparser
import glob
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from django.urls import reverse

from tests.test_settings_declared import readme_table

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
NGINX = ROOT / "deploy" / "nginx" / "leadgate.conf"
SYSTEMD = ROOT / "deploy" / "systemd"
ENV_EXAMPLE = ROOT / "deploy" / "leadgate.env.example"
# What compose.yaml requires from the environment (`${NAME:?...}`), with
# stand-ins for `docker-compose config`.
REQUIRED = {"SECRET_KEY": "stand-in", "POSTGRES_PASSWORD": "standin",
            "LEADGATE_HOSTNAME": "leads.example.com", "LEADGATE_TLS_DIR": "."}
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY$")
# A value taken from the environment: required, or empty when unset.
FROM_ENV = re.compile(r"\$\{[A-Z][A-Z0-9_]*(:\?[^}]*|:-)?\}")


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def services() -> dict[str, dict]:
    return compose()["services"]


def command(service: dict) -> list[str]:
    value = service.get("command", [])
    return value.split() if isinstance(value, str) else list(value)


def leadgate_services() -> dict[str, dict]:
    return {name: service for name, service in services().items()
            if command(service)[:1] == ["leadgate"]}


def by_role(role: str) -> dict[str, dict]:
    return {name: service for name, service in leadgate_services().items()
            if command(service)[1] == role}


def queues(service: dict) -> str:
    args = command(service)
    return args[args.index("--queues") + 1] if "--queues" in args else "urgent,default,imports"


def runtime_stage() -> str:
    """The Dockerfile's last stage: what the image is made of."""
    text = DOCKERFILE.read_text()
    return text[[m.start() for m in re.finditer(r"(?m)^FROM ", text)][-1]:]


def unit_values(name: str, key: str) -> list[str]:
    """Every value of a key that a unit may give several times (configparser
    keeps the last)."""
    return re.findall(rf"(?m)^{key}=(.*)$", (SYSTEMD / name).read_text())


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys as written
    parser.read(SYSTEMD / name)
    return parser


# -- compose.yaml ---------------------------------------------------------------------------

def test_it_runs_postgres_16_with_a_health_check_and_a_volume():
    postgres = services()["postgres"]
    assert postgres["image"] == "postgres:16"
    assert "pg_isready" in postgres["healthcheck"]["test"]
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in postgres["volumes"])


def test_it_runs_redis_7_with_a_health_check():
    redis = services()["redis"]
    assert redis["image"] == "redis:7"
    assert redis["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]


def test_it_runs_two_web_instances_checked_on_healthz():
    web = by_role("web")
    assert len(web) == 2
    for service in web.values():
        host = command(service)[command(service).index("--host") + 1]
        assert host == "0.0.0.0"  # noqa: S104 - inside its container, for the proxy
        assert any("/healthz" in part for part in service["healthcheck"]["test"])


def test_it_runs_two_task_workers_on_redis_taking_urgent_work_first():
    workers = [service for service in by_role("worker").values()
               if "default" in queues(service).split(",")]
    assert len(workers) == 2
    for service in workers:
        assert queues(service).split(",")[0] == "urgent"
        assert service["environment"]["LEADGATE_TASK_BACKEND"] == "rq"
        assert service["environment"]["REDIS_URL"].startswith("redis://redis:")


def test_it_gives_web_imports_exactly_one_worker():
    takers = [name for name, service in by_role("worker").items()
              if "imports" in queues(service).split(",")]
    assert len(takers) == 1


def test_it_runs_exactly_one_scheduler():
    assert list(by_role("scheduler")) == ["scheduler"]


def test_it_runs_every_leadgate_service_from_one_image_with_one_set_of_settings():
    data = compose()
    shared = leadgate_services().values()
    assert len({service["image"] for service in shared}) == 1
    assert all(service["environment"] == data["x-leadgate-env"] for service in shared)
    assert all("leadgate-data:/data" in service["volumes"] for service in shared)


def test_it_writes_no_secret_into_compose():
    for service in services().values():
        for name, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(name):
                assert FROM_ENV.fullmatch(str(value)), name
            # A password inside a URL (DATABASE_URL) comes from the environment too.
            password = re.search(r"://[^:/@]+:([^@]*)@", str(value))
            if password:
                assert FROM_ENV.fullmatch(password.group(1)), name


def test_it_names_only_documented_settings_in_the_shared_environment():
    assert set(compose()["x-leadgate-env"]) - readme_table(first_column=False) == set()


def test_it_migrates_once_before_web_workers_and_scheduler_start():
    migrate = services()["migrate"]
    assert command(migrate)[:2] == ["leadgate", "migrate"]
    assert migrate["restart"] == "no"
    for name, service in leadgate_services().items():
        if name != "migrate":
            condition = service["depends_on"]["migrate"]["condition"]
            assert condition == "service_completed_successfully", name


def test_it_puts_the_proxy_in_front_of_every_web_instance():
    proxy = services()["proxy"]
    assert "./deploy/nginx/leadgate.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    upstream = re.search(r"upstream leadgate \{(.*?)\}", NGINX.read_text(), re.S)
    assert upstream
    servers = set(re.findall(r"server (\w[\w-]*):8000", upstream.group(1)))
    assert servers == set(by_role("web"))
    assert set(proxy["depends_on"]) == set(by_role("web"))


def test_it_passes_the_live_queue_events_through_the_proxy_unbuffered():
    path = reverse("desk-events")
    block = re.search(r"location =? ?" + re.escape(path) + r" \{(.*?)\}", NGINX.read_text(), re.S)
    assert block, f"no location for {path}"
    assert "proxy_buffering off;" in block.group(1)


def test_it_validates_with_docker_compose_where_installed():
    if shutil.which("docker-compose"):
        argv = ["docker-compose", "config", "-q"]
    elif shutil.which("docker") and subprocess.run(
            ["docker", "compose", "version"], capture_output=True).returncode == 0:
        argv = ["docker", "compose", "config", "-q"]
    else:
        pytest.skip("neither docker-compose nor the docker compose plugin is installed "
                    "(apt-get install docker-compose)")
    answer = subprocess.run(argv, cwd=ROOT, env={"PATH": "/usr/bin:/bin:/usr/local/bin",
                                                 **REQUIRED},
                            capture_output=True, text=True, timeout=60)
    assert answer.returncode == 0, answer.stderr


# -- Dockerfile ------------------------------------------------------------------------------

def test_it_builds_the_runtime_image_from_python_slim_without_compilers():
    stage = runtime_stage()
    assert stage.startswith("FROM python:3.11-slim")
    assert not re.search(r"build-essential|\bgcc\b|\bg\+\+|\bclang\b|apt-get install", stage)


def test_it_runs_the_image_as_a_user_other_than_root():
    users = re.findall(r"(?m)^USER\s+(\S+)", runtime_stage())
    assert users
    assert users[-1] not in ("root", "0")


def test_it_checks_the_image_health_on_healthz():
    check = re.search(r"(?m)^HEALTHCHECK (?:.*\\\n)*.*", runtime_stage())
    assert check
    assert "/healthz" in check.group(0)
    assert "curl" not in check.group(0)


def test_it_serves_leadgate_web_on_port_8000_by_default():
    stage = runtime_stage()
    assert re.search(r"(?m)^EXPOSE 8000$", stage)
    assert ('CMD ["leadgate", "web", "--host", "0.0.0.0", "--port", "8000"]'
            in stage.splitlines())


def test_it_keeps_the_data_directory_in_a_volume():
    stage = runtime_stage()
    assert "LEADGATE_DATA_DIR=/data" in stage
    assert re.search(r'(?m)^VOLUME \["/data"\]$', stage)


def test_it_packages_every_template_and_static_file_of_the_apps():
    """The image installs a wheel, not the checkout: package-data must list
    each app's templates and static files, or pages fail in the image only."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]
    packed: set[Path] = set()
    for init in (ROOT / "leadgate").rglob("__init__.py"):
        package = ".".join(init.parent.relative_to(ROOT).parts)
        for key, globs in patterns.items():
            if key in ("*", package):
                for pattern in globs:
                    packed |= {init.parent / found for found in
                               glob.glob(pattern, root_dir=init.parent, recursive=True)}
    data = {path for path in (ROOT / "leadgate").rglob("*")
            if path.is_file() and path.suffix not in (".py", ".pyc")
            and "__pycache__" not in path.parts}
    missing = sorted(str(path.relative_to(ROOT)) for path in data - packed)
    assert not missing, f"{len(missing)} files left out of the wheel, e.g. {missing[:3]}"


# -- systemd ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "role"), [
    ("leadgate-web.service", "web"),
    ("leadgate-worker@.service", "worker"),
    ("leadgate-scheduler.service", "scheduler"),
])
def test_it_starts_each_role_from_its_systemd_unit(name, role):
    start = unit(name)["Service"]["ExecStart"].split()
    assert Path(start[0]).name == "leadgate"
    assert start[1] == role


def test_it_runs_every_unit_as_the_service_user_with_the_shared_settings():
    for name in ("leadgate-web.service", "leadgate-worker@.service",
                 "leadgate-scheduler.service"):
        service = unit(name)["Service"]
        assert service["User"] == "leadgate", name
        assert "/etc/leadgate/leadgate.env" in unit_values(name, "EnvironmentFile"), name


def test_it_lets_each_process_finish_its_work_when_systemd_stops_it():
    for name in ("leadgate-web.service", "leadgate-worker@.service",
                 "leadgate-scheduler.service"):
        assert unit(name)["Service"]["KillMode"] == "mixed", name


# -- deploy/leadgate.env.example --------------------------------------------------------------

def test_it_lists_only_documented_settings_in_the_env_example():
    names = set(re.findall(r"(?m)^#?([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text()))
    assert {"DATABASE_URL", "SECRET_KEY", "REDIS_URL", "LEADGATE_TASK_BACKEND"} <= names
    assert names - readme_table(first_column=False) == set()


def test_it_leaves_the_secrets_of_the_env_example_empty():
    for name, value in re.findall(r"(?m)^([A-Z][A-Z0-9_]*)=(.*)$", ENV_EXAMPLE.read_text()):
        if SECRET_NAME.search(name):
            assert value == "", name
