"""Hostile and broken files: fuzzed workbooks and crafted attacks end accepted or rejected.

Generated workbooks (openpyxl) go through the real reader and the real batch validation:
every one ends accepted or rejected with rule identifiers of the spec (section 8), never
an exception, within a time bound. Crafted attacks (zip bomb, encrypted, macros, legacy
.xls, empty, hostile names) go through a real `chitieu run`.

``CHITIEU_FUZZ_EXAMPLES`` (default 60) sets the number of generated workbooks.
"""

import io
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import unicodedata
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expectations.validate import validate_batch
from reference import load_catalog
from reference.model import ERROR
from tests.factories import GIA_VIEN, KIM_SON, indicator_row, make_submission
from tests.robustness import PROJECT, run_to_completion
from workbooks.reading.reader import read_workbook

pytestmark = pytest.mark.slow

TODAY = date(2026, 11, 27)
EXAMPLES = int(os.environ.get("CHITIEU_FUZZ_EXAMPLES", "60"))
READ_SECONDS = 2.0  # per file, reading
CHECK_SECONDS = 20.0  # per file, reading and a Great Expectations run (mostly fixed cost)
RULES = {
    "unreadable_file",
    "missing_indicator_sheet",
    "missing_column",
    "missing_agency",
    "unknown_agency",
    "missing_period",
    "bad_period",
    "unknown_indicator",
    "duplicate_indicator",
    "unknown_district",
    "not_a_number",
    "ambiguous_number",
    "negative_value",
    "not_whole_number",
    "unit_mismatch",
    "total_mismatch",
    "formula_without_value",
    "bad_task_row",
    "validation_rule",
    "outlier",
    "late_submission",
    "missing_indicator",
    # issue 11: values no longer dropped or misread silently
    "value_without_header",
    "merged_value_cells",
    "hidden_values",
    "extra_table",
    "extra_indicator_sheet",
    "district_renamed",
    "empty_submission",
    "duplicate_district",
    "values_removed",
    "tasks_removed",
    "processing_error",
}
HEADER = ["STT", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Gia Viễn", "Kim Sơn"]
HEADER += ["Cấp tỉnh", "Tổng cộng", "Ghi chú"]
META = [["Đơn vị báo cáo:", "Bộ Chỉ huy Quân sự tỉnh"], ["Kỳ báo cáo:", "6 tháng đầu năm 2019"]]
CODES = ["TT_HOI_NGHI", "TT_LUOT_NGUOI", "ASXH_QUA", "ASXH_QUA_GIA_TRI", "XX_LA", ""]
ODD = ["\u200b", "\u202e", "\u0000", "\x07", "\ufeff", "🎉", "\u0301", "\n", "\t", " ", ":"]


@dataclass
class Tally:
    """What a fuzz run saw: the longest times and how many files ended with each rule."""

    longest_read: float = 0.0
    longest_check: float = 0.0
    files: int = 0
    outcomes: Counter = field(default_factory=Counter)


odd_text = st.text(
    alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from(ODD)), max_size=40
)
cells = st.one_of(
    st.none(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["NaN", "nan", "inf", "-", "–", "1.5", "45.000", "7.150,5", "khoảng 50"]),
    st.sampled_from(["=SUM(E9:G9)", "=1/0", "=A1", "=SUM(A1:XFD1048576)", "=NOW()", "=E9+"]),
    st.datetimes(datetime(1900, 3, 1), datetime(2100, 1, 1)),
    st.booleans(),
    odd_text,
)


def perturb(text: str, how: int) -> str:
    """A header as a clerk or a hostile file might write it."""
    forms = [
        text,
        unicodedata.normalize("NFD", text),
        text.upper(),
        "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)),
        f"{text}:",
        "\u200b".join(text),
        f"  {text}\n",
        text[::-1],
        text[: len(text) // 2],
        f"\u202e{text}",
    ]
    return forms[how % len(forms)]


@st.composite
def sheets(draw) -> tuple[str, list[list], list[str]]:
    """One sheet: the real layout with perturbations, or noise; with random merges."""
    rows: list[list] = []
    if draw(st.integers(0, 3)):  # mostly the real layout, perturbed
        rows += [list(r) for r in META if draw(st.integers(0, 4))]
        rows.append([perturb(h, draw(st.integers(0, 30))) for h in HEADER])
    width = draw(st.integers(1, 12))
    block = draw(st.lists(st.lists(cells, max_size=width), max_size=6))
    for row in block:
        if draw(st.integers(0, 3)):
            row = [None, draw(st.sampled_from(CODES)), *row]
        rows.append(row)
    rows = rows + rows[-len(block) :] * draw(st.integers(0, 60)) if block else rows
    merges = []
    for _ in range(draw(st.integers(0, 4))):
        r, c = draw(st.integers(1, max(len(rows), 1))), draw(st.integers(1, 10))
        merges.append(
            f"{_col(c)}{r}:{_col(c + draw(st.integers(0, 3)))}{r + draw(st.integers(0, 2))}"
        )
    name = draw(st.text(min_size=1, max_size=31).filter(_valid_title))
    return name, rows, merges


def _col(n: int) -> str:
    return openpyxl.utils.get_column_letter(n)


def _valid_title(name: str) -> bool:
    return not re.search(r"[\[\]:*?/\\\x00-\x1f]", name) and name.strip("'") == name


def write(path: Path, book: list[tuple[str, list[list], list[str]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    used = set()
    for name, rows, merges in book:
        title = name if name.lower() not in used else f"S{len(used)}"
        used.add(title.lower())
        ws = wb.create_sheet(title)
        for r, row in enumerate(rows, 1):
            for c, value in enumerate(row, 1):
                if value is not None:
                    ws.cell(r, c, _storable(value))
        for ref in merges:  # overlapping ranges included, as hostile files have them
            ws.merge_cells(ref)
    if not wb.worksheets:
        wb.create_sheet("Trống")
    wb.save(path)
    return path


def _storable(value: object) -> object:
    if isinstance(value, str):  # XML 1.0 cannot hold most control characters
        return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "\ufffd", value)[:32000]
    if isinstance(value, int) and abs(value) > 2**53:
        return float(value)
    return value


def assert_ends_well(path: Path, tally: Tally | None = None) -> str:
    """Read and validate one file; it is accepted or rejected with known rules, in time."""
    catalog = load_catalog()
    started = time.perf_counter()
    parsed = read_workbook(path, catalog, TODAY)
    read = time.perf_counter() - started
    problems = validate_batch([parsed], catalog)[0]
    total = time.perf_counter() - started
    assert read < READ_SECONDS, f"{path.name}: read in {read:.1f} s"
    assert total < CHECK_SECONDS, f"{path.name}: read and validated in {total:.1f} s"
    assert {p.rule for p in problems} <= RULES, [p.rule for p in problems]
    assert all(p.severity in ("error", "warning") and p.message for p in problems)
    if tally is not None:
        tally.longest_read = max(tally.longest_read, read)
        tally.longest_check = max(tally.longest_check, total)
        tally.files += 1
        tally.outcomes.update({p.rule for p in problems} or {"(no problem)"})
        tally.outcomes["values read"] += len(parsed.values)
    return "rejected" if any(p.severity == ERROR for p in problems) else "accepted"


def test_generated_workbooks_end_accepted_or_rejected(tmp_path):
    """Every generated workbook ends accepted or rejected; the run reaches past the gates."""
    tally = Tally()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.lists(sheets(), min_size=0, max_size=4))
    def one_workbook(book):
        assert_ends_well(write(tmp_path / "fuzz.xlsx", book), tally)

    one_workbook()
    print(
        f"fuzz examples: {tally.files}; longest read {tally.longest_read:.2f} s, "
        f"read+validate {tally.longest_check:.2f} s; files per rule: {dict(tally.outcomes)}"
    )
    assert tally.files >= min(EXAMPLES, 10)
    # The generator must reach the table, not only the sheet and metadata gates.
    past_the_gates = set(tally.outcomes) - {"unreadable_file", "missing_indicator_sheet"}
    assert tally.outcomes["values read"] > 0 and len(past_the_gates) > 3, dict(tally.outcomes)


def test_real_layout_with_a_few_hundred_rows_is_accepted(tmp_path):
    rows = [indicator_row("TT_HOI_NGHI", {GIA_VIEN: 3, KIM_SON: 2})]
    path = make_submission(tmp_path / "ok.xlsx", rows=rows)
    assert assert_ends_well(path) == "accepted"
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    for r in range(ws.max_row + 1, ws.max_row + 400):
        ws.cell(r, 3, "dòng trống có chữ")  # a few hundred rows of noise under the table
    wb.save(path)
    assert assert_ends_well(path) == "accepted"


# --- crafted attacks through a real refresh -------------------------------------------


def sheet_bomb(path: Path, gigabytes: int = 3, lie: bool = False) -> Path:
    """A valid workbook whose first sheet inflates to ``gigabytes`` GB of blanks.

    The deflate stream is one 1 MB block compressed once and repeated (each block ends
    with a full flush, so blocks are independent): the file is ~1 MB per GB, built at once.
    """
    with tempfile.TemporaryDirectory() as folder:
        good = make_submission(Path(folder) / "good.xlsx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        members = {info.filename: z.read(info) for info in z.infolist()}
    head = members["xl/worksheets/sheet1.xml"][:200].split(b"<sheetData")[0] + b"<sheetData>"
    block = _deflate(b" " * (1 << 20))
    blocks = gigabytes * 1024
    with open(path, "wb") as out:
        entries = []
        for name, data in members.items():
            if name == "xl/worksheets/sheet1.xml":
                stream = _deflate(head) + block * blocks + _final()
                size = 1000 if lie else len(head) + blocks * (1 << 20)
                entries.append(_member(out, name, stream, size, 0))
            else:
                entries.append(
                    _member(out, name, _deflate(data, True), len(data), zlib.crc32(data))
                )
        _central(out, entries)
    return path


def _deflate(data: bytes, final: bool = False) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + (c.flush() if final else c.flush(zlib.Z_FULL_FLUSH))


def _final() -> bytes:
    return zlib.compressobj(9, zlib.DEFLATED, -15).flush()


def _member(out, name: str, stream: bytes, size: int, crc: int) -> tuple:
    offset, encoded = out.tell(), name.encode()
    out.write(
        struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(stream), size, len(encoded), 0
        )
    )
    out.write(encoded + stream)
    return encoded, crc, len(stream), size, offset


def _central(out, entries: list[tuple]) -> None:
    start = out.tell()
    for encoded, crc, csize, size, offset in entries:
        out.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                csize,
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
        )
        out.write(encoded)
    end = out.tell()
    out.write(
        struct.pack(
            "<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), end - start, start, 0
        )
    )


MEMORY_PROBE = r"""
import json, resource, sys, time
from datetime import date
from pathlib import Path
from reference import load_catalog
from workbooks.reading.reader import read_workbook
catalog = load_catalog()
read_workbook(Path(sys.argv[1]), catalog, date(2026, 11, 27))  # warm: imports, caches
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
result = read_workbook(Path(sys.argv[2]), catalog, date(2026, 11, 27))
print(json.dumps({
    "seconds": time.perf_counter() - started,
    "growth_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024,
    "rules": [p.rule for p in result.problems],
}))
"""


@pytest.mark.parametrize("lie", [False, True], ids=["honest-sizes", "lying-sizes"])
def test_zip_bomb_is_rejected_in_bounded_memory_and_time(tmp_path, lie):
    """A 3 GB sheet in a 3 MB file; with ``lie`` its headers claim 1,000 bytes."""
    good = make_submission(tmp_path / "good.xlsx")
    bomb = sheet_bomb(tmp_path / "bomb.xlsx", gigabytes=3, lie=lie)
    assert bomb.stat().st_size < 5 * 1024 * 1024
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(good), str(bomb)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    probe = json.loads(done.stdout.splitlines()[-1])
    print(f"zip bomb (3 GB sheet, lying sizes: {lie}): {probe}")
    assert probe["rules"] == ["unreadable_file"]
    assert probe["growth_mb"] < 300 and probe["seconds"] < READ_SECONDS


def encrypted_workbook(path: Path, plain: Path) -> Path:
    """A real password-protected workbook if msoffcrypto-tool is installed, else its shape."""
    try:
        from msoffcrypto.format.ooxml import OOXMLFile
    except ImportError:  # an OLE file with an EncryptedPackage stream, as Excel writes
        path.write_bytes(
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + b"\0" * 504
            + "EncryptedPackage".encode("utf-16-le")
            + b"\0" * 1024
        )
        return path
    with open(plain, "rb") as source, open(path, "wb") as target:
        OOXMLFile(source).encrypt("matkhau", target)
    return path


def macro_workbook(path: Path, plain: Path) -> Path:
    """The workbook as .xlsm with a vbaProject.bin and its content type."""
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Default Extension="bin" ContentType="application/'
                    b'vnd.ms-office.vbaProject"/></Types>',
                )
            z.writestr(info, data)
        z.writestr("xl/vbaProject.bin", b'\xd0\xcf\x11\xe0Attribute VB_Name = "Evil"' * 50)
    return path


def legacy_xls(path: Path) -> Path:
    """The indicator table as Excel 97 .xls, written with xlwt (a dev dependency)."""
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Biểu 01")
    rows = [*META, ["STT", "Mã chỉ tiêu", "Gia Viễn", "Kim Sơn", "Tổng cộng"]]
    rows += [[1, "TT_HOI_NGHI", 3, 2, 5], [2, "TT_LUOT_NGUOI", 250, 180, 430]]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.save(str(path))
    return path


def test_hostile_inbox_through_a_real_refresh(tmp_path):
    home = tmp_path / "home"
    inbox = home / "inbox"
    inbox.mkdir(parents=True)
    plain = make_submission(tmp_path / "plain.xlsx", agency="Công an tỉnh")
    bad = [indicator_row("TT_HOI_NGHI", {GIA_VIEN: -3, KIM_SON: 2})]
    make_submission(tmp_path / "negative.xlsx", agency="Đoàn Thanh niên", rows=bad)
    (inbox / "empty.xlsx").write_bytes(b"")
    (inbox / "truncated.xlsx").write_bytes(plain.read_bytes()[:3000])
    sheet_bomb(inbox / "bomb.xlsx", gigabytes=1)
    encrypted_workbook(inbox / "encrypted.xlsx", plain)
    macro = macro_workbook(inbox / "macro.xlsm", tmp_path / "negative.xlsx")
    xls = legacy_xls(inbox / "legacy.xls")
    hostile_names = [
        "bc\\..\\..\\..\\etc\\evil.xlsx",
        "bad\nname\x07\x1b[31m.xlsx",
        "ok\u202egpj.xlsx",
    ]
    for name in hostile_names:
        (inbox / name).write_bytes(plain.read_bytes() + name.encode())  # distinct bytes
    outside_before = _outside(tmp_path, home)
    arrived = {p.name: p.read_bytes() for p in inbox.iterdir()}

    done = run_to_completion(home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert list(inbox.iterdir()) == []
    assert _outside(tmp_path, home) == outside_before  # nothing written outside the home
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        status = dict(con.execute("SELECT file_name, status FROM etl_submission").fetchall())
        rules = con.execute(
            "SELECT s.file_name, i.rule FROM dq_issue i JOIN etl_submission s USING (submission_id)"
        ).fetchall()
        archived = [
            Path(p).name
            for (p,) in con.execute("SELECT archive_path FROM etl_submission").fetchall()
        ]
    assert set(status) == set(arrived)  # every file recorded under its real name
    assert {rule for _, rule in rules} <= RULES
    for name in ("empty.xlsx", "truncated.xlsx", "bomb.xlsx", "encrypted.xlsx"):
        assert status[name] == "rejected" and (name, "unreadable_file") in rules, name
    for name in archived:  # archived under safe names, inside archive/
        assert re.fullmatch(r"[0-9a-f]{16}_[A-Za-z0-9._-]+", name), name
        assert (home / "archive" / name).exists()
    for name in hostile_names:  # read and loaded (the same agency and period: one in force)
        assert status[name] in ("accepted", "superseded"), (name, status[name])
    assert sum(status[name] == "accepted" for name in hostile_names) == 1
    # Macros: values read (rejected for the negative value, so they were read), bytes kept,
    # never copied to what we send back.
    assert status[macro.name] == "rejected" and (macro.name, "negative_value") in rules
    kept = [home / "archive" / n for n in archived if n.endswith("macro.xlsm")]
    assert kept and kept[0].read_bytes() == arrived[macro.name]
    feedback = list((home / "feedback").glob("*macro*"))
    assert feedback, list((home / "feedback").iterdir())
    for path in feedback:
        with zipfile.ZipFile(path) as z:
            assert not [n for n in z.namelist() if "vba" in n.lower()]
            assert b"vbaProject" not in z.read("[Content_Types].xml")
    print(f"legacy .xls: {status[xls.name]}, rules {[r for f, r in rules if f == xls.name]}")
    assert status[xls.name] in ("accepted", "rejected")


def _outside(root: Path, home: Path) -> set[str]:
    return {str(p) for p in root.rglob("*") if home not in p.parents and p != home}
