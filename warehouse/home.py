"""Where chitieu keeps its files: ``CHITIEU_HOME`` (default ``./data``)."""

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def from_env(cls, root: str | os.PathLike | None = None) -> "Home":
        return cls(Path(root or os.environ.get("CHITIEU_HOME") or "data").resolve())

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def feedback(self) -> Path:
        return self.root / "feedback"

    @property
    def alerts(self) -> Path:
        return self.root / "alerts"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def data_docs(self) -> Path:
        return self.root / "data_docs"

    @property
    def staging(self) -> Path:
        return self.root / "staging"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def lock_file(self) -> Path:
        return self.root / "refresh.lock"

    @property
    def dagster_home(self) -> Path:
        return Path(os.environ.get("DAGSTER_HOME") or self.root / "dagster")

    def ensure(self) -> "Home":
        for folder in (self.inbox, self.archive, self.feedback, self.alerts, self.staging):
            folder.mkdir(parents=True, exist_ok=True)
        return self
