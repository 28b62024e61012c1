"""Options shared by several commands, defined once."""

from pathlib import Path

import click

from warehouse.asof import AS_OF_FORMATS


def home_option(command):
    return click.option(
        "--home",
        type=click.Path(file_okay=False),
        envvar="CHITIEU_HOME",
        help="Project home (default: $CHITIEU_HOME or ./data).",
    )(command)


def today_option(command):
    return click.option(
        "--today",
        type=click.DateTime(["%Y-%m-%d"]),
        default=None,
        help="Date that counts as today for period checks (default: today).",
    )(command)


def as_of_option(help_text: str):
    def decorate(command):
        return click.option("--as-of", type=click.DateTime(AS_OF_FORMATS), help=help_text)(command)

    return decorate


def _xlsx_only(_ctx: click.Context, _param: click.Parameter, path: Path) -> Path:
    """Refuse another suffix rather than write an Excel workbook under a misleading name."""
    if path.suffix.lower() != ".xlsx":
        raise click.BadParameter(
            f"{path.name!r}: this command writes an Excel workbook; name it .xlsx "
            '(the review tables as CSV: `chitieu sql "select ..." --format csv`)'
        )
    return path


def output_file_option(command):
    return click.option(
        "-o",
        "--output",
        required=True,
        type=click.Path(dir_okay=False, writable=True, path_type=Path),
        callback=_xlsx_only,
        help="The .xlsx file to write.",
    )(command)
