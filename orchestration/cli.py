"""The ``chitieu`` command line: one group, commands split by topic."""

import logging

import click

from orchestration.cli_check import check
from orchestration.cli_export import export
from orchestration.cli_query import sql
from orchestration.cli_refresh import demo, run
from orchestration.cli_status import status
from orchestration.cli_ui import ui
from orchestration.cli_workbooks import report, template

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="chitieu")
@click.option("-v", "--verbose", is_flag=True, help="Show the pipeline's log.")
def main(verbose: bool) -> None:
    """chitieu: periodic indicator reports of a province, from agency workbooks to review tables.

    Data lives under CHITIEU_HOME (default ./data): inbox/, archive/, feedback/,
    alerts/ and warehouse.duckdb.
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


for command in (run, demo, check, sql, template, report, status, ui, export):
    main.add_command(command)


if __name__ == "__main__":
    main()
