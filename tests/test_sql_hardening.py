"""`chitieu sql` cannot change the warehouse, touch other files or loosen its own limits.

Extends tests/test_sql.py with the ways around the obvious refusals: other file readers,
EXPORT, PRAGMA/SET/CALL that write or change settings, extensions, secrets, several
statements in one string. Statements DuckDB accepts on a read-only file (CHECKPOINT,
VACUUM, temporary tables) must leave the file and the home exactly as they were.
"""

import hashlib
from pathlib import Path

import pytest

from tests.helpers import invoke
from tests.robustness import clean_rebuild_home

REFUSED = [
    "select * from read_parquet('/tmp/chitieu-leak.parquet')",
    "select * from read_json_auto('/etc/os-release')",
    "select * from read_text('/etc/passwd')",
    "select * from read_blob('/etc/hostname')",
    "select * from sniff_csv('/etc/passwd')",
    "select * from glob('/etc/*')",
    "select * from '/etc/passwd'",
    "export database '/tmp/chitieu-export'",
    "copy (select 1) to '/tmp/chitieu-leak.parquet'",
    "update dim_agency set agency_name = 'x'",
    "insert into dim_agency select * from dim_agency",
    "create macro m(x) as x",
    "create view v as select 1",
    "alter table dim_agency add column x int",
    "load httpfs",
    "attach ':memory:' as m",
    "create secret s (type s3)",
    "select * from duckdb_secrets()",
    "pragma enable_profiling",
    "set profiling_output = '/tmp/chitieu-profile.json'",
    "call enable_logging()",
    "pragma memory_limit = '1GB'",
    "set enable_external_access = true",
    "reset enable_external_access",
    "set temp_directory = '/tmp/chitieu-spill'",
    "begin; delete from dim_agency; commit",
    "select 1; drop table dim_agency",
]
HARMLESS = ["checkpoint", "vacuum", "create temp table t as select 1 as x", "pragma database_size"]


def fingerprint(home: Path) -> dict[str, str]:
    """Every file of the home with its digest (the Dagster folder aside)."""
    return {
        str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(home.rglob("*"))
        if p.is_file() and "dagster" not in p.parts
    }


@pytest.fixture(scope="module")
def warehouse_home() -> Path:
    return clean_rebuild_home()


@pytest.mark.parametrize("statement", REFUSED)
def test_refused_with_one_clear_line(warehouse_home, statement):
    before = fingerprint(warehouse_home)
    result = invoke(warehouse_home, "sql", statement)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error:") and len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert fingerprint(warehouse_home) == before
    for leak in ("chitieu-leak.parquet", "chitieu-export", "chitieu-profile.json"):
        assert not (Path("/tmp") / leak).exists()


@pytest.mark.parametrize("statement", HARMLESS)
def test_accepted_statements_change_nothing(warehouse_home, statement):
    before = fingerprint(warehouse_home)
    result = invoke(warehouse_home, "sql", statement)
    assert "Traceback" not in result.output
    assert fingerprint(warehouse_home) == before
