"""The refresh job on a Dagster instance stored in a real PostgreSQL server (deploy/).

The server is started from Debian's `postgresql` binaries on 127.0.0.1 in a temporary
folder. Without them the test is skipped with the reason, unless
CHITIEU_REQUIRE_POSTGRES=1 (set by .ci/run), where it fails.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from orchestration.sample.generate import generate_sample
from tests.helpers import TODAY
from warehouse.home import Home

pytestmark = pytest.mark.slow

DEPLOY_YAML = Path(__file__).parent.parent / "deploy" / "dagster.yaml"
MISSING = "PostgreSQL server binaries not installed; `apt-get install postgresql` or run .ci/run"
PASSWORD = "chitieu-test"
USER, DATABASE = "chitieu", "dagster"


def _unavailable(reason: str) -> None:
    if os.environ.get("CHITIEU_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"CHITIEU_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _bin_dir() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4])
    )
    if not found:
        _unavailable(MISSING)
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    port: int
    env: dict[str, str]  # the DAGSTER_PG_* variables deploy/dagster.yaml reads


def _as_server_user(folder: Path) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the `postgres` system user then."""
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser") is None:
        _unavailable("running as root and `runuser` is missing to start PostgreSQL as postgres")
    try:
        shutil.chown(folder, "postgres", "postgres")
    except LookupError:
        _unavailable("running as root and there is no `postgres` system user")
    return ["runuser", "-u", "postgres", "--"]


@pytest.fixture(scope="module")
def postgres() -> Iterator[Server]:
    bin_dir = _bin_dir()
    try:
        import dagster_postgres  # noqa: F401
    except ImportError:
        _unavailable("dagster-postgres is not installed: `pip install -e '.[dev]'`")
    folder = Path(tempfile.mkdtemp(prefix="chitieu-pg-"))
    prefix = _as_server_user(folder)
    data, port = folder / "data", _free_port()
    (folder / "pw").write_text(PASSWORD)
    if prefix:
        shutil.chown(folder / "pw", "postgres", "postgres")

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, cwd=folder)

    auth = ["--auth=scram-sha-256", f"--pwfile={folder / 'pw'}", "--encoding=UTF8"]
    run(str(bin_dir / "initdb"), "-D", str(data), "-U", USER, *auth, "--no-sync")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(
        str(bin_dir / "pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(folder / "log"),
        "-o",
        options,
        "-w",
        "start",
    )
    try:
        _create_database(port)
        yield Server(
            port,
            {
                "DAGSTER_PG_HOST": "127.0.0.1",
                "DAGSTER_PG_PORT": str(port),
                "DAGSTER_PG_USER": USER,
                "DAGSTER_PG_PASSWORD": PASSWORD,
                "DAGSTER_PG_DB": DATABASE,
            },
        )
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def _connect(port: int, database: str):
    import psycopg2

    return psycopg2.connect(
        host="127.0.0.1", port=port, user=USER, password=PASSWORD, dbname=database
    )


def _create_database(port: int) -> None:
    connection = _connect(port, "postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {DATABASE}")
    connection.close()


def _fetch(port: int, query: str, *params) -> list[tuple]:
    connection = _connect(port, DATABASE)
    try:
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()
    finally:
        connection.close()


def test_refresh_runs_on_a_postgres_instance(
    postgres: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from orchestration.runner import run_refresh

    dagster_home = tmp_path / "dagster"
    dagster_home.mkdir()
    shutil.copy(DEPLOY_YAML, dagster_home / "dagster.yaml")  # the file a deployment uses
    for name, value in {**postgres.env, "DAGSTER_HOME": str(dagster_home)}.items():
        monkeypatch.setenv(name, value)
    home = Home(tmp_path / "home").ensure()
    generate_sample(home.inbox)

    summary = run_refresh(home, date.fromisoformat(TODAY))

    assert summary.success
    assert summary.this_run.get("accepted", 0) > 0
    assert not (dagster_home / "history").exists(), "runs must not go to local SQLite"
    runs = _fetch(postgres.port, "SELECT run_id, status FROM runs")
    assert (summary.run_id, "SUCCESS") in runs
    materialized = _fetch(
        postgres.port,
        "SELECT DISTINCT asset_key FROM event_logs"
        " WHERE run_id = %s AND dagster_event_type = 'ASSET_MATERIALIZATION'",
        summary.run_id,
    )
    assert any("published_warehouse" in key for (key,) in materialized)
