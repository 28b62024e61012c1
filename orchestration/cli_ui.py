"""``chitieu ui``: the Dagster UI and daemon on the project's definitions, on 127.0.0.1."""

import errno
import fcntl
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from orchestration.instance import ensure_dagster_home
from orchestration.options import home_option
from orchestration.sensors import SENSOR_ENV
from warehouse.home import Home

CODE_LOCATION = "chitieu"  # the same name as [tool.dagster], so run history lines up
WORKSPACE = f"""\
load_from:
  - python_module:
      module_name: orchestration.definitions
      location_name: {CODE_LOCATION}
"""


def ensure_workspace(dagster_home: Path) -> Path:
    """A workspace.yaml loading our definitions, so `ui` works from any directory."""
    workspace = dagster_home / "workspace.yaml"
    if not workspace.exists():
        workspace.write_text(WORKSPACE)
    return workspace


def dev_command(home: Home, port: int, sensor: bool = True) -> tuple[list[str], dict[str, str]]:
    """The `dagster dev` command line and environment for ``home``.

    ``sensor``: the inbox sensor starts running (until switched off in the UI, which
    the instance remembers).
    """
    dagster_home = ensure_dagster_home(home)
    workspace = ensure_workspace(dagster_home)
    # -W: hide the "use 'dg dev' instead" notice; dg is not part of this project.
    command = [sys.executable, "-W", "ignore::FutureWarning", "-m", "dagster", "dev"]
    command += ["-h", "127.0.0.1", "-p", str(port)]
    command += ["-w", str(workspace)]
    env = {
        **os.environ,
        "CHITIEU_HOME": str(home.root),
        "DAGSTER_HOME": str(dagster_home),
        "GX_ANALYTICS_ENABLED": os.environ.get("GX_ANALYTICS_ENABLED", "false"),
        SENSOR_ENV: "on" if sensor else "off",
    }
    return command, env


def check_port_free(port: int) -> None:
    """Fail fast when the port is taken: `dagster dev` would keep its daemon running
    without a webserver, and never exit."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the webserver does
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            reason = "is already in use" if error.errno == errno.EADDRINUSE else str(error)
            raise click.ClickException(
                f"port {port} on 127.0.0.1 {reason}; stop what uses it or choose another "
                "port with --port"
            ) from error


@contextmanager
def instance_lock(dagster_home: Path) -> Iterator[None]:
    """Hold the "one UI and daemon per instance" lock; fail fast if another `ui` has it.

    Two daemons on one instance would both tick the schedule and the sensor.
    """
    with open(dagster_home / "ui.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "unknown"
            raise click.ClickException(
                f"another `chitieu ui` (pid {owner}) already runs the UI and daemon of the "
                f"Dagster instance {dagster_home}; stop it first, or use it"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def _default_interrupt() -> None:
    """In the child: Ctrl-C must work even if we were started with SIGINT ignored (nohup, &)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _serve(command: list[str], env: dict[str, str]) -> int:
    """Run `dagster dev` until it exits; Ctrl-C and SIGTERM end it through its own shutdown."""
    child = subprocess.Popen(command, env=env, preexec_fn=_default_interrupt)

    def stop(signum: int, _frame) -> None:
        # Ctrl-C reaches the whole foreground group, dagster dev included; a SIGTERM sent
        # to this process alone (systemd, kill) is passed on as the interrupt it expects.
        if signum == signal.SIGTERM and child.poll() is None:
            child.send_signal(signal.SIGINT)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        return child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@click.command()
@click.option(
    "--port", type=click.IntRange(1, 65535), default=3000, show_default=True, help="UI port."
)
@click.option(
    "--sensor/--no-sensor",
    default=True,
    show_default=True,
    help="Start the inbox sensor running (a refresh whenever the inbox changes).",
)
@home_option
def ui(port: int, sensor: bool, home: str | None) -> None:
    """Start the Dagster UI and daemon, so the daily schedule and the inbox sensor run.

    Runs `dagster dev` on 127.0.0.1 with DAGSTER_HOME = CHITIEU_HOME/dagster (or
    $DAGSTER_HOME), where run history, schedule and sensor state persist between
    starts. A dagster.yaml (telemetry off) and a workspace.yaml are written there if
    missing. The daily schedule and the inbox sensor run from the start (the sensor
    not with --no-sensor); switch either on or off under Automation in the UI.
    Ctrl-C stops the webserver and the daemon cleanly. For a long-running server see
    docs/analysts.md.

    Example:

        chitieu ui --port 3000     # then open http://127.0.0.1:3000
    """
    project = Home.from_env(home)
    project.ensure()
    command, env = dev_command(project, port, sensor)
    with instance_lock(Path(env["DAGSTER_HOME"])):
        check_port_free(port)
        click.echo(f"Dagster UI on http://127.0.0.1:{port} (DAGSTER_HOME={env['DAGSTER_HOME']})")
        code = _serve(command, env)
    if code not in (0, -signal.SIGINT):
        raise click.ClickException(f"dagster dev exited with status {code}")


if __name__ == "__main__":
    ui()
