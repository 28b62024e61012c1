"""``chitieu run`` and ``chitieu demo``: the refresh, and the refresh on the bundled sample."""

from pathlib import Path

import click

from orchestration.options import home_option, today_option
from orchestration.runner import RefreshSummary, run_refresh
from reference.model import STATUSES
from reference.text import vn_number
from warehouse.home import Home


def print_summary(summary: RefreshSummary) -> None:
    if summary.run_id is None:
        click.echo("nothing arrived and the warehouse is current: no refresh run was needed")
        click.echo(f"alerts: {summary.alerts or 'none due'}")
    else:
        click.echo(f"run {summary.run_id}: {'succeeded' if summary.success else 'FAILED'}")
    this_run = ", ".join(f"{summary.this_run.get(s, 0)} {s}" for s in STATUSES)
    overall = ", ".join(f"{summary.overall.get(s, 0)} {s}" for s in STATUSES)
    click.echo(f"files this run: {this_run}")
    click.echo(f"files in total: {overall}")
    if summary.latest_period:
        click.echo(f"\nprovince totals for {summary.latest_period}:")
        for t in summary.latest_totals:
            total = vn_number(t.total_value, 2)
            click.echo(f"  {t.indicator_code:<18} {total:>10}  {t.unit:<11} {t.indicator_name}")


def progress_option(command):
    return click.option(
        "--progress/--no-progress",
        default=True,
        show_default=True,
        help="Show each step and the files read on stderr.",
    )(command)


def settings_problem(paths: Home) -> str | None:
    """Why the alert settings cannot be used, in one line; None when they can."""
    from alerts import SettingsError, load_settings

    try:
        load_settings(paths.root)
    except SettingsError as error:
        return str(error)
    return None


def _refresh(home: str | None, today, progress: bool) -> None:
    verbose = click.get_current_context().find_root().params.get("verbose")
    paths = Home.from_env(home)
    summary = run_refresh(
        paths,
        today.date() if today else None,
        "INFO" if verbose else "WARNING",
        progress=progress,
    )
    print_summary(summary)
    if summary.success:
        return
    steps = ", ".join(summary.failed_steps) or "the run"
    problem = settings_problem(paths)
    if summary.run_id is None:
        raise click.ClickException(
            f"alert settings unusable, no e-mail or webhook sent ({problem}); alerts wait "
            "in the outbox until the settings are fixed. Nothing arrived: the warehouse "
            "is unchanged."
        )
    if summary.published and problem:
        raise click.ClickException(
            f"alert settings unusable, no e-mail or webhook sent ({problem}); the warehouse "
            "was refreshed and alerts wait in the outbox until the settings are fixed."
        )
    if summary.published:
        raise click.ClickException(
            f"the warehouse was refreshed, but a later step failed ({steps}). "
            "Run with -v or open `chitieu ui` for details."
        )
    raise click.ClickException(
        f"the refresh failed in {steps}; the warehouse is unchanged. "
        "Run with -v or open `chitieu ui` for details."
    )


@click.command()
@home_option
@today_option
@progress_option
def run(home: str | None, today, progress: bool) -> None:
    """Run one full refresh: pick up the inbox, validate, load, rebuild the review tables.

    This is the same Dagster job the daily schedule runs, executed in this process
    against the instance in $DAGSTER_HOME (default: CHITIEU_HOME/dagster).

    Example:

        chitieu run
    """
    _refresh(home, today, progress)


@click.command()
@home_option
@today_option
@progress_option
def demo(home: str | None, today, progress: bool) -> None:
    """Write the bundled sample submissions (2017S1-2019S1, 2025S1-2026S1) to the inbox, then run.

    Example:

        CHITIEU_HOME=/tmp/chitieu chitieu demo
    """
    paths = Home.from_env(home).ensure()
    written, total = stage_sample(paths)
    skipped = f" ({total - written} already in the warehouse)" if written < total else ""
    click.echo(f"wrote {written} sample workbooks to {paths.inbox}{skipped}")
    _refresh(home, today, progress)


def stage_sample(paths: Home) -> tuple[int, int]:
    """Copy to the inbox the sample files the warehouse has not recorded; (written, total)."""
    import shutil
    import tempfile

    from orchestration.sample.generate import generate_sample
    from warehouse.inbox import sha256_of
    from warehouse.record import recorded_hashes
    from warehouse.store import connect_readonly

    known: set[str] = set()
    if paths.warehouse.exists():
        with connect_readonly(paths) as con:
            known = recorded_hashes(con)
    with tempfile.TemporaryDirectory() as folder:
        sample = generate_sample(Path(folder))
        fresh = [p for p in sample if sha256_of(p) not in known]
        for path in fresh:
            shutil.copy2(path, paths.inbox / path.name)  # keeps the arrival time (mtime)
    return len(fresh), len(sample)
