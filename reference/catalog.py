"""The reference catalogue, loaded from the CSV files in ``reference/data``.

An administrator edits those files; nothing of them is repeated in code.
Set ``CHITIEU_REFERENCE_DIR`` to use another folder.
"""

import csv
import difflib
import os
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from reference.periods import Period
from reference.text import fold

DEFAULT_DIR = Path(__file__).parent / "data"
_DISTRICT_PREFIXES = re.compile(r"^(thanh pho|tp\.?|huyen|h\.|thi xa|tx\.?|quan|q\.)\s*")
_PREFIX_TYPES = {"thanh pho": "thành phố", "tp": "thành phố", "tp.": "thành phố",
                 "huyen": "huyện", "h.": "huyện", "thi xa": "thị xã", "tx": "thị xã",
                 "tx.": "thị xã", "quan": "quận", "q.": "quận"}  # fmt: skip
_FAR_PAST, _FAR_FUTURE = date(1900, 1, 1), date(9999, 12, 31)


def _date(text: str, default: date) -> date:
    return date.fromisoformat(text) if text else default


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    short_name: str
    is_standing: bool
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True)
class District:
    code: str
    name: str
    district_type: str
    province_code: str
    valid_from: date
    valid_to: date | None
    change_note_vi: str

    def exists_during(self, period: Period) -> bool:
        """True when the unit existed for the whole period."""
        return self.valid_from <= period.start_date and (
            self.valid_to is None or period.end_date <= self.valid_to
        )

    @property
    def is_province_level(self) -> bool:
        return self.district_type == "cấp tỉnh"


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    unit: str
    value_kind: str  # count or money
    group: str
    sort_order: int
    outlier_threshold: float


@dataclass(frozen=True)
class Rule:
    """A cross-indicator rule: ``left op factor*right``, or ``left>0 ⇒ right>0``."""

    rule_id: str
    left: str
    operator: str
    right: str
    right_factor: float
    severity: str
    description_vi: str


@dataclass(frozen=True)
class DistrictMatch:
    district: District | None
    reason_vi: str = ""  # why a name that is a district's does not fit the period
    # set when the header names a former unit of another type (huyện Hoa Lư in 2025):
    # what became of it, so the reader can say where its values went
    former_vi: str = ""


@dataclass
class Catalog:
    agencies: dict[str, Agency]
    districts: list[District]
    indicators: dict[str, Indicator]
    rules: list[Rule]
    unit_factors: dict[tuple[str, str], float]  # (folded unit, folded base) -> factor
    deadline_days: dict[tuple[str, str], int]  # (agency, period_type) -> days
    expected_indicators: dict[str, list[str]]
    programs: list[dict[str, str]]
    crosswalk: list[dict[str, str]]
    _agency_keys: list[tuple[str, str, date, date]] = field(default_factory=list)
    province_name: str = ""

    # --- agencies -----------------------------------------------------------
    def match_agency(self, text: str, on: date | None = None) -> Agency | None:
        """Resolve a code, name or alias in any tolerant form.

        A trailing "tỉnh", province name or "tỉnh <province>" is optional on both sides,
        so "Hội Nông dân tỉnh Ninh Bình" is "Hội Nông dân tỉnh" (its official long name).
        """
        key = fold(text).rstrip(". ")
        on = on or date.today()
        valid = [(alias, code) for alias, code, start, end in self._agency_keys
                 if start <= on <= end]  # fmt: skip
        for alias, code in valid:
            if alias == key:
                return self.agencies[code]
        bare = self._without_province(key)
        codes = {code for alias, code in valid if self._without_province(alias) == bare}
        return self.agencies[codes.pop()] if len(codes) == 1 else None

    def closest_agency(self, text: str, on: date | None = None) -> Agency | None:
        """The agency whose name or alias looks most like ``text``, if one is close."""
        on = on or date.today()
        bare = self._without_province(fold(text).rstrip(". "))
        keys = {self._without_province(alias): code for alias, code, start, end
                in self._agency_keys if start <= on <= end and len(alias) > 3}  # fmt: skip
        close = difflib.get_close_matches(bare, list(keys), n=1, cutoff=0.8)
        return self.agencies[keys[close[0]]] if close else None

    def _without_province(self, key: str) -> str:
        province = fold(self.province_name)
        for suffix in (f" tinh {province}", f" {province}", " tinh"):
            if province and key.endswith(suffix) and len(key) > len(suffix):
                return key[: -len(suffix)].strip()
        return key

    # --- districts ----------------------------------------------------------
    def province_member(self) -> District:
        return next(d for d in self.districts if d.is_province_level)

    def districts_for(self, period: Period) -> list[District]:
        """District-level units that existed for the whole period, in code order."""
        return [d for d in self.districts if not d.is_province_level and d.exists_during(period)]

    def match_district(self, header: str, period: Period | None) -> DistrictMatch:
        """Match a column header to a district-level unit existing during ``period``."""
        folded = fold(header)
        prefix = _DISTRICT_PREFIXES.match(folded)
        key = _DISTRICT_PREFIXES.sub("", folded).strip()
        named = [d for d in self.districts if not d.is_province_level and fold(d.name) == key]
        if not named:
            return DistrictMatch(None)
        if period is None:
            return DistrictMatch(named[-1])
        typed = _PREFIX_TYPES.get(prefix[1]) if prefix else None
        for district in named:
            if district.exists_during(period):
                former = next((d for d in named if d.district_type == typed), None)
                if typed is None or typed == district.district_type or former is None:
                    return DistrictMatch(district)
                note = f"{former.district_type} {former.name} {former.change_note_vi}".strip()
                return DistrictMatch(district, former_vi=note)
        return DistrictMatch(None, named[-1].change_note_vi)

    # --- indicators and units ----------------------------------------------
    def unit_factor(self, unit_text: str, indicator: Indicator) -> float | None:
        """Factor converting ``unit_text`` to the indicator's unit; None if impossible."""
        unit, base = fold(unit_text), fold(indicator.unit)
        if unit == base:
            return 1.0
        return self.unit_factors.get((unit, base))

    def deadline_days_for(self, agency_code: str, period_type: str) -> int:
        return self.deadline_days.get((agency_code, period_type), 10)


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _parse_right(text: str) -> tuple[str, float]:
    factor, _, code = text.rpartition("*")
    return code.strip(), float(factor) if factor else 1.0


def load_catalog(folder: str | None = None) -> Catalog:
    """Load the catalogue from ``folder`` (or ``CHITIEU_REFERENCE_DIR``, or the bundled data)."""
    return _load_catalog(str(folder or os.environ.get("CHITIEU_REFERENCE_DIR") or DEFAULT_DIR))


@cache
def _load_catalog(folder: str) -> Catalog:
    path = Path(folder)
    agencies = {
        r["agency_code"]: Agency(
            r["agency_code"],
            r["agency_name"],
            r["short_name"],
            r["is_standing"].lower() == "true",
            _date(r["valid_from"], _FAR_PAST),
            _date(r["valid_to"], _FAR_FUTURE) if r["valid_to"] else None,
        )
        for r in _rows(path, "agencies.csv")
    }
    agency_keys = []
    for agency in agencies.values():
        until = agency.valid_to or _FAR_FUTURE
        for text in (agency.code, agency.name, agency.short_name):
            agency_keys.append((fold(text), agency.code, agency.valid_from, until))
    for r in _rows(path, "agency_aliases.csv"):
        agency_keys.append(
            (
                fold(r["alias"]),
                r["agency_code"],
                _date(r["valid_from"], _FAR_PAST),
                _date(r["valid_to"], _FAR_FUTURE),
            )
        )
    districts = [
        District(
            r["district_code"],
            r["district_name"],
            r["district_type"],
            r["province_code"],
            _date(r["valid_from"], _FAR_PAST),
            _date(r["valid_to"], _FAR_FUTURE) if r["valid_to"] else None,
            r["change_note_vi"],
        )
        for r in _rows(path, "districts.csv")
    ]
    indicators = {
        r["indicator_code"]: Indicator(
            r["indicator_code"],
            r["indicator_name"],
            r["unit"],
            r["value_kind"],
            r["indicator_group"],
            int(r["sort_order"]),
            float(r["outlier_threshold"] or 3.5),
        )
        for r in _rows(path, "indicators.csv")
    }
    rules = [
        Rule(
            r["rule_id"],
            r["left"],
            r["operator"],
            *_parse_right(r["right"]),
            r["severity"],
            r["description_vi"],
        )
        for r in _rows(path, "rules.csv")
    ]
    unit_factors = {
        (fold(r["unit"]), fold(r["base_unit"])): float(r["factor"])
        for r in _rows(path, "units.csv")
    }
    deadline_days = {
        (r["agency_code"], r["period_type"]): int(r["deadline_days"])
        for r in _rows(path, "reporting.csv")
    }
    expected: dict[str, list[str]] = {}
    for r in _rows(path, "agency_indicators.csv"):
        expected.setdefault(r["agency_code"], []).append(r["indicator_code"])
    return Catalog(
        agencies,
        districts,
        indicators,
        rules,
        unit_factors,
        deadline_days,
        expected,
        _rows(path, "programs.csv"),
        _rows(path, "district_crosswalk.csv"),
        agency_keys,
        _province_name(path),
    )


def _province_name(folder: Path) -> str:
    """The province's name (``province.csv``), an optional suffix of agency names."""
    if not (folder / "province.csv").exists():
        return ""
    return next((r["province_name"] for r in _rows(folder, "province.csv")), "")
