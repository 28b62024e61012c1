"""The fast path's small workbook written from the layout is openpyxl's, byte for byte.

The reference is openpyxl itself: the result sheet filled by the openpyxl path's own
``_fill_result_sheet``, the comments put on cells, the workbook saved by openpyxl's
writer. For random problem lists (texts to escape, formula-like texts, long messages,
cells on and off the sheets) the parts ``graft`` reads, and so the feedback workbook it
makes, are the same bytes.
"""

import io
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reference.model import ERROR, WARNING, Problem
from tests.factories import make_submission
from workbooks.reading.limits import inspect_file
from workbooks.writing import feedback, feedback_patch
from workbooks.writing.feedback import RESULT_SHEET, SAVED_AT, VERDICTS

SHEET = "Chỉ tiêu"
# what graft reads of the small workbook, besides the comments of each marked sheet
RESULT_PARTS = ("xl/worksheets/sheet1.xml", "xl/styles.xml")


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> bytes:
    return make_submission(tmp_path_factory.mktemp("source") / "s.xlsx").read_bytes()


def _openpyxl_parts(header, problems, targets, marks) -> dict[str, bytes]:
    """The small workbook as openpyxl fills and saves it."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = RESULT_SHEET
    note = feedback._how_to_read(header[1], problems)
    feedback._fill_result_sheet(ws, feedback._result_layout(header, problems, targets, note))
    for (title, coordinate), found in marks.items():
        sheet = book[title] if title in book.sheetnames else book.create_sheet(title)
        sheet[coordinate].comment = feedback._comment_of(found, None)
    out = io.BytesIO()
    book.save(out)
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _written(data: bytes, header: tuple, problems: list[Problem], parts_of) -> tuple:
    """(small workbook parts, feedback workbook) for ``problems`` on the source ``data``."""
    inspection = inspect_file(data)
    package = feedback_patch.open_package(inspection.data, RESULT_SHEET, inspection.members)
    ordered = sorted(problems, key=lambda p: p.severity != ERROR)
    targets = [feedback._target_of(package.sheets, p) for p in ordered]
    marks = feedback._by_cell(ordered, targets)
    parts = parts_of(header, ordered, targets, marks)
    fills = {key: feedback._fill_of(found) for key, found in marks.items()}
    return parts, feedback_patch.graft(package, parts, fills, SAVED_AT)


def _assert_same(data: bytes, header: tuple, problems: list[Problem]) -> dict[str, bytes]:
    ours, book = _written(data, header, problems, feedback._small_workbook)
    theirs, expected = _written(data, header, problems, _openpyxl_parts)
    for name in RESULT_PARTS:
        assert ours[name] == theirs[name], name
    for name in theirs:
        if name.startswith(("xl/comments/", "xl/drawings/")):
            assert ours[name] == theirs[name], name
    assert book == expected
    return ours


_TEXT = st.text(
    alphabet=st.sampled_from(list("aăâbdđeêoôơuưy ÀẢẾỆỮ0123456789&<>\"'=+-@\t\n\r\x01  ;:")),
    max_size=300,
)
_CELLS = st.sampled_from(["B1", "C8", "D9", "E12", "H20", "ZZ9999", "A1:B2", "$D$9", "x"])
_PROBLEM = st.builds(
    Problem,
    severity=st.sampled_from([ERROR, WARNING]),
    rule=st.sampled_from(["outlier", "validation_rule", "negative_value", "=cmd"]),
    message=_TEXT,
    sheet=st.one_of(st.none(), st.just(SHEET), st.just(RESULT_SHEET), _TEXT),
    cell=st.one_of(st.none(), _CELLS),
    indicator_code=st.one_of(st.none(), st.sampled_from(["HN_SO", "HN_SO_NGUOI_THAM_GIA_X"])),
    district_code=st.one_of(st.none(), st.sampled_from(["369", "14464", "???"])),
)
_HEADER = st.tuples(
    _TEXT,
    st.sampled_from([*VERDICTS, "lạ"]),
    st.one_of(st.none(), _TEXT),
    st.one_of(st.none(), _TEXT),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(header=_HEADER, problems=st.lists(_PROBLEM, max_size=12))
@example(header=("s.xlsx", "accepted", None, None), problems=[])
@example(
    header=("=HYPERLINK(x).xlsx", "rejected", "Hội Nông dân", "6 tháng đầu năm 2019"),
    problems=[
        Problem(ERROR, "negative_value", "Số âm & <sai>.", SHEET, "D9", "HN_SO", "369"),
        Problem(WARNING, "outlier", "  Cao bất thường ", SHEET, "D9", "HN_SO", "369"),
        Problem(WARNING, "outlier", "-3 so với kỳ trước\nxem lại", SHEET, "C8"),
        Problem(WARNING, "late_submission", "Gửi muộn."),
    ],
)
def test_the_small_workbook_is_openpyxls_byte_for_byte(source, header, problems):
    _assert_same(source, header, problems)


def test_a_long_list_of_problems_and_every_mark(source):
    """Hundreds of problems on many cells: row heights, links, comments, filter range."""
    ws = openpyxl.load_workbook(io.BytesIO(source))[SHEET]
    cells = [c.coordinate for row in ws.iter_rows() for c in row]
    problems = [
        Problem(
            ERROR if i % 3 == 0 else WARNING,
            "outlier",
            f"Vấn đề {i}: " + "rất dài " * (i % 40),
            SHEET,
            cells[(i * 7) % len(cells)],
            "HN_SO" if i % 2 else None,
            "369",
        )
        for i in range(300)
    ]
    parts = _assert_same(source, ("s.xlsx", "rejected", "A", "B"), problems)
    assert b"<hyperlink " in parts["xl/worksheets/sheet1.xml"]
    assert any(name.startswith("xl/comments/") for name in parts)
    _, book = _written(source, ("s.xlsx", "rejected", "A", "B"), problems, feedback._small_workbook)
    result = openpyxl.load_workbook(io.BytesIO(book))[RESULT_SHEET]
    assert result.max_row == 11 + len(problems)
    assert result.auto_filter.ref == f"A11:H{11 + len(problems)}"
