"""Validation in a process forked early, so that Great Expectations is imported ahead.

A refresh of a few new files spends most of its time importing: Dagster in the run's
process, then GE (seconds) when validation begins. Forked before Dagster is imported,
a worker imports GE on the other core meanwhile; validation then sends it the batch (a
few KB a file) and takes back the problems; the safety net after it names the files the
worker keeps instead of sending them again. This module imports nothing heavy itself.

Whenever there is no worker (the daemon's runs, tests that materialize assets, a large
batch, whose reading hides the import already) or it cannot answer (it died, a
result does not survive the pipe), the call runs in this process as it always did: the
same validation, only without the head start.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from typing import NamedTuple

from reference.catalog import Catalog
from reference.model import ParsedWorkbook

log = logging.getLogger(__name__)
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


@dataclass
class _Worker:
    pid: int
    connection: Connection | None  # None once ``done``: no more calls
    catalog: Catalog | None = None  # the catalogue it was last sent
    # the workbooks it keeps (the last list sent whole): id -> (place, workbook, values)
    kept: dict[int, tuple[int, ParsedWorkbook, tuple]] = field(default_factory=dict)


class _SameCatalog:
    """Sent for the catalogue of the call before: GE's suites are built and kept per
    catalogue object (``validate._suite``), so the worker must see the same one again."""


class _Kept(NamedTuple):
    """A workbook the worker keeps, by its place in the list it was sent in."""

    place: int


_worker: _Worker | None = None


# The head start saves the part of GE's import that nothing else hides (about 2 s); each
# file costs about 0.5 ms on its trip through the pipe (the batch; the safety net's files
# then go by reference). Measured on 2 cores: 1,000 files 1.5-2 s faster, 10,000 files
# 8-12 s slower (with two trips), their reading hiding the import already.
AHEAD_BELOW_FILES = 1500


@contextlib.contextmanager
def validation_ahead(files: int) -> Iterator[None]:
    """Within the block, ``call`` validates in a worker that imported GE on its own, if
    a batch of ``files`` is worth it."""
    # forking while another thread runs could copy a lock it holds, and hang the worker
    alone = threading.active_count() == 1
    wanted = 0 < files < AHEAD_BELOW_FILES and (os.cpu_count() or 1) >= 2
    if not wanted or not alone or _worker is not None:
        yield
        return
    try:
        _start()
    except OSError as error:  # no process to spare: validation runs here, as without
        log.warning("no validation worker (%r); validating in-process", error)
    try:
        yield
    finally:
        wait()


def running() -> bool:
    """Whether a worker imports GE, or has, for this process's calls."""
    return _worker is not None and _worker.connection is not None


def call(name: str, *args, meanwhile: Callable[[], object] | None = None):
    """``expectations.validate.<name>(*args)``, in the worker if there is one; then this
    process runs ``meanwhile`` once the arguments are sent, while the worker works."""
    return _call(name, args, values_only=False, meanwhile=meanwhile)


def call_on_values(name: str, *args):
    """``call``, for a function that reads only the workbooks' values (the safety net):
    the workbooks the worker keeps go by reference if their values are unchanged since
    they were sent (``ParsedWorkbook.value_content``), instead of through the pipe again."""
    return _call(name, args, values_only=True)


def _call(name: str, args: tuple, values_only: bool, meanwhile: Callable[[], object] | None = None):
    if _worker is not None and _worker.connection is not None:
        try:
            wired = _wire(_worker, args, values_only)
            return _ask(_worker.connection, name, wired, meanwhile)
        except _NoAnswer as why:
            log.warning("validation worker gave no answer (%s); validating in-process", why)
            wait()
    from expectations import validate

    return getattr(validate, name)(*args)


def done() -> None:
    """No more calls: the worker writes the Data Docs it deferred, then exits."""
    if _worker is not None and _worker.connection is not None:
        _worker.connection.close()
        _worker.connection = None


def wait() -> None:
    """``done``, then wait until the worker has exited (its Data Docs are written)."""
    global _worker
    done()
    worker, _worker = _worker, None
    if worker is not None:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(worker.pid, 0)


def _wire(worker: _Worker, args: tuple, values_only: bool) -> tuple:
    """``args`` as sent to ``worker``: the catalogue it already has, by reference; with
    ``values_only``, so are the workbooks it keeps whose values are unchanged."""
    wired: list = []
    for arg in args:
        if arg is worker.catalog:
            wired.append(_SameCatalog())
            continue
        if isinstance(arg, Catalog):
            worker.catalog = arg
        if _workbooks(arg) and values_only:  # a tuple: the worker keeps lists only
            wired.append(tuple(_by_reference(worker, workbook) for workbook in arg))
            continue
        if _workbooks(arg):  # the worker keeps these, as sent (see _serve)
            worker.kept = {id(w): (i, w, w.value_content()) for i, w in enumerate(arg)}
        wired.append(arg)
    return tuple(wired)


def _workbooks(arg: object) -> bool:
    return isinstance(arg, list) and bool(arg) and all(isinstance(w, ParsedWorkbook) for w in arg)


def _by_reference(worker: _Worker, workbook: ParsedWorkbook) -> ParsedWorkbook | _Kept:
    found = worker.kept.get(id(workbook))
    if found is None or found[1] is not workbook or found[2] != workbook.value_content():
        return workbook
    return _Kept(found[0])


class _NoAnswer(Exception):
    """The worker cannot be used; the call is made in this process instead."""


def _ask(
    connection: Connection, name: str, args: tuple, meanwhile: Callable[[], object] | None = None
):
    try:
        connection.send((name, args))
        _run_meanwhile(meanwhile)
        outcome, value = pickle.loads(connection.recv_bytes())
    except (EOFError, OSError, pickle.PicklingError) as error:
        raise _NoAnswer(repr(error)) from error
    except Exception as error:  # noqa: BLE001 - e.g. an exception that will not unpickle
        raise _NoAnswer(f"unreadable answer: {error!r}") from error
    if outcome == "unsendable":
        raise _NoAnswer(f"the answer would not cross the pipe: {value}")
    if outcome == "raised":
        raise value
    return value


def _run_meanwhile(meanwhile: Callable[[], object] | None) -> None:
    """The caller's own work while the worker answers: its failure is not the worker's."""
    if meanwhile is None:
        return
    try:
        meanwhile()
    except Exception as error:  # noqa: BLE001 - the answer is still read
        log.warning("work beside the validation worker failed: %r", error)


def _start() -> None:
    global _worker
    ours, theirs = Pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the worker: it never returns into the caller's code
        ours.close()
        code = 1
        try:
            _die_with(parent)
            _serve(theirs)
            code = 0
        finally:
            os._exit(code)
    theirs.close()
    _worker = _Worker(pid, ours)


def _die_with(parent: int) -> None:
    """Have the kernel kill this worker when the run's process dies (Linux), so that a
    killed run leaves nothing validating or writing Data Docs beside the next one."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the kernel was asked
        os._exit(1)


def _serve(connection: Connection) -> None:
    """Import validation, answer calls until the pipe closes, then write the Data Docs."""
    from expectations import validate

    validate.defer_docs()
    catalog = None
    kept: list[tuple[ParsedWorkbook, tuple]] = []  # the workbooks of _Kept, their values then
    while True:
        try:
            name, args = connection.recv()
        except EOFError:
            break
        args = tuple(catalog if isinstance(a, _SameCatalog) else a for a in args)
        catalog = next((a for a in args if isinstance(a, Catalog)), catalog)
        try:
            args = tuple(_resolved(arg, kept) for arg in args)
        except _Stale as stale:
            connection.send(("unsendable", f"kept workbook {stale} changed in the worker"))
            continue
        for arg in args:
            if _workbooks(arg):
                kept = [(workbook, workbook.value_content()) for workbook in arg]
        try:
            answer = ("returned", getattr(validate, name)(*args))
        except Exception as error:  # noqa: BLE001 - raised again in the caller
            answer = ("raised", error)
        try:
            connection.send(answer)
        except Exception as error:  # noqa: BLE001 - the caller then validates itself
            connection.send(("unsendable", repr(error)))
    validate.write_deferred_docs()


class _Stale(Exception):
    """A kept workbook is not as it was sent: the caller validates in its own process."""


def _resolved(arg: object, kept: list[tuple[ParsedWorkbook, tuple]]) -> object:
    """``arg`` (a tuple from ``call_on_values``) with each ``_Kept`` replaced by the kept
    workbook, once it is checked unchanged here too."""
    if not isinstance(arg, tuple):
        return arg
    resolved = []
    for item in arg:
        if isinstance(item, _Kept):
            workbook, content = kept[item.place]
            if workbook.value_content() != content:
                raise _Stale(item.place)
            item = workbook
        resolved.append(item)
    return tuple(resolved)
