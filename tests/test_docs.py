"""Every example query in the docs runs on the sample warehouse; the config examples load."""

import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest
import yaml

from orchestration.cli_ui import WORKSPACE
from tests.helpers import invoke

ROOT = Path(__file__).resolve().parent.parent
ANALYSTS = ROOT / "docs" / "analysts.md"
README = ROOT / "README.md"
FENCE = re.compile(r"^[ \t]*```(\w*)\n(.*?)^[ \t]*```", re.MULTILINE | re.DOTALL)
SHELL_SQL = re.compile(r'chitieu sql((?:\s+--as-of\s+\S+)?)\s+"([^"]+)"')
AS_OF = re.compile(r"^\s*--\s*as-of:\s*(\S+)\s*$", re.MULTILINE)
# Queries over commune-level periods: run on the sample, checked for rows on a warehouse
# with 2026S1 reports per commune (tests/test_reform_review.py).
REFORM = "-- across the 2025 reform"


def blocks(path: Path, language: str) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [textwrap.dedent(body) for lang, body in FENCE.findall(text) if lang == language]


def sql_examples() -> list[tuple[str, str | None]]:
    """(query, as-of date or None) of every ```sql block of docs/analysts.md."""
    examples = []
    for body in blocks(ANALYSTS, "sql"):
        as_of = AS_OF.search(body)
        examples.append((AS_OF.sub("", body).strip(), as_of.group(1) if as_of else None))
    return examples


def shell_examples() -> list[tuple[str, str | None]]:
    """The quoted query of every `chitieu sql "..."` in ```sh blocks of the README and docs."""
    examples = []
    for path in (README, *sorted((ROOT / "docs").glob("*.md"))):
        for body in blocks(path, "sh"):
            for option, query in SHELL_SQL.findall(body):
                as_of = option.split()[-1] if option.strip() else None
                examples.append((query, as_of))
    return examples


def run_query(home: Path, query: str, as_of: str | None) -> list[dict]:
    args = ["sql", query, "--format", "jsonl"] + (["--as-of", as_of] if as_of else [])
    result = invoke(home, *args)
    assert result.exit_code == 0, f"{query}\n{result.output}"
    return [json.loads(line) for line in result.output.splitlines() if line.strip()]


def reform_examples() -> list[str]:
    return [query for query, _ in sql_examples() if REFORM in query]


def test_there_are_twelve_analyst_queries() -> None:
    examples = sql_examples()
    assert len(examples) == 12 and len(reform_examples()) == 2
    assert any(as_of for _, as_of in examples)  # one shows --as-of
    assert any("indicator_values_as_of(" in query for query, _ in examples)


@pytest.mark.parametrize(
    ("query", "as_of"),
    [e for e in sql_examples() if REFORM not in e[0]],
    ids=[f"analysts-{i + 1}" for i in range(10)],
)
def test_analyst_query_returns_rows(demo_home: Path, query: str, as_of: str | None) -> None:
    assert run_query(demo_home, query, as_of), f"no rows on the sample:\n{query}"


@pytest.mark.parametrize("query", reform_examples(), ids=["analysts-11", "analysts-12"])
def test_reform_query_runs_on_the_sample(demo_home: Path, query: str) -> None:
    run_query(demo_home, query, None)


@pytest.mark.parametrize(
    ("query", "as_of"),
    shell_examples(),
    ids=[f"shell-{i + 1}" for i in range(len(shell_examples()))],
)
def test_shell_example_runs(demo_home: Path, query: str, as_of: str | None) -> None:
    run_query(demo_home, query, as_of)


def test_shell_examples_are_found() -> None:
    assert len(shell_examples()) >= 3  # the analysts' doc has three; the README more


def test_python_example_reads_the_warehouse(demo_home: Path, tmp_path: Path) -> None:
    [code] = blocks(ANALYSTS, "python")
    (tmp_path / "data").mkdir()
    shutil.copy(demo_home / "warehouse.duckdb", tmp_path / "data" / "warehouse.duckdb")
    namespace: dict = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)  # the example uses the default path data/warehouse.duckdb
        exec(compile(code, "docs/analysts.md", "exec"), namespace)
    assert len(namespace["totals"]) > 0


def test_production_instance_config_loads(tmp_path: Path) -> None:
    from dagster import DagsterInstance

    shutil.copy(ROOT / "docs" / "dagster.production.yaml", tmp_path / "dagster.yaml")
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
        assert instance.run_monitoring_enabled


def test_documented_workspace_is_the_one_ui_writes() -> None:
    [workspace] = [b for b in blocks(ANALYSTS, "yaml") if "load_from" in b]
    assert yaml.safe_load(workspace) == yaml.safe_load(WORKSPACE)
