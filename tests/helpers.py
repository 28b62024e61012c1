"""Helpers for tests: run the real command line, query the warehouse through it."""

import json
import os
import shutil
import zipfile
from pathlib import Path

from click.testing import CliRunner, Result

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# The sample's periods end in 2019; any later date counts as "today" for period checks.
TODAY = "2026-11-27"


def invoke(home: Path, *args: str) -> Result:
    """Run the real `chitieu` command line in-process against ``home``."""
    from orchestration.cli import main

    env = {"CHITIEU_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def sql_rows(home: Path, query: str) -> list[dict]:
    result = invoke(home, "sql", query, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def patch_zip(path: Path, member: str, change) -> None:
    """Rewrite one member of a saved .xlsx or .ods with ``change(text) -> text``."""
    with zipfile.ZipFile(path) as zin:
        items = [(info, zin.read(info)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            if info.filename == member:
                data = change(data.decode("utf-8")).encode("utf-8")
            zout.writestr(info, data)


def require_libreoffice() -> None:
    """Skip without LibreOffice, saying so; in CI (``CHITIEU_REQUIRE_LIBREOFFICE=1``) fail."""
    import pytest

    missing = [tool for tool in ("soffice", "pdftotext") if shutil.which(tool) is None]
    if not missing:
        return
    packages = "libreoffice-calc-nogui poppler-utils"
    reason = f"{' and '.join(missing)} not installed; apt-get install {packages}"
    if os.environ.get("CHITIEU_REQUIRE_LIBREOFFICE") == "1":
        pytest.fail(f"CHITIEU_REQUIRE_LIBREOFFICE=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def queue_and_deliver(alerts, home: Path, settings=None, now=None):
    """What a refresh does with its alerts: queue them (``queued_alerts``), then deliver
    every due one (``delivered_alerts``)."""
    from alerts import deliver, enqueue

    enqueue(alerts, home, now)
    return deliver(home, settings, now)
