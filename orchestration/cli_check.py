"""``chitieu check``: validate workbooks without loading them."""

import json
import sys
from datetime import date, datetime
from pathlib import Path

import click

from orchestration.options import home_option, today_option
from reference.model import ISSUE_FIELDS, REJECTED, verdict
from warehouse.inbox import LOCAL_TZ


@click.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per file.")
@today_option
@home_option
def check(files: tuple[Path, ...], as_json: bool, today, home: str | None) -> None:
    """Dry run: validate workbooks without loading them.

    Exit status: 0 if no file has an error, 1 if one has, 2 on a usage error.
    The outlier rule compares with the figures in force in the home's warehouse, if any.

    Example:

        chitieu check inbox/2019S1_BCHQS.xlsx --json
    """
    from expectations.validate import validate_batch
    from reference import load_catalog
    from workbooks.reading.reader import read_workbook

    catalog = load_catalog()
    reference_date = today.date() if today else date.today()
    parsed = [read_workbook(path, catalog, reference_date) for path in files]
    arrivals = [
        datetime.fromtimestamp(path.stat().st_mtime, LOCAL_TZ).replace(tzinfo=None)
        for path in files
    ]
    agencies = {workbook.agency_code for workbook in parsed if workbook.agency_code}
    history, tasks = _in_force(agencies, home)
    problems = validate_batch(parsed, catalog, arrivals, history, tasks_in_force=tasks)
    any_error = False
    for path, workbook, found in zip(files, parsed, problems, strict=True):
        status = verdict(found)
        any_error |= status == REJECTED
        report = {
            "file": str(path),
            "agency_code": workbook.agency_code,
            "period_code": workbook.period_code,
            "status": status,
            "issues": [{name: getattr(p, name) for name in ISSUE_FIELDS} for p in found],
        }
        click.echo(json.dumps(report, ensure_ascii=False) if as_json else _text(report))
    sys.exit(1 if any_error else 0)


def _in_force(agencies: set[str], home: str | None):
    """Values and task counts in force in the warehouse, when there is one, for the rules
    that compare a file with them (outliers, values or tasks a correction drops)."""
    from warehouse.home import Home
    from warehouse.load import tasks_in_force, values_in_force
    from warehouse.store import WarehouseMissing, connect_readonly

    try:
        with connect_readonly(Home.from_env(home)) as con:
            return values_in_force(con, agencies), tasks_in_force(con, agencies)
    except WarehouseMissing:
        return None, None


def _text(report: dict) -> str:
    head = (
        f"{report['file']}: {report['status']} "
        f"({report['agency_code'] or '?'} {report['period_code'] or '?'})"
    )
    lines = [head]
    for issue in report["issues"]:
        where = "!".join(filter(None, [issue["sheet"], issue["cell"]]))
        lines.append(f"  {issue['severity']:<7} {issue['rule']:<22} {where:<20} {issue['message']}")
    return "\n".join(lines)
