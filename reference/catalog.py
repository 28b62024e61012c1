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
from functools import cache, lru_cache
from pathlib import Path

from reference.periods import Period
from reference.text import fold

DEFAULT_DIR = Path(__file__).parent / "data"
_DISTRICT_PREFIXES = re.compile(r"^(thanh pho|huyen|thi xa|quan)\s+|^(tp|tx)\.?\s*|^(h|q)\.\s*")
_COMMUNE_PREFIXES = re.compile(r"^(thi tran|tt\.|phuong|p\.|xa)\s+|^(tt\.|p\.)")
_CODE = re.compile(r"^0*(\d+)(\.0+)?$")
# The type a district prefix names: "Huyện Hoa Lư" in 2025 is the former huyện, not TP.
_PREFIX_TYPES = {"thanh pho": "thành phố", "tp": "thành phố", "huyen": "huyện", "h": "huyện",
                 "thi xa": "thị xã", "tx": "thị xã", "quan": "quận", "q": "quận"}  # fmt: skip
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
    unit_level: str = "district"  # province, district or commune
    former_province_code: str | None = None  # communes: the province before 2025-07-01
    former_district_code: str | None = None  # communes: None when spanning several
    former_district_codes: tuple[str, ...] = ()
    spans_former_districts: bool = False
    rollup_former_district_code: str | None = None  # carries a spanning unit's values
    full_name: str = ""  # "Xã Gia Viễn"; districts keep their short name

    @property
    def label(self) -> str:
        """The name as a clerk writes it: ``Xã Gia Viễn`` for a commune, ``Gia Viễn`` else."""
        return self.full_name or self.name

    def exists_during(self, period: Period) -> bool:
        """True when the unit existed for the whole period."""
        return self.valid_from <= period.start_date and (
            self.valid_to is None or period.end_date <= self.valid_to
        )

    @property
    def is_province_level(self) -> bool:
        return self.district_type == "cấp tỉnh"

    @property
    def is_commune(self) -> bool:
        return self.unit_level == "commune"


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
    unit_crosswalk: list[dict[str, str]] = field(default_factory=list)  # old unit -> new unit
    former_district_names: dict[str, str] = field(default_factory=dict)  # code -> full name
    province_name: str = ""

    _units_by_name: dict[str, list[District]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

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
        """Units below the province that existed for the whole period, in file order.

        The districts up to 2025S1, the communes and wards of the merged province from 2025S2.
        """
        return [d for d in self.districts if not d.is_province_level and d.exists_during(period)]

    def _units_named(self, key: str) -> list[District]:
        """The units below the province whose folded name is ``key``, in file order.

        Indexed on first use: a batch of many periods misses the reader's look-up cache,
        and a scan of every unit for every header cost a tenth of its reading."""
        if not self._units_by_name:
            for unit in self.districts:
                if not unit.is_province_level:
                    self._units_by_name.setdefault(_folded_name(unit.name), []).append(unit)
        return self._units_by_name.get(key, [])

    def match_district(self, header: str, period: Period | None) -> DistrictMatch:
        """Match a column header or row label to a unit below the province existing during
        ``period``: a district (``TP Ninh Bình``) or a commune (``Xã Gia Viễn``, ``gia vien``)."""
        level, key = _unit_key(header)
        named = [d for d in self._units_named(key) if level is None or d.unit_level == level]
        if not named and level != "district" and period is not None:
            return self._old_commune(key, period)
        match = self._pick(named, period)
        typed = _prefix_type(header)
        if (
            match.district is None
            or period is None
            or typed in (None, match.district.district_type)
        ):
            return match
        former = next((d for d in named if d.district_type == typed), None)
        if former is None:
            return match
        note = f"{former.district_type} {former.name} {former.change_note_vi}".strip()
        return DistrictMatch(match.district, former_vi=note)

    def _old_commune(self, key: str, period: Period) -> DistrictMatch:
        """A commune abolished on 2025-07-01, named in a period that has the new communes."""
        if not any(d.is_commune and d.exists_during(period) for d in self.districts):
            return DistrictMatch(None)
        successors = sorted(
            {
                r["new_name"]
                for r in self.unit_crosswalk
                if r["old_level"] == "commune" and _unit_key(r["old_name"])[1] == key
            }
        )
        if not successors:
            return DistrictMatch(None)
        names = ", ".join(successors)
        return DistrictMatch(None, f"là đơn vị cấp xã cũ; địa bàn nay thuộc {names}")

    def match_district_code(self, code: object, period: Period | None) -> DistrictMatch:
        """Match a GSO code (``373``, ``14464``, ``014464``, ``14464.0``) to a unit."""
        found = _CODE.match(str(code if code is not None else "").strip())
        if not found:
            return DistrictMatch(None)
        named = [d for d in self.districts if d.code.lstrip("0") == found.group(1)]
        return self._pick(named, period)

    def _pick(self, named: list[District], period: Period | None) -> DistrictMatch:
        if not named:
            return DistrictMatch(None)
        if period is None:
            return DistrictMatch(([d for d in named if not d.is_commune] or named)[-1])
        for district in named:
            if district.exists_during(period):
                return DistrictMatch(district)
        return DistrictMatch(None, self.change_note_vi(named[-1], period))

    def successors_in(self, unit: District, period: Period) -> list[District]:
        """The units existing during ``period`` that took over ``unit``'s territory."""
        found: dict[str, District] = {}
        for row in self.crosswalk:  # 369 and 374 -> thành phố Hoa Lư from 2025-01-01
            if row["from_code"] == unit.code and date.fromisoformat(row["from_valid_to"]) == (
                unit.valid_to
            ):
                after = date.fromisoformat(row["to_valid_from"])
                for nxt in self.districts:
                    if nxt.code == row["to_code"] and nxt.valid_from == after:
                        if nxt.exists_during(period):
                            found.setdefault(nxt.code, nxt)
                        else:
                            found.update({d.code: d for d in self.successors_in(nxt, period)})
        if unit.unit_level == "district":
            for commune in self.districts:
                if unit.code in commune.former_district_codes and commune.exists_during(period):
                    found.setdefault(commune.code, commune)
        return sorted(found.values(), key=lambda d: d.code)

    def change_note_vi(self, unit: District, period: Period) -> str:
        """Why ``unit`` cannot be used for ``period``, naming what replaced it or preceded it."""
        if unit.valid_to is not None and unit.valid_to < period.end_date:
            note = unit.change_note_vi or f"không còn từ ngày {unit.valid_to:%d/%m/%Y}"
            successors = self.successors_in(unit, period)
            if successors and all(d.is_commune for d in successors):
                names = ", ".join(d.label for d in successors)  # as the template writes them
                note += f"; địa bàn nay thuộc {names}"
            return note
        former = [
            _in_sentence(self.former_district_names.get(c, c)) for c in unit.former_district_codes
        ]
        note = f"chỉ có từ ngày {unit.valid_from:%d/%m/%Y}"
        return note + (f", trước đó địa bàn thuộc {', '.join(former)}" if former else "")

    # --- indicators and units ----------------------------------------------
    def unit_factor(self, unit_text: str, indicator: Indicator) -> float | None:
        """Factor converting ``unit_text`` to the indicator's unit; None if impossible."""
        unit, base = fold(unit_text), fold(indicator.unit)
        if unit == base:
            return 1.0
        return self.unit_factors.get((unit, base))

    def deadline_days_for(self, agency_code: str, period_type: str) -> int:
        return self.deadline_days.get((agency_code, period_type), 10)


def _prefix_type(header: str) -> str | None:
    """The unit type a district prefix names (``Huyện``, ``TP.``), None without one."""
    found = _DISTRICT_PREFIXES.match(fold(header))
    word = next((g for g in found.groups() if g), None) if found else None
    return _PREFIX_TYPES.get(word) if word else None


@lru_cache(maxsize=16384)  # every header is matched against every unit's name
def _unit_key(header: str) -> tuple[str | None, str]:
    """The folded name of a unit and the level its prefix names (None without a prefix)."""
    key = fold(header)
    for level, prefixes in (("commune", _COMMUNE_PREFIXES), ("district", _DISTRICT_PREFIXES)):
        bare = prefixes.sub("", key, count=1).strip()
        if bare != key:
            return level, bare
    return None, key


@lru_cache(maxsize=4096)
def _folded_name(name: str) -> str:
    """``fold`` of a unit's name, once per name rather than once per header matched."""
    return fold(name)


def _in_sentence(full_name: str) -> str:
    """``Huyện Gia Viễn`` as written inside a sentence: ``huyện Gia Viễn``."""
    return full_name[:1].lower() + full_name[1:]


def _optional_rows(folder: Path, name: str) -> list[dict[str, str]]:
    return _rows(folder, name) if (folder / name).exists() else []


def _unit(r: dict[str, str]) -> District:
    """A row of ``districts.csv`` or ``communes.csv`` (whose extra columns a district lacks)."""
    level = r.get("unit_level") or ("province" if r["district_type"] == "cấp tỉnh" else "district")
    return District(
        r["district_code"],
        r["district_name"],
        r["district_type"],
        r["province_code"],
        _date(r["valid_from"], _FAR_PAST),
        _date(r["valid_to"], _FAR_FUTURE) if r["valid_to"] else None,
        r.get("change_note_vi", ""),
        level,
        r.get("former_province_code") or None,
        r.get("former_district_code") or None,
        tuple(c for c in r.get("former_district_codes", "").split(";") if c),
        r.get("spans_former_districts", "").lower() == "true",
        r.get("rollup_former_district_code") or None,
        r.get("full_name", ""),
    )


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
    districts = [_unit(r) for r in _rows(path, "districts.csv")]
    districts += [_unit(r) for r in _optional_rows(path, "communes.csv")]
    unit_crosswalk = _optional_rows(path, "unit_crosswalk.csv")
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
        unit_crosswalk,
        {r["old_code"]: r["old_name"] for r in unit_crosswalk if r["old_level"] == "district"},
        _province_name(path),
    )


def _province_name(folder: Path) -> str:
    """The province's name (``province.csv``), an optional suffix of agency names."""
    if not (folder / "province.csv").exists():
        return ""
    return next((r["province_name"] for r in _rows(folder, "province.csv")), "")
