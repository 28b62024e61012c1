"""Files that arrive: found in the inbox, fingerprinted, archived, never lost."""

import hashlib
import re
import shutil
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from warehouse.home import Home

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_UNSAFE = re.compile(r"[^\w.-]+")  # \w: letters and digits of any script, and "_"
_MAX_NAME_BYTES = 200  # file systems allow 255 bytes; room for the hash prefix and .xlsx


@dataclass(frozen=True)
class Arrival:
    """One file as it arrived: received at its modification time (local, naive)."""

    file_name: str
    inbox_path: str
    sha256: str
    received_at: datetime
    size: int

    @property
    def archive_name(self) -> str:
        return f"{self.sha256[:16]}_{safe_name(self.file_name)}"


def safe_name(name: str) -> str:
    """A file name without folders, spaces, control or shell-hostile characters.

    Vietnamese letters stay ("Báo_cáo_HND.xlsx"): the clerk must recognise the file.
    The name is NFC (one code point per letter, as typed on Windows) and at most
    ``_MAX_NAME_BYTES`` of UTF-8, cut before the suffix so the suffix is kept.
    """
    base = Path(unicodedata.normalize("NFC", name).replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).strip("._") or "file"
    stem, dot, suffix = cleaned.rpartition(".")
    if not dot or len(suffix) > 10:
        stem, suffix = cleaned, ""
    room = _MAX_NAME_BYTES - len(suffix.encode()) - len(dot)
    stem = stem.encode()[:room].decode(errors="ignore")
    return f"{stem}{dot}{suffix}" if suffix else stem


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
    """The files waiting in the inbox: every regular file but editors' lock files."""
    if not home.inbox.exists():
        return []
    return [p for p in home.inbox.iterdir() if p.is_file() and not is_editor_lock(p.name)]


def scan_inbox(home: Home) -> list[Arrival]:
    """Every file waiting in the inbox, fingerprinted, in received order: (mtime, name)."""
    arrivals = []
    for path in inbox_paths(home):
        stat = path.stat()
        received = datetime.fromtimestamp(stat.st_mtime, LOCAL_TZ).replace(tzinfo=None)
        arrivals.append(Arrival(path.name, str(path), sha256_of(path), received, stat.st_size))
    return sorted(arrivals, key=lambda a: (a.received_at, a.file_name))


def archive(home: Home, arrival: Arrival) -> Path:
    """Copy the file into ``archive/`` (idempotent) and return where it is kept."""
    target = home.archive / arrival.archive_name
    if not target.exists():
        partial = target.with_suffix(target.suffix + ".partial")
        shutil.copyfile(arrival.inbox_path, partial)
        partial.replace(target)
    return target


def clear_from_inbox(arrivals: list[Arrival]) -> None:
    """Remove files that the published warehouse now accounts for."""
    for arrival in arrivals:
        Path(arrival.inbox_path).unlink(missing_ok=True)
