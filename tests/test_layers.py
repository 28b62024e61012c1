"""The CLI and the assets ask the warehouse through warehouse/ functions, never in SQL."""

import ast
import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
SQL = re.compile(
    r"^\s*(select|insert|update|delete|create|with)\b[\s\S]*\b(from|into|table|set)\b", re.I
)
# Dagster's own run storage (SQLite) is read there for `status`; it is not the warehouse.
DAGSTER_STORAGE = {"orchestration/instance.py"}


def sql_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value)
    ]


def test_no_warehouse_sql_in_orchestration_or_assets():
    modules = [*PROJECT.glob("orchestration/**/*.py"), *PROJECT.glob("assets/**/*.py")]
    found = {
        f"{path.relative_to(PROJECT)}:{line}": text[:80]
        for path in modules
        if str(path.relative_to(PROJECT)) not in DAGSTER_STORAGE
        for line, text in sql_literals(path)
    }
    assert found == {}


def test_the_scan_finds_sql_where_there_is_some():
    assert sql_literals(PROJECT / "warehouse" / "record.py")
