"""What a person sees: the three documents rendered to PDF by LibreOffice (issue 13).

The review workbook (`chitieu report`), two templates (`chitieu template`) and the
feedback workbook of the sample's rejected submission are converted to PDF in one
`soffice --headless` run, with a private profile that recalculates every formula on
load. The PDFs are read back with poppler's `pdftotext -bbox` (every word with its box
and page), and the tests assert on the printed pages: codes and names whole, no word
printed over another, text at >= 85 % of its size, charts whole on one page, titles
whole and centred over their table, no formula error.

Without LibreOffice or poppler the tests skip with the reason, unless
CHITIEU_REQUIRE_LIBREOFFICE=1 (set by .ci/run), where they fail.
"""

import html
import re
import shutil
import statistics
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest

from reference import load_catalog
from tests.helpers import invoke, require_libreoffice, sql_rows
from workbooks.writing.feedback import RESULT_SHEET

pytestmark = pytest.mark.slow

MIN_SCALE = 0.85
BODY_SIZE = 12  # points: the text size of our tables
HEIGHT_PER_POINT = 1.3003  # pdftotext's word box height per point of Times New Roman
PAGE_WIDTH, PAGE_HEIGHT = 841.89, 595.30  # A4 landscape, points
ERRORS = ("#NAME?", "#VALUE!", "#REF!", "#DIV/0!", "Err:")
TOO_NARROW = "###"  # a number wider than its column
FOOTER = re.compile(r"^(?P<sheet>.+) - Trang (?P<page>\d+)/(?P<pages>\d+)$")
TEMPLATE_AGENCIES = ("BCHQS", "HND")
# Chart title -> a text the chart prints below its plot (legend, axis title).
CHARTS = {
    "Kết quả các chỉ tiêu so với cùng kỳ": "thang logarit",
    "Tăng, giảm so với cùng kỳ (%)": "Tăng, giảm so với cùng kỳ",
    "Tỷ trọng của các huyện, thành phố trong từng chỉ tiêu": "Yên Mô",
    "Nhiệm vụ được giao và đã hoàn thành theo cơ quan": "Hoàn thành",
}
DISTRICT_CHART = "Tỷ trọng của các huyện, thành phố trong từng chỉ tiêu"
# A commune period charts the former districts of the old territory, not 129 communes.
COMMUNE_CHART = "Tỷ trọng của các huyện cũ trong từng chỉ tiêu"


def _charts(review: str) -> dict[str, str]:
    """The charts of one review workbook: the district chart's title differs by period."""
    if review == "review":
        return CHARTS
    return {(COMMUNE_CHART if t == DISTRICT_CHART else t): b for t, b in CHARTS.items()}


# Recalculate every formula when a file is opened (0 = always), whatever the file says.
RECALC_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
           xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
  <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
  <prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)


@dataclass
class Word:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass
class Page:
    number: int
    width: float
    height: float
    words: list[Word] = field(default_factory=list)

    @property
    def footer(self) -> Word:
        """The first word of the footer "<sheet> - Trang p/n" (the lowest printed line)."""
        bottom = max(w.y0 for w in self.words if w.text == "Trang")
        return min((w for w in self.words if abs(w.y0 - bottom) < 1), key=lambda w: w.x0)

    @property
    def sheet(self) -> str:
        """The sheet printed on this page, from its footer."""
        top = self.footer.y0
        line = sorted((w for w in self.words if abs(w.y0 - top) < 1), key=lambda w: w.x0)
        found = FOOTER.match(" ".join(w.text for w in line))
        assert found, f"page {self.number}: no footer"
        return found["sheet"]

    @property
    def body(self) -> list[Word]:
        """The words above the footer."""
        return [w for w in self.words if w.y1 < self.footer.y0]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.body)

    def lines(self) -> list[str]:
        """The page's words grouped into printed lines (same baseline), top to bottom."""
        rows: dict[int, list[Word]] = {}
        for word in self.body:
            rows.setdefault(round(word.y1), []).append(word)
        return [" ".join(w.text for w in sorted(rows[y], key=lambda w: w.x0)) for y in sorted(rows)]


def _read_pdf(path: Path) -> list[Page]:
    out = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = []
    for number, chunk in enumerate(out.split("<page ")[1:], start=1):
        width, height = (float(v) for v in re.findall(r'"([\d.]+)"', chunk)[:2])
        words = [
            Word(float(a), float(b), float(c), float(d), html.unescape(t))
            for a, b, c, d, t in _WORD.findall(chunk)
        ]
        pages.append(Page(number, width, height, words))
    return pages


@pytest.fixture(scope="module")
def documents(demo_home: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The review workbook, the templates and a real rejected file's feedback."""
    folder = tmp_path_factory.mktemp("documents")
    result = invoke(demo_home, "report", "--period", "2019S1", "-o", str(folder / "review.xlsx"))
    assert result.exit_code == 0, result.output
    paths = {"review": folder / "review.xlsx"}
    # The current half year: communes, the merged province and its old-territory columns.
    out = folder / "review_2026S1.xlsx"
    result = invoke(demo_home, "report", "--period", "2026S1", "-o", str(out))
    assert result.exit_code == 0, result.output
    paths["review_2026S1"] = out
    out = folder / "template_HND_2026S1.xlsx"
    result = invoke(demo_home, "template", "--agency", "HND", "--period", "2026S1", "-o", str(out))
    assert result.exit_code == 0, result.output
    paths["template_HND_2026S1"] = out
    for agency in TEMPLATE_AGENCIES:
        out = folder / f"template_{agency}.xlsx"
        result = invoke(
            demo_home, "template", "--agency", agency, "--period", "2019S1", "-o", str(out)
        )
        assert result.exit_code == 0, result.output
        paths[f"template_{agency}"] = out
    [rejected] = sql_rows(
        demo_home, "select archive_path from etl_submission where status = 'rejected'"
    )
    stem = Path(rejected["archive_path"]).stem
    paths["feedback"] = shutil.copy(
        demo_home / "feedback" / f"{stem}.xlsx", folder / "feedback.xlsx"
    )
    return paths


@pytest.fixture(scope="module")
def rendered(documents: dict[str, Path], tmp_path_factory) -> dict[str, list[Page]]:
    """Every document as printed pages: one soffice run for all of them."""
    require_libreoffice()
    profile = tmp_path_factory.mktemp("lo_profile")
    (profile / "user").mkdir()
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_PROFILE)
    out = tmp_path_factory.mktemp("pdf")
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            *map(str, documents.values()),
        ],
        capture_output=True,
        check=True,
        timeout=300,
    )
    return {name: _read_pdf(out / f"{path.stem}.pdf") for name, path in documents.items()}


def _pages_of(rendered, document: str, sheet: str | None = None) -> list[Page]:
    pages = rendered[document]
    return [p for p in pages if sheet is None or p.sheet == sheet]


def _all_pages(rendered, ours: bool = False) -> list[tuple[str, Page]]:
    """Every printed page; ``ours``: without the clerk's own sheets of the feedback."""
    return [
        (name, page)
        for name, pages in rendered.items()
        for page in pages
        if not ours or name != "feedback" or page.sheet == RESULT_SHEET
    ]


# --- every indicator code and name appears whole --------------------------------------


def _names_and_codes(path: Path, sheet: str, code_header: str = "Mã chỉ tiêu"):
    ws = openpyxl.load_workbook(path)[sheet]
    for row in ws.iter_rows():
        cols = {c.value: c.column for c in row if isinstance(c.value, str)}
        if code_header in cols:
            header, code_col = row[0].row, cols[code_header]
            break
    catalog = load_catalog()
    codes = [
        str(ws.cell(r, code_col).value)
        for r in range(header + 1, ws.max_row + 1)
        if ws.cell(r, code_col).value in catalog.indicators
    ]
    return codes, [catalog.indicators[c].name for c in codes]


@pytest.mark.parametrize(
    ("document", "sheet"),
    [
        ("review", "Tổng hợp"),
        ("review_2026S1", "Tổng hợp"),
        *((f"template_{a}", "Chỉ tiêu") for a in TEMPLATE_AGENCIES),
    ],
)
def test_every_indicator_code_and_name_prints_whole(documents, rendered, document, sheet):
    codes, names = _names_and_codes(documents[document], sheet)
    pages = _pages_of(rendered, document, sheet)
    words = {w.text for p in pages for w in p.body}
    assert codes and all(code in words for code in codes), sorted(set(codes) - words)
    text = " ".join(_name_column(page, set(codes)) for page in pages)
    missing = [name for name in names if " ".join(name.split()) not in text]
    assert not missing, missing


def _name_column(page: Page, codes: set[str]) -> str:
    """The text between the code column and "Đơn vị tính", top to bottom, cell by cell."""
    left = max((w.x1 for w in page.body if w.text in codes), default=None)
    if left is None:
        return ""
    right = min(w.x0 for w in page.body if w.text == "Đơn" and w.x0 > left)
    column = [w for w in page.body if left < w.x0 and w.x1 <= right]
    return " ".join(w.text for w in sorted(column, key=lambda w: (round(w.y1), w.x0)))


def test_the_feedback_names_the_district_and_the_whole_code(documents, rendered):
    pages = _pages_of(rendered, "feedback", RESULT_SHEET)
    ws = openpyxl.load_workbook(documents["feedback"])[RESULT_SHEET]
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "STT")
    listed = [ws.cell(r, 6).value for r in range(header + 1, ws.max_row + 1)]
    words = {w.text for p in pages for w in p.body}
    assert {c for c in listed if c} <= words
    names = {d.name for d in load_catalog().districts}
    shown = [ws.cell(r, 7).value for r in range(header + 1, ws.max_row + 1)]
    assert all(d is None or d in names for d in shown), shown


def test_no_word_prints_over_another(rendered):
    """Clipped headers and rows too short for their text show as overlapping words."""
    for name, page in _all_pages(rendered, ours=True):
        words = sorted(page.body, key=lambda w: w.x0)
        for i, a in enumerate(words):
            for b in words[i + 1 :]:
                if b.x0 >= a.x1:
                    break
                overlap_x = min(a.x1, b.x1) - max(a.x0, b.x0)
                overlap_y = min(a.y1, b.y1) - max(a.y0, b.y0)
                assert overlap_x < 1 or overlap_y < 0.3 * min(a.height, b.height), (
                    f"{name} page {page.number}: {a.text!r} over {b.text!r}"
                )


# --- no sheet prints at a scale below 85 % ---------------------------------------------


REVIEWS = ["review", "review_2026S1"]  # the sample's 2019 half and the merged province's


def _chart_page(page: Page) -> bool:
    return any(title in " ".join(page.lines()) for title in [*CHARTS, COMMUNE_CHART])


def test_every_page_is_a4_landscape(rendered):
    for name, page in _all_pages(rendered):
        assert (round(page.width), round(page.height)) == (842, 595), (name, page.number)


@pytest.mark.parametrize(
    "document",
    [
        "review",
        "review_2026S1",
        "template_HND_2026S1",
        *(f"template_{a}" for a in TEMPLATE_AGENCIES),
    ],
)
def test_no_sheet_of_ours_prints_below_85_percent(rendered, document):
    """Text heights on paper against 12 pt Times New Roman at 100 %."""
    scales = {}
    for page in _pages_of(rendered, document):
        if _chart_page(page):
            continue
        heights = [w.height for w in page.body]
        scale = statistics.median(heights) / (HEIGHT_PER_POINT * BODY_SIZE)
        scales[page.sheet] = min(scale, scales.get(page.sheet, 9))
    assert scales and min(scales.values()) >= MIN_SCALE, scales


def test_the_feedback_result_sheet_prints_at_85_percent_or_more(rendered):
    pages = _pages_of(rendered, "feedback", RESULT_SHEET)
    heights = [w.height for p in pages for w in p.body]
    scale = statistics.median(heights) / (HEIGHT_PER_POINT * BODY_SIZE)
    assert scale >= MIN_SCALE, scale
    clerks = {p.sheet for p in rendered["feedback"]} - {RESULT_SHEET}
    assert clerks, "the clerk's own sheets are printed too"


@pytest.mark.parametrize("review", REVIEWS)
def test_the_charts_print_at_full_size(rendered, review):
    """A chart title is 12 pt bold: on paper it must stay >= 85 % of that."""
    for title in _charts(review):
        page, first = _chart_title(rendered[review], title)
        size = first.height / HEIGHT_PER_POINT
        assert size >= MIN_SCALE * 12, (title, size)


# --- no chart crosses a page break ------------------------------------------------------


def _chart_title(pages: list[Page], title: str) -> tuple[Page, Word]:
    found = []
    first_word = title.split()[0]
    for page in pages:
        for line_start in (w for w in page.body if w.text == first_word):
            line = sorted(
                (w for w in page.body if abs(w.y1 - line_start.y1) < 1 and w.x0 >= line_start.x0),
                key=lambda w: w.x0,
            )
            if " ".join(w.text for w in line).startswith(title):
                found.append((page, line_start))
    assert len(found) == 1, f"chart {title!r} printed {len(found)} times"
    return found[0]


@pytest.mark.parametrize("review", REVIEWS)
@pytest.mark.parametrize("chart", range(len(CHARTS)), ids=list(CHARTS))
def test_each_chart_prints_whole_on_one_page(rendered, chart, review):
    title, bottom = list(_charts(review).items())[chart]
    page, top = _chart_title(rendered[review], title)
    below = bottom.split()
    under = [
        w
        for w in page.body
        if w.text == below[-1] and w.y0 > top.y1 + 100  # under the plot
    ]
    assert under, f"{title!r}: its bottom ({bottom!r}) is not on page {page.number}"


# --- merged titles span their table --------------------------------------------------


TITLES = {
    "Tổng hợp": "KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU TOÀN TỈNH - 6 THÁNG ĐẦU NĂM 2019",
    "Theo huyện": "KẾT QUẢ THEO HUYỆN, THÀNH PHỐ - 6 THÁNG ĐẦU NĂM 2019",
    "Nhiệm vụ": "KẾT QUẢ THỰC HIỆN NHIỆM VỤ - 6 THÁNG ĐẦU NĂM 2019",
    "Tình hình gửi báo cáo": "TÌNH HÌNH GỬI BÁO CÁO - 6 THÁNG ĐẦU NĂM 2019",
    "Chương trình phối hợp": ("KẾT QUẢ THỰC HIỆN CHƯƠNG TRÌNH PHỐI HỢP (LŨY KẾ TỪ ĐẦU GIAI ĐOẠN)"),
}


# The current half year: the same sheets, Theo huyện by commune (xã, phường).
TITLES_2026S1 = {sheet: title.replace("2019", "2026") for sheet, title in TITLES.items()} | {
    "Theo huyện": "KẾT QUẢ THEO XÃ, PHƯỜNG - 6 THÁNG ĐẦU NĂM 2026"
}


@pytest.mark.parametrize("review", REVIEWS)
@pytest.mark.parametrize("sheet", list(TITLES))
def test_each_title_is_merged_over_its_table_and_prints_whole(documents, rendered, sheet, review):
    titles = TITLES if review == "review" else TITLES_2026S1
    ws = openpyxl.load_workbook(documents[review])[sheet]
    [title] = [r for r in ws.merged_cells.ranges if r.min_row == 1]
    header = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "STT")
    table_last = max(c.column for c in header if c.value not in (None, ""))
    assert (title.min_col, title.max_col) == (1, table_last)
    first = _pages_of(rendered, review, sheet)[0]
    assert titles[sheet] in " ".join(first.lines()), first.lines()[:3]
    words = titles[sheet].split()
    top_y = min(w.y0 for w in first.body)
    top = [w for w in first.body if w.y0 < top_y + 40]
    left = min(w.x0 for w in top if w.text == words[0])
    right = max(w.x1 for w in top if w.text == words[-1])
    stt = next(w for w in first.body if w.text == "STT")
    table_right = max(w.x1 for w in first.body if stt.y0 - 20 < w.y0 < stt.y1 + 20)
    centre, table_centre = (left + right) / 2, (stt.x0 + table_right) / 2
    assert abs(centre - table_centre) < 0.05 * (table_right - stt.x0), (centre, table_centre)


# --- 129 communes: by rows on the review, by repeated columns on the template ----------


def test_every_commune_prints_under_its_former_district(documents, rendered):
    """Theo huyện of a commune period: one printed line per commune, under its group."""
    ws = openpyxl.load_workbook(documents["review_2026S1"])["Theo huyện"]
    names = [ws.cell(r, 2).value for r in range(1, ws.max_row + 1)]
    groups = [n for n in names if isinstance(n, str) and n.startswith("Huyện cũ: ")]
    numbered = [ws.cell(r, 2).value for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value]
    communes = {n for n in numbered if str(n).startswith(("Xã ", "Phường "))}
    assert len(communes) == 129 and len(groups) >= 20, (len(communes), groups)
    pages = _pages_of(rendered, "review_2026S1", "Theo huyện")
    lines = [line for page in pages for line in page.lines()]
    assert {g for g in groups if g not in lines} == set()
    printed = {c for c in communes for line in lines if re.match(rf"\d+ {re.escape(c)}( |$)", line)}
    assert communes - printed == set()


def test_every_template_page_shows_the_unit_names_and_whole_codes(documents, rendered):
    """The long template's indicator columns over pages: each page repeats the header
    and the unit names, and every indicator code prints whole on one of them."""
    pages = _pages_of(rendered, "template_HND_2026S1", "Chỉ tiêu")
    for page in pages:
        text = " ".join(page.lines())
        unit = re.search(r"\b\d{5} (Xã|Phường) ", text)  # a unit's code and name
        assert "Xã, phường" in text and unit, (page.number, text[:200])
    ws = openpyxl.load_workbook(documents["template_HND_2026S1"])["Chỉ tiêu"]
    catalog = load_catalog()
    codes = {str(c.value) for row in ws.iter_rows() for c in row if c.value in catalog.indicators}
    words = {w.text for page in pages for w in page.body}
    assert codes and codes <= words, sorted(codes - words)


# --- no formula error after a forced recalculation -------------------------------------


def test_no_formula_error_after_recalculation(rendered):
    for name, page in _all_pages(rendered):
        text = page.text
        assert not [e for e in ERRORS if e in text], (name, page.number, text[:200])
    for name, page in _all_pages(rendered, ours=True):
        assert TOO_NARROW not in page.text, (name, page.number)


def test_the_template_totals_are_computed(documents, rendered):
    """The SUM formulas were recalculated: every indicator's total prints 0 (inputs empty)."""
    for agency in TEMPLATE_AGENCIES:
        codes, _ = _names_and_codes(documents[f"template_{agency}"], "Chỉ tiêu")
        totals = []
        for page in _pages_of(rendered, f"template_{agency}", "Chỉ tiêu"):
            head = next(w for w in page.body if w.text == "Tổng")
            totals += [
                w.text
                for w in page.body
                if w.y0 > head.y1 + 10 and head.x0 - 15 < w.x0 and w.x1 < head.x1 + 30
            ]
        assert totals.count("0") + totals.count("0.0") == len(codes), totals


@pytest.mark.parametrize("review", REVIEWS)
def test_no_page_of_the_draft_ends_with_a_heading(rendered, review):
    pages = _pages_of(rendered, review, "Dự thảo báo cáo")
    assert len(pages) >= 1
    for page in pages[:-1]:
        last = page.lines()[-1]
        assert not re.match(r"^[IVX]+\. ", last), (page.number, last)
