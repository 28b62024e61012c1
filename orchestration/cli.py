"""The ``chitieu`` command line: one group, commands split by topic.

Commands are imported only when they run: ``chitieu --help`` or ``chitieu sql`` must
not pay for Dagster, pandas or openpyxl, which only some commands need. The short
help shown by ``--help`` is kept here (tests/test_imports.py checks it against each
command's own docstring).
"""

import atexit
import gc
import importlib
import logging

import click

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# name -> (module, first line of its help), as `--help` lists them.
COMMANDS = {
    "check": ("orchestration.cli_check", "Dry run: validate workbooks without loading them."),
    "demo": (
        "orchestration.cli_refresh",
        "Write the bundled sample submissions (2017S1-2019S1, 2025S1-2026S1) to the inbox, then"
        " run.",
    ),
    "export": (
        "orchestration.cli_export",
        "Export the star schema, the pipeline record and the review tables as Parquet.",
    ),
    "report": (
        "orchestration.cli_workbooks",
        "Write the review workbook of one period for the review meeting.",
    ),
    "run": (
        "orchestration.cli_refresh",
        "Run one full refresh: pick up the inbox, validate, load, rebuild the review tables.",
    ),
    "sql": ("orchestration.cli_query", "Run a read-only SQL query on the warehouse."),
    "status": (
        "orchestration.cli_status",
        "Show the last refresh, the files by status, and the alerts not yet delivered.",
    ),
    "template": (
        "orchestration.cli_workbooks",
        "Write the blank submission workbook an agency fills in for one period.",
    ),
    "ui": (
        "orchestration.cli_ui",
        "Start the Dagster UI and daemon, so the daily schedule and the inbox sensor run.",
    ),
}


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        if _listing(ctx):
            return _Stub(cmd_name, help=COMMANDS[cmd_name][1])
        return load_command(cmd_name)


def load_command(name: str) -> click.Command:
    """The real command object (imports its module)."""
    return getattr(importlib.import_module(COMMANDS[name][0]), name)


def _listing(ctx: click.Context) -> bool:
    """True while the group formats its own help (it only needs each short help)."""
    return ctx.meta.get("chitieu.listing", False)


class _Stub(click.Command):
    """Stands for a command in the group's help listing."""


# CPython's default collector thresholds make Dagster's and GE's imports (tens of
# thousands of long-lived objects) a third slower, and the collection at exit walks all
# of them again (0.8 s); freezing the heap at exit skips that walk. Cycles are still
# collected, only less often.
GC_THRESHOLDS = (100_000, 100, 1_000)


def tune_garbage_collector() -> None:
    """Collect less often while commands import and run, and not at all at exit."""
    gc.set_threshold(*GC_THRESHOLDS)
    atexit.register(gc.freeze)  # registered first, so it runs after every other handler


class _Main(LazyGroup):
    def main(self, *args, **kwargs):
        tune_garbage_collector()
        return super().main(*args, **kwargs)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        ctx.meta["chitieu.listing"] = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            ctx.meta["chitieu.listing"] = False


@click.group(cls=_Main, context_settings=CONTEXT_SETTINGS)
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


if __name__ == "__main__":
    main()
