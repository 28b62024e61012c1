"""Validation in a process forked early, so that Great Expectations is imported ahead.

A refresh of a few new files spends most of its time importing: Dagster in the run's
process, then GE (seconds) when validation begins. Forked before Dagster is imported,
a worker imports GE on the other core meanwhile; validation then sends it the batch (a
few KB a file) and takes back the problems; the safety net after it names the files the
worker keeps instead of sending them again. A batch read by forked readers is staged
in the worker as it is read, so validation names it too. This module imports nothing
heavy itself.

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
from collections.abc import Callable, Iterator, Sequence
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
    # the workbooks staged there while they were read (``stage``), with their content then
    staged: list[tuple[ParsedWorkbook, tuple]] = field(default_factory=list)


class _SameCatalog:
    """Sent for the catalogue of the call before: GE's suites are built and kept per
    catalogue object (``validate._suite``), so the worker must see the same one again."""


class _Kept(NamedTuple):
    """A workbook the worker keeps, by its place in the list it was sent in."""

    place: int


class _Staged(NamedTuple):
    """The list of the workbooks staged in the worker, of this length."""

    length: int


_STAGE = "stage"  # the message that stages workbooks: no call, no answer


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


def stage(pickled: Sequence[bytes], workbooks: Sequence[ParsedWorkbook]) -> None:
    """Hand the worker, ahead of the call that validates them, workbooks as their reader
    pickled them (``pickled[i]``: the pickle of ``(workbooks[i], ...)``).

    The worker unpickles them while reading goes on, its import done; the call then
    names them instead of sending the batch once reading ends (0.25 s of 1,000 files on
    the run's path). A workbook changed here since it was staged is sent after all.
    """
    if _worker is None or _worker.connection is None:
        return
    try:
        _worker.connection.send((_STAGE, tuple(pickled)))
    except OSError as error:
        log.warning("validation worker took no workbooks (%r); validating in-process", error)
        wait()
        return
    _worker.staged += [(workbook, workbook.content()) for workbook in workbooks]


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
            if _all_staged(worker, arg):
                wired.append(_Staged(len(arg)))
                continue
        wired.append(arg)
    return tuple(wired)


def _workbooks(arg: object) -> bool:
    return isinstance(arg, list) and bool(arg) and all(isinstance(w, ParsedWorkbook) for w in arg)


def _all_staged(worker: _Worker, workbooks: list[ParsedWorkbook]) -> bool:
    """``workbooks`` are those staged, in order, each unchanged since."""
    staged = worker.staged
    return len(staged) == len(workbooks) and all(
        workbook is was and workbook.content() == content
        for workbook, (was, content) in zip(workbooks, staged, strict=True)
    )


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
    staged: list[ParsedWorkbook] = []
    while True:
        try:
            name, args = connection.recv()
        except EOFError:
            break
        if name == _STAGE:
            staged += [pickle.loads(item)[0] for item in args]
            continue
        args = tuple(catalog if isinstance(a, _SameCatalog) else a for a in args)
        catalog = next((a for a in args if isinstance(a, Catalog)), catalog)
        try:
            args = tuple(_resolved(arg, kept, staged) for arg in args)
        except _Stale as stale:
            connection.send(("unsendable", str(stale)))
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
    """A kept or staged workbook is not as it was sent: the caller validates in its own
    process."""


def _resolved(
    arg: object, kept: list[tuple[ParsedWorkbook, tuple]], staged: list[ParsedWorkbook]
) -> object:
    """``arg`` with ``_Staged`` replaced by the staged workbooks, and (a tuple from
    ``call_on_values``) each ``_Kept`` by the kept workbook, once it is checked unchanged
    here too."""
    if isinstance(arg, _Staged):
        if arg.length != len(staged):
            raise _Stale(f"{len(staged)} workbooks staged, {arg.length} named")
        return staged
    if not isinstance(arg, tuple):
        return arg
    resolved = []
    for item in arg:
        if isinstance(item, _Kept):
            workbook, content = kept[item.place]
            if workbook.value_content() != content:
                raise _Stale(f"kept workbook {item.place} changed in the worker")
            item = workbook
        resolved.append(item)
    return tuple(resolved)
