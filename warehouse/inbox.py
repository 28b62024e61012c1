"""Files that arrive: found in the inbox, fingerprinted, archived, never lost."""

import hashlib
import logging
import os
import stat
import threading
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from reference.model import Arrival
from warehouse.home import Home

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
log = logging.getLogger(__name__)


def is_editor_lock(name: str) -> bool:
    """Lock files that Excel (``~$x.xlsx``) and LibreOffice (``.~lock.x.xlsx#``) leave
    beside an open workbook: not submissions. Every other file is picked up and recorded."""
    return name.startswith(("~$", ".~lock."))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def inbox_paths(home: Home) -> list[Path]:
    """Everything waiting in the inbox and its subfolders but folders and editors' locks.

    Subfolders are taken (clerks sort files by agency); entries that are not regular
    files (a dangling link, a pipe) are listed too, so that they are reported, not lost.
    """
    if not home.inbox.exists():
        return []
    found = []
    for folder, _, names in os.walk(home.inbox):
        found += [Path(folder) / name for name in names if not is_editor_lock(name)]
    return sorted(found)


def entry_signature(path: Path) -> str:
    """Name, size and time of an inbox entry, without following a dangling link."""
    try:
        info = path.stat()
    except OSError:
        info = path.lstat()
    return f"{path}:{info.st_size}:{info.st_mtime_ns}"


def scan_inbox(home: Home, retries: int = 3) -> list[Arrival]:
    """Every file waiting in the inbox, fingerprinted and archived, in (mtime, name) order.

    A file still being written (its size or time change while it is read) is left for
    the next refresh. Runs under the refresh lock, so no other refresh is copying.
    """
    home.archive.mkdir(parents=True, exist_ok=True)
    for stale in home.archive.glob(".incoming-*.partial"):  # a killed refresh's copy
        stale.unlink(missing_ok=True)
    arrivals = []
    for path in inbox_paths(home):
        name = path.relative_to(home.inbox).as_posix()
        for _ in range(retries):
            arrival = _receive_safely(home, path, name)
            if arrival is not None:
                arrivals.append(arrival)
                break
    return sorted(arrivals, key=lambda a: (a.file_mtime, a.file_name))


def _receive_safely(home: Home, path: Path, name: str) -> Arrival | None:
    """``receive``, where anything going wrong makes this one file unreadable."""
    try:
        return receive(home, path, name)
    except Exception as error:  # noqa: BLE001 - one file never fails the refresh
        log.error("%s: cannot be received: %r", name, error)
        try:
            info = path.lstat()
        except OSError:
            return None  # gone meanwhile: nothing to record
        return _unreadable(path, name, info, f"{type(error).__name__}: {error}")


def _local(timestamp_ns: int) -> datetime:
    """Local naive time, exact to the microsecond (as the warehouse stores it)."""
    seconds, nanos = divmod(timestamp_ns, 10**9)
    moment = datetime.fromtimestamp(seconds, LOCAL_TZ).replace(tzinfo=None)
    return moment + timedelta(microseconds=nanos // 1000)


def receive(home: Home, path: Path, name: str) -> Arrival | None:
    """Hash the file while copying it into ``archive/``: the archived bytes are the hashed ones.

    None when the file changed during the read (try again); an unreadable Arrival when it
    cannot be opened or is not a regular file.
    """
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return _unreadable(path, name, info, "not a regular file")
        handle = open(path, "rb")  # noqa: SIM115 - closed below, after fstat
    except OSError as error:
        info = path.lstat()
        return _unreadable(path, name, info, f"{type(error).__name__}: {error.strerror}")
    digest = hashlib.sha256()
    partial = home.archive / f".incoming-{uuid.uuid4().hex}.partial"
    try:
        with handle, open(partial, "wb") as copy:
            before = os.fstat(handle.fileno())
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
                copy.write(block)
            after = os.fstat(handle.fileno())
    except OSError as error:  # e.g. an I/O error half-way through
        partial.unlink(missing_ok=True)
        return _unreadable(path, name, info, f"{type(error).__name__}: {error.strerror}")
    try:
        if _changed(before, after):
            return None
        arrival = Arrival(
            name,
            str(path),
            digest.hexdigest(),
            _local(after.st_mtime_ns),
            after.st_size,
            after.st_mtime_ns,
            after.st_ino,
        )
        assert arrival.archive_name is not None  # a file read to the end has a digest
        target = home.archive / arrival.archive_name
        if not target.exists():
            partial.replace(target)
        return arrival
    finally:
        partial.unlink(missing_ok=True)


def _changed(before: os.stat_result, after: os.stat_result) -> bool:
    return (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns)


def _unreadable(path: Path, name: str, info: os.stat_result, reason: str) -> Arrival:
    mtime = _local(info.st_mtime_ns)
    return Arrival(name, str(path), None, mtime, info.st_size, info.st_mtime_ns, info.st_ino,
                   unreadable=reason)  # fmt: skip


def still_as_recorded(arrival: Arrival) -> bool:
    """The inbox file is the one that was recorded: same inode, size, time and bytes."""
    path = Path(arrival.inbox_path)
    try:
        return _same_entry(arrival, path.stat()) and sha256_of(path) == arrival.sha256
    except OSError:
        return False


def _same_entry(arrival: Arrival, info: os.stat_result) -> bool:
    return (info.st_ino, info.st_size, info.st_mtime_ns) == (
        arrival.inode,
        arrival.size,
        arrival.mtime_ns,
    )


class InboxClearing:
    """Removing from the inbox the files the published warehouse accounts for.

    Which files stay is decided at once: a file re-saved under the same name since it
    was read is not the one recorded, and unreadable files have nothing archived. The
    removals, a filesystem transaction each (2 s for 10,000 files on ext4), run in a
    thread (``start``) while the run finishes, and ``wait`` joins it. Each file's entry is
    checked again just before it is removed, so one re-saved meanwhile stays too; a file
    left by a crash meanwhile is found again as already recorded and removed next time.
    """

    def __init__(self, arrivals: list[Arrival]) -> None:
        self.kept: list[Arrival] = []
        self._removable: list[Arrival] = []
        for arrival in arrivals:
            if arrival.sha256 is not None and still_as_recorded(arrival):
                self._removable.append(arrival)
            elif Path(arrival.inbox_path).exists():
                self.kept.append(arrival)
        self._thread = threading.Thread(target=self._remove, name="inbox-clearing")

    def start(self) -> "InboxClearing":
        self._thread.start()
        return self

    def wait(self) -> None:
        if self._thread.ident is not None:  # started
            self._thread.join()

    def _remove(self) -> None:
        for arrival in self._removable:
            path = Path(arrival.inbox_path)
            try:
                if _same_entry(arrival, path.stat()):
                    path.unlink()
                else:
                    log.info("%s: left in the inbox (changed since it was read)", arrival.file_name)
            except FileNotFoundError:
                continue
            except OSError as error:  # recorded all the same: removed by a later refresh
                log.warning("%s: could not be removed from the inbox: %r", arrival.file_name, error)
