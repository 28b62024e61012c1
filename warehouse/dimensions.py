"""Keep the dimension tables in step with the reference catalogue.

Keys are stable: an existing code keeps its key, a new one gets the next free key.
"""

import duckdb
import pandas as pd

from reference import Catalog
from reference.periods import parents, parse_period, same_period_last_year
from warehouse.store import insert_frame


def _with_keys(
    con: duckdb.DuckDBPyConnection, table: str, key: str, natural: list[str], frame: pd.DataFrame
) -> pd.DataFrame:
    existing = con.execute(
        f"SELECT {key}, {', '.join(f'CAST({c} AS VARCHAR) AS {c}' for c in natural)} FROM {table}"
    ).df()
    as_text = frame[natural].astype(str)
    merged = frame.join(as_text.merge(existing, on=natural, how="left")[[key]])
    start = int(existing[key].max()) if len(existing) else 0
    missing = merged[key].isna()
    merged.loc[missing, key] = range(start + 1, start + 1 + int(missing.sum()))
    merged[key] = merged[key].astype("int64")
    return merged[[key, *[c for c in frame.columns]]]


def _upsert(con: duckdb.DuckDBPyConnection, table: str, key: str, frame: pd.DataFrame) -> None:
    con.execute(f"DELETE FROM {table} WHERE list_contains(?, {key})", [frame[key].tolist()])
    insert_frame(con, table, frame)


def sync_reference(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> None:
    """Write agencies, districts, indicators and settings from the catalogue."""
    sync_settings(con, catalog)
    agencies = pd.DataFrame(
        {
            "agency_code": a.code,
            "agency_name": a.name,
            "short_name": a.short_name,
            "is_standing": a.is_standing,
            "valid_from": a.valid_from,
            "valid_to": a.valid_to,
        }
        for a in catalog.agencies.values()
    )
    _upsert(
        con,
        "dim_agency",
        "agency_key",
        _with_keys(con, "dim_agency", "agency_key", ["agency_code"], agencies),
    )
    districts = pd.DataFrame(
        {
            "district_code": d.code,
            "district_name": d.name,
            "district_type": d.district_type,
            "province_code": d.province_code,
            "valid_from": pd.Timestamp(d.valid_from),
            "valid_to": pd.Timestamp(d.valid_to) if d.valid_to else pd.NaT,
            "change_note_vi": d.change_note_vi,
            "unit_level": d.unit_level,
            "former_province_code": d.former_province_code,
            "former_district_code": d.former_district_code,
            "former_district_codes": ";".join(d.former_district_codes) or None,
            "spans_former_districts": d.spans_former_districts,
            "rollup_former_district_code": d.rollup_former_district_code,
            "full_name": d.full_name or None,
        }
        for d in catalog.districts
    )
    keyed = _with_keys(
        con,
        "dim_district",
        "district_key",
        ["district_code", "valid_from"],
        districts.assign(valid_from=districts.valid_from.dt.date),
    )
    _upsert(con, "dim_district", "district_key", keyed)
    indicators = pd.DataFrame(
        {
            "indicator_code": i.code,
            "indicator_name": i.name,
            "unit": i.unit,
            "value_kind": i.value_kind,
            "indicator_group": i.group,
            "sort_order": i.sort_order,
        }
        for i in catalog.indicators.values()
    )
    _upsert(
        con,
        "dim_indicator",
        "indicator_key",
        _with_keys(con, "dim_indicator", "indicator_key", ["indicator_code"], indicators),
    )


def ensure_periods(con: duckdb.DuckDBPyConnection, codes: set[str]) -> None:
    """Add periods (and every coarser period containing them, and last year's) to dim_period.

    Keys come from the codes (``Period.key``), so batches in any order give the same keys.
    """
    wanted: set[str] = set()
    for code in codes:
        wanted.add(code)
        for coarser in [code, *parents(code)]:
            wanted.add(coarser)
            if last_year := same_period_last_year(coarser):
                wanted.add(last_year)
    rows = con.execute(
        "SELECT period_code, same_period_last_year_code IS NULL FROM dim_period"
    ).fetchall()
    known = {code for code, _ in rows}
    unfilled = {code for code, empty in rows if empty and same_period_last_year(code)}
    new = sorted((wanted - known) | unfilled)  # unfilled: rows of a warehouse before v5
    if not new:
        return
    periods = [parse_period(code) for code in new]
    frame = pd.DataFrame(
        {
            "period_key": p.key,
            "period_code": p.code,
            "period_type": p.period_type,
            "start_date": p.start_date,
            "end_date": p.end_date,
            "year": p.year,
            "label_vi": p.label_vi,
            "same_period_last_year_code": same_period_last_year(p.code),
        }
        for p in periods
    )
    _upsert(con, "dim_period", "period_key", frame)


def sync_settings(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> None:
    """Replace the reporting and programme settings with the catalogue's."""
    reporting = pd.DataFrame(
        [
            (agency, period_type, days)
            for (agency, period_type), days in catalog.deadline_days.items()
        ],
        columns=["agency_code", "period_type", "deadline_days"],
    )
    programs = pd.DataFrame(
        {
            "phase_code": p["phase_code"],
            "program_name": p["program_name"],
            "start_date": p["start_date"],
            "end_date": p["end_date"],
            "agency_codes": p["agency_codes"].split(";"),
        }
        for p in catalog.programs
    )
    crosswalk = pd.DataFrame(
        catalog.crosswalk, columns=["from_code", "from_valid_to", "to_code", "to_valid_from"]
    )
    units = pd.DataFrame(
        catalog.unit_crosswalk,
        columns=["old_code", "old_name", "old_level", "old_parent_code", "new_code", "new_name"],
    )
    for table, frame in (
        ("ref_reporting", reporting),
        ("ref_program", programs),
        ("ref_district_crosswalk", crosswalk),
        ("ref_unit_crosswalk", units),
    ):
        con.execute(f"DELETE FROM {table}")
        insert_frame(con, table, frame)
