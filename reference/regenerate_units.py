"""Regenerate the communes and wards of the merged Ninh Bình from maintained packages.

    python -m reference.regenerate_units [--out DIR] [--wheels DIR]

Sources, read as data from their wheels (downloaded with pip into a temp folder,
never installed, never imported; ``vietnam-provinces`` is GPL and not a dependency):

- ``vietnam-provinces`` 2025.10.1: the 129 units of the new province 37, GSO codes
  and types (QĐ 19/2025/QĐ-TTg, NQ 1674/NQ-UBTVQH15);
- ``vietnam-provinces`` 0.6.0: the map of 2025-06-30 with GSO codes of the former
  districts and communes of Hà Nam (35), Nam Định (36) and Ninh Bình (37);
- ``vietnam-address-converter`` 1.0.5 (Apache-2.0): which old communes formed each
  new unit, by name (its codes are its own), joined on names folded tolerantly.

Writes ``communes.csv``, ``unit_crosswalk.csv`` and ``units_provenance.md``.
"""

import argparse
import ast
import csv
import hashlib
import io
import json
import re
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

NEW_RELEASE = ("vietnam-provinces", "2025.10.1")
OLD_RELEASE = ("vietnam-provinces", "0.6.0")
MAPPING_RELEASE = ("vietnam-address-converter", "1.0.5")
LICENCES = {
    NEW_RELEASE: "GPL-3.0-or-later",
    OLD_RELEASE: "GPL-3.0-or-later",
    MAPPING_RELEASE: "Apache-2.0",
}
PROVINCE_CODE = "37"
FORMER_PROVINCES = ("35", "36", "37")  # Hà Nam, Nam Định, Ninh Bình before 2025-07-01
VALID_FROM = "2025-07-01"
DEFAULT_OUT = Path(__file__).parent / "data"

COMMUNE_COLUMNS = [
    "district_code",
    "district_name",
    "district_type",
    "unit_level",
    "province_code",
    "valid_from",
    "valid_to",
    "former_province_code",
    "former_district_code",
    "former_district_codes",
    "spans_former_districts",
    "rollup_former_district_code",
    "full_name",
]
CROSSWALK_COLUMNS = [
    "old_code",
    "old_name",
    "old_level",
    "old_parent_code",
    "new_code",
    "new_name",
]

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_PREFIX = re.compile(r"^(tỉnh|thành phố|thị xã|thị trấn|huyện|quận|phường|xã)\s+", re.IGNORECASE)


def name_key(text: str) -> str:
    """A unit's name without its type and tone marks, keeping vowel shapes.

    ``Hoà``/``Hòa`` meet, but ``Trực Hùng`` and ``Trực Hưng`` (both in Trực Ninh) stay apart.
    """
    lowered = unicodedata.normalize("NFC", " ".join(str(text).lower().split()))
    bare = _PREFIX.sub("", lowered)
    toneless = "".join(c for c in unicodedata.normalize("NFD", bare) if c not in _TONES)
    return unicodedata.normalize("NFC", toneless)


# --- reading the wheels ------------------------------------------------------
def download(release: tuple[str, str], folder: Path) -> Path:
    """The wheel of ``release`` in ``folder``, fetched with pip if it is not there yet."""
    name, version = release
    pattern = f"{name.replace('-', '_')}-{version}-*.whl"
    found = sorted(folder.glob(pattern))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet"]
            + ["--only-binary=:all:", "-d", str(folder), f"{name}=={version}"],
            check=True,
        )
        found = sorted(folder.glob(pattern))
    return found[0]


def _member(wheel: Path, suffix: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(suffix))
        return archive.read(name).decode("utf-8")


def provinces_json(wheel: Path) -> list[dict]:
    return json.loads(_member(wheel, "vietnam_provinces/data/nested-divisions.json"))


def converter_mapping(wheel: Path) -> list[dict]:
    """The converter's old-to-new rows: a JSON literal in ``data.py``, read without running it."""
    tree = ast.parse(_member(wheel, "vietnam_address_converter/data.py"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "loads":
            literal = node.args[0]
            if isinstance(literal, ast.Constant) and isinstance(literal.value, str):
                return json.loads(literal.value)["mapping"]["rows"]
    raise ValueError(f"no mapping in {wheel.name}")


# --- building the tables -----------------------------------------------------
def _code(value: int, width: int) -> str:
    return str(value).zfill(width)


def _clean(name: str) -> str:
    """NFC, single spaces: the source has a few doubled ones ("Xã  Xuân Giang")."""
    return " ".join(unicodedata.normalize("NFC", name).split())


def _short(name: str) -> str:
    return _PREFIX.sub("", _clean(name)).strip()


def build(new: list[dict], old: list[dict], mapping: list[dict]) -> tuple[list, list]:
    """Rows of communes.csv and unit_crosswalk.csv."""
    province = next(p for p in new if _code(p["code"], 2) == PROVINCE_CODE)
    units = {name_key(w["name"]): w for w in province["wards"]}
    if len(units) != len(province["wards"]):
        raise ValueError("the new units' names are not unique once folded")
    old_communes, old_districts = {}, {}
    for p in old:
        if _code(p["code"], 2) not in FORMER_PROVINCES:
            continue
        for d in p["districts"]:
            old_districts[_code(d["code"], 3)] = (_code(p["code"], 2), d["name"])
            for w in d["wards"]:
                key = (name_key(p["name"]), name_key(d["name"]), name_key(w["name"]))
                if key in old_communes:
                    raise ValueError(f"two old communes fold to {key}")
                old_communes[key] = (_code(p["code"], 2), _code(d["code"], 3), w)
    target = {name_key(p["name"]) for p in new if _code(p["code"], 2) == PROVINCE_CODE}
    crosswalk: list[list[str]] = []
    parts: defaultdict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    for row in mapping:
        if name_key(row["new"]["province_name"]) not in target:
            continue
        o = row["old"]
        key = (name_key(o["province_name"]), name_key(o["district_name"]), name_key(o["ward_name"]))
        old_province, old_district, ward = old_communes[key]  # KeyError: the join failed
        unit = units[name_key(row["new"]["ward_name"])]
        new_code = _code(unit["code"], 5)
        parts[new_code][(old_province, old_district)] += 1
        crosswalk.append(
            [
                _code(ward["code"], 5),
                _clean(ward["name"]),
                "commune",
                old_district,
                new_code,
                _clean(unit["name"]),
            ]
        )
    district_pairs = sorted({(r[3], r[4], r[5]) for r in crosswalk})
    for old_district, new_code, new_name in district_pairs:
        province_code, district_name = old_districts[old_district]
        crosswalk.append(
            [old_district, _clean(district_name), "district", province_code, new_code, new_name]
        )
    communes = [_commune(unit, parts[_code(unit["code"], 5)]) for unit in province["wards"]]
    communes.sort(key=lambda r: r[0])
    crosswalk.sort(key=lambda r: (r[2] != "district", r[0], r[4]))
    return communes, crosswalk


def _commune(unit: dict, parts: Counter) -> list[str]:
    """One new unit, with the former districts its old communes came from."""
    if not parts:
        raise ValueError(f"{unit['name']} has no old communes in the mapping")
    provinces = sorted({p for p, _ in parts})
    districts = sorted({d for _, d in parts})
    # The former district that gave most old communes carries a spanning unit's values.
    rollup = min(parts, key=lambda pd_: (-parts[pd_], pd_[1]))[1]
    spans = len(districts) > 1
    return [
        _code(unit["code"], 5),
        _short(unit["name"]),
        unit["division_type"],
        "commune",
        PROVINCE_CODE,
        VALID_FROM,
        "",
        provinces[0] if len(provinces) == 1 else "",
        "" if spans else districts[0],
        ";".join(districts),
        "true" if spans else "false",
        rollup,
        _clean(unit["name"]),
    ]


def _csv(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _provenance(wheels: dict, communes: list, crosswalk: list) -> str:
    lines = [
        "# Provenance of communes.csv and unit_crosswalk.csv",
        "",
        "Generated by `python -m reference.regenerate_units`; do not edit by hand.",
        "Facts (unit names, GSO codes, old-to-new mapping) are public data under",
        "Quyết định 19/2025/QĐ-TTg (codes) and Nghị quyết 1674/NQ-UBTVQH15 (the 129 units",
        "of the new Ninh Bình), after Nghị quyết 202/2025/QH15 and Luật 72/2025/QH15.",
        "The packages are read as data at development time only; none is a dependency.",
        "",
        "| package | version | licence | used for | wheel sha256 |",
        "|---|---|---|---|---|",
    ]
    uses = {
        NEW_RELEASE: "the 129 units of province 37 from 2025-07-01, GSO codes and types",
        OLD_RELEASE: "GSO codes of the former districts and communes (map of 2025-06-30)",
        MAPPING_RELEASE: "old communes onto new units, by name (joined on folded names)",
    }
    for release, wheel in wheels.items():
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        lines.append(
            f"| {release[0]} | {release[1]} | {LICENCES[release]} | {uses[release]} | `{digest}` |"
        )
    old_rows = [r for r in crosswalk if r[2] == "commune"]
    lines += [
        "",
        f"- communes.csv: {len(communes)} units "
        f"({sum(r[2] == 'xã' for r in communes)} xã, {sum(r[2] == 'phường' for r in communes)} "
        f"phường), {sum(r[10] == 'true' for r in communes)} spanning several former districts.",
        f"- unit_crosswalk.csv: {len(old_rows)} commune rows "
        f"({len({r[0] for r in old_rows})} old communes; each one split between new units "
        "appears once per unit) and "
        f"{len(crosswalk) - len(old_rows)} district rows (former district → new unit).",
        "",
    ]
    return "\n".join(lines)


def generate(wheel_dir: Path) -> dict[str, str]:
    """File name → text of every generated file."""
    wheels = {r: download(r, wheel_dir) for r in (NEW_RELEASE, OLD_RELEASE, MAPPING_RELEASE)}
    communes, crosswalk = build(
        provinces_json(wheels[NEW_RELEASE]),
        provinces_json(wheels[OLD_RELEASE]),
        converter_mapping(wheels[MAPPING_RELEASE]),
    )
    return {
        "communes.csv": _csv(COMMUNE_COLUMNS, communes),
        "unit_crosswalk.csv": _csv(CROSSWALK_COLUMNS, crosswalk),
        "units_provenance.md": _provenance(wheels, communes, crosswalk),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder to write into")
    parser.add_argument("--wheels", type=Path, help="folder of downloaded wheels (kept)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temp:
        files = generate(args.wheels or Path(temp))
    for name, text in files.items():
        (args.out / name).write_text(text, encoding="utf-8")
        print(f"wrote {args.out / name}")


if __name__ == "__main__":
    main()
