"""Benchmark workbooks: the bundled sample scaled to many agencies' periods.

Each file is a sample workbook of one agency moved to another period (halves, then
quarters, months and years from 2000 to 2024, while every agency and district is
valid), its values scaled by a per-file factor so that no two files share bytes.
Past the distinct (agency, period) identities, files are revisions that supersede an
earlier one. Every file passes validation, so the benchmark measures the full path of
an accepted submission. Generation is cached: the same size is written once.
"""

from __future__ import annotations

import json
import os
import random
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from pathlib import Path

from orchestration.sample.generate import (
    HALVES,
    VIETNAM,
    PlannedFile,
    check_rules,
    indicator_rows,
    plan_sample,
)
from reference.catalog import Catalog, load_catalog
from reference.periods import parse_period
from workbooks.writing.writer import build_workbook, workbook_bytes

VERSION = 1  # bump when the generated files change
SEED = "chitieu-bench-v1"
FIRST_YEAR, LAST_YEAR = 2000, 2024  # every agency and district of the catalogue is valid
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class BenchFile:
    """One benchmark workbook: which sample file it scales, and where it goes."""

    index: int
    agency: str
    period_code: str
    revision: int  # 0 = first submission of (agency, period)


def periods() -> list[str]:
    """Period codes in the order identities are used: halves, quarters, months, years."""
    years = range(FIRST_YEAR, LAST_YEAR + 1)
    halves = [f"{y}S{h}" for y in years for h in (1, 2)]
    quarters = [f"{y}Q{q}" for y in years for q in (1, 2, 3, 4)]
    months = [f"{y}{m:02d}" for y in years for m in range(1, 13)]
    return halves + quarters + months + [str(y) for y in years]


def plan_bench(count: int, agencies: list[str]) -> list[BenchFile]:
    """``count`` files: every (agency, period) once, then revisions of the earliest ones."""
    identities = [(a, p) for p in periods() for a in agencies]
    return [
        BenchFile(i, *identities[i % len(identities)], i // len(identities)) for i in range(count)
    ]


def _bases(catalog: Catalog) -> dict[str, list[PlannedFile]]:
    """Per agency, its accepted sample files (no duplicate, no defect) of the halves on the
    district map of 2000-2024 (not 2025 on: other units, and the long layout)."""
    latest: dict[tuple[str, str], PlannedFile] = {}
    for planned in plan_sample(catalog):
        if planned.half in HALVES and planned.copy_of is None and not planned.overrides:
            latest[planned.agency, planned.half] = planned  # received order: keeps the last
    bases: dict[str, list[PlannedFile]] = {}
    for (agency, _), planned in sorted(latest.items()):
        bases.setdefault(agency, []).append(planned)
    return bases


def _scaled(catalog: Catalog, values: dict, rng: random.Random) -> dict:
    """Values times one factor per file; the sample's own values if a rule would fail."""
    factor = rng.uniform(0.85, 1.15)
    scaled = {cell: round(v * factor) for cell, v in values.items()}
    return values if check_rules(catalog, scaled) else scaled


def _received(period_code: str, revision: int, rng: random.Random) -> datetime:
    """Working hours a few days after the period ends; revisions a few weeks later."""
    end = parse_period(period_code).end_date
    day = end + timedelta(days=rng.randint(1, 8) + 21 * revision)
    moment = time(rng.randint(7, 16), rng.randint(0, 59), rng.randint(0, 59))
    return datetime.combine(day, moment, VIETNAM)


def _workbook(catalog: Catalog, base: PlannedFile, spec: BenchFile) -> tuple[bytes, datetime]:
    rng = random.Random(f"{SEED}/{spec.index}")
    period = parse_period(spec.period_code)
    received = _received(spec.period_code, spec.revision, rng)
    layout = replace(
        base.layout,
        period_text=period.label_vi,
        districts=catalog.districts_for(period),
        report_date=received.date(),
    )
    planned = replace(base, values=_scaled(catalog, base.values, rng), billions=False, notes={})
    wb = build_workbook(indicator_rows(catalog, planned), planned.tasks, layout)
    return workbook_bytes(wb, received.replace(tzinfo=None) - timedelta(hours=1)), received


def file_name(spec: BenchFile) -> str:
    suffix = f"_r{spec.revision}" if spec.revision else ""
    return f"{spec.period_code}_{spec.agency}{suffix}_{spec.index:05d}.xlsx"


def _write_chunk(args: tuple[str, list[BenchFile]]) -> int:
    """Write some files (in a worker process); their mtime is their arrival."""
    folder, specs = Path(args[0]), args[1]
    catalog = load_catalog()
    bases = _bases(catalog)
    for spec in specs:
        choices = bases[spec.agency]
        data, received = _workbook(catalog, choices[spec.index % len(choices)], spec)
        path = folder / file_name(spec)
        path.write_bytes(data)
        stamp = received.timestamp()
        os.utime(path, (stamp, stamp))
    return len(specs)


def write_files(folder: Path, specs: list[BenchFile], workers: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    chunks = [(str(folder), specs[i :: workers * 8]) for i in range(workers * 8)]
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_write_chunk, [c for c in chunks if c[1]]))


def ensure_files(work: Path, count: int, extra: int, workers: int) -> tuple[Path, Path]:
    """Folders holding ``count`` files and ``extra`` later ones, written once per size."""
    root = work / f"files-{count}"
    main, more = root / "inbox", root / "extra"
    wanted = {"version": VERSION, "count": count, "extra": extra}
    manifest = root / MANIFEST
    if manifest.exists() and json.loads(manifest.read_text()) == wanted:
        return main, more
    for folder in (main, more):
        if folder.exists():
            for old in folder.iterdir():
                old.unlink()
    specs = plan_bench(count + extra, list(load_catalog().agencies))
    write_files(main, specs[:count], workers)
    write_files(more, specs[count:], workers)
    manifest.write_text(json.dumps(wanted))
    return main, more
