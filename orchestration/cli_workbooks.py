"""``chitieu template`` and ``chitieu report``: the workbooks people open in Excel."""

from datetime import datetime
from pathlib import Path

import click
import duckdb

from orchestration.options import as_of_option, home_option, output_file_option
from reference import load_catalog
from reference.periods import parse_period
from warehouse.asof import open_warehouse
from warehouse.home import Home
from warehouse.report_data import PeriodNotInWarehouse, load_review_data
from warehouse.store import WarehouseMissing
from workbooks.reports.review_report import write_review_report
from workbooks.writing.template import write_template


@click.command()
@click.option("--agency", "agency_code", required=True, help="Agency code, e.g. BCHQS.")
@click.option("--period", "period_code", required=True, help="Period code, e.g. 2019S1.")
@output_file_option
def template(agency_code: str, period_code: str, output: Path) -> None:
    """Write the blank submission workbook an agency fills in for one period.

    The workbook has the agency's name and the period already filled in, one row per
    indicator the agency is expected to report, one column per district that existed
    during the period, live totals, Excel data validation on every input cell, a task
    sheet with drop-down lists and an instructions sheet. Headers and formulas are
    protected (no password).

    Example:

        chitieu template --agency BCHQS --period 2019S1 -o BCHQS_2019S1.xlsx
    """
    try:
        path = write_template(
            output, agency_code.strip().upper(), period_code.strip(), load_catalog()
        )
    except ValueError as error:  # an unknown agency or period: a usage error (exit 2)
        raise click.UsageError(str(error)) from error
    except OSError as error:
        raise click.ClickException(f"cannot write {output}: {error.strerror}") from error
    click.echo(f"wrote {path}")


@click.command()
@click.option("--period", "period_code", required=True, help="Period code, e.g. 2019S1.")
@output_file_option
@home_option
@as_of_option("The figures as they stood at this date or moment (before later corrections).")
def report(period_code: str, output: Path, home: str | None, as_of: datetime | None) -> None:
    """Write the review workbook of one period for the review meeting.

    Sheets: a draft review text in Vietnamese written from the figures, province
    totals against the same period last year, districts with ranks, tasks per agency,
    who reported on time, and the coordination programmes since their phase start,
    with Excel charts. The warehouse is only read; a running refresh is not disturbed.

    Example:

        chitieu report --period 2019S1 -o so_ket_2019S1.xlsx

        chitieu report --period 2018S2 --as-of 2019-01-05 -o 2018S2_truoc_dinh_chinh.xlsx
    """
    try:
        code = parse_period(period_code).code
    except ValueError as error:
        raise click.BadParameter(
            f"{error}; use a code such as 201905, 2019Q2, 2019S1, 2019 or 2016-2021",
            param_hint="--period",
        ) from error
    try:
        with open_warehouse(Home.from_env(home), as_of) as con:
            data = load_review_data(con, code)
    except (WarehouseMissing, PeriodNotInWarehouse) as error:
        raise click.ClickException(str(error)) from error
    except duckdb.Error as error:
        raise click.ClickException(f"cannot read the warehouse: {error}") from error
    try:
        path = write_review_report(output, code, data)
    except OSError as error:
        raise click.ClickException(f"cannot write {output}: {error.strerror}") from error
    click.echo(f"wrote {path}")
