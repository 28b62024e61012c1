"""Whether a refresh has anything to do when no file has arrived.

A refresh also copies the reference data into the dimensions and applies pending
migrations, so an empty inbox means "nothing to do" only when the live warehouse is at
the newest schema and was published from the reference files as they are now. Each
publish records a digest of those files beside the warehouse; any doubt (no record, a
crash between publishing and recording) means a full refresh.
"""

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from warehouse.home import Home
from warehouse.inbox import inbox_paths
from warehouse.store import is_current

STAMP_NAME = "warehouse.reference.sha256"
CHECK_NAME = "last_check.json"  # the newest `run` that found nothing to do


def reference_folder() -> Path:
    from reference.catalog import DEFAULT_DIR

    return Path(os.environ.get("CHITIEU_REFERENCE_DIR") or DEFAULT_DIR)


def reference_digest() -> str:
    """A digest of every reference file's name and bytes."""
    digest = hashlib.sha256()
    folder = reference_folder()
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _replace_file(path: Path, text: str) -> None:
    """Write ``text`` beside ``path``, then rename it over: readers see old or new, whole."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def record_reference(home: Home, digest: str) -> None:
    """Note, after a publish, which reference files the live warehouse was built from."""
    _replace_file(home.root / STAMP_NAME, digest + "\n")


def nothing_to_do(home: Home) -> bool:
    """True when no file waits and the live warehouse is current in schema and reference."""
    if inbox_paths(home):
        return False
    stamp = home.root / STAMP_NAME
    if not stamp.exists() or stamp.read_text(encoding="ascii").strip() != reference_digest():
        return False
    return is_current(home.warehouse)


def record_check(home: Home, alerts: str, moment: datetime | None = None) -> None:
    """Note a `run` that found nothing to do (no Dagster run is made for it), for `status`."""
    check = {"checked_at": (moment or datetime.now(UTC)).isoformat(), "alerts": alerts}
    _replace_file(home.root / CHECK_NAME, json.dumps(check, ensure_ascii=False) + "\n")


def last_check(home: Home) -> dict | None:
    """The newest check that found nothing to do: checked_at (aware datetime) and alerts."""
    try:
        check = json.loads((home.root / CHECK_NAME).read_text(encoding="utf-8"))
        return {**check, "checked_at": datetime.fromisoformat(check["checked_at"])}
    except (OSError, ValueError, KeyError):
        return None
