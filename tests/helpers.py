"""Helpers for tests: run the real command line, query the warehouse through it."""

import json
import os
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
