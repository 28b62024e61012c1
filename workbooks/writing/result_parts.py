"""The fast path's small workbook, written straight from the result sheet's layout.

openpyxl spent most of a fast-path feedback workbook building a ``Workbook``, filling
the result sheet cell by cell and serialising it element by element, only for ``graft``
to read its parts back. Here the same parts are written as text from the ``Layout`` that
the openpyxl path fills a worksheet from, with openpyxl's own rules: styles numbered in
the order they are first applied, then in the order cells are written; row heights from
``fit_row_heights``' estimate; every fixed element (sheet properties, view, print setup,
merges, columns, styles.xml, comments and their VML) serialised by openpyxl itself,
once per process or per distinct value. The feedback workbook ``graft`` makes from these
parts is byte-identical to the one it makes from openpyxl's (``test_result_parts``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.comments.comment_sheet import CommentRecord, CommentSheet
from openpyxl.compat import safe_string
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles.stylesheet import write_stylesheet
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange
from openpyxl.worksheet.merge import MergeCell, MergeCells
from openpyxl.xml.functions import tostring

from workbooks.writing.safe_cells import clean_text, looks_like_formula
from workbooks.writing.style import (
    BODY_SIZE,
    DEFAULT_WIDTH,
    line_height,
    print_a4_landscape,
    text_lines,
    unit_points,
)

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# attribute name on a StyleArray -> the workbook's list of such styles
_LISTS = {
    "font": ("fontId", "_fonts"),
    "fill": ("fillId", "_fills"),
    "border": ("borderId", "_borders"),
    "alignment": ("alignmentId", "_alignments"),
}
_STYLE_LISTS = ("_fonts", "_fills", "_borders", "_alignments", "_protections", "_number_formats")


@dataclass(frozen=True)
class Entry:
    """One written cell of a sheet, in the order the openpyxl path writes it."""

    row: int
    col: int
    value: str | int | None  # text is written as text (``safe_text``), an int as a number
    looks: tuple[Mapping[str, Any], ...]  # the styles applied to it, in order
    link: str | None = None  # a hyperlink's location inside the workbook


@dataclass
class Layout:
    """A sheet as cells, merges and settings, for openpyxl or for ``small_parts``."""

    title: str
    entries: list[Entry] = field(default_factory=list)
    merges: list[tuple[int, int, int]] = field(default_factory=list)  # (row, first, last col)
    widths: dict[int, float] = field(default_factory=dict)  # column -> width
    print_title_row: int | None = None
    filter_ref: str | None = None


@dataclass(frozen=True)
class Note:
    """A comment to put on a clerk's cell."""

    coordinate: str
    text: str
    author: str
    width: int
    height: int


def small_parts(layout: Layout, notes: Mapping[str, Sequence[Note]]) -> dict[str, bytes]:
    """The parts of a workbook whose first sheet is ``layout`` and whose other sheets,
    titled by ``notes``' keys, hold only those comments: the parts ``graft`` reads."""
    styles = _StyleBook()
    cells = _Cells(layout, styles)
    parts = {
        "xl/worksheets/sheet1.xml": _sheet_xml(layout, cells),
        "xl/styles.xml": styles.stylesheet(),
    }
    titles = [layout.title]
    for number, (title, found) in enumerate(notes.items(), start=1):
        titles.append(title)
        sheet = f"xl/worksheets/sheet{number + 1}.xml"
        parts[sheet] = b""  # graft reads only its relationships
        parts.update(_comment_parts(sheet, number, found))
    parts["xl/workbook.xml"] = _workbook_xml(titles, _defined_names(layout))
    parts["xl/_rels/workbook.xml.rels"] = _relationships(
        (f"rId{i}", f"{REL_NS}/worksheet", f"/xl/worksheets/sheet{i}.xml")
        for i in range(1, len(titles) + 1)
    )
    return parts


# --- styles ---------------------------------------------------------------------------


class _StyleBook:
    """A new Workbook's style lists, growing as openpyxl's grow when styles are applied
    (``feedback._Styles.apply``) and when cells are written (``cell.style_id``)."""

    def __init__(self) -> None:
        fresh = _fresh_book()
        self.lists = {name: _copied(getattr(fresh, name)) for name in _STYLE_LISTS}
        self.cell_styles = _copied(fresh._cell_styles)  # type: ignore[attr-defined]
        # (kind, id(style)) -> (style, index): hashing a style object costs more than the
        # rest of placing a cell, and a sheet applies the same few constants
        self._found: dict[tuple[str, int], tuple[object, int]] = {}

    def style_of(self, entry: Entry) -> StyleArray:
        style = StyleArray()
        if isinstance(entry.value, str) and looks_like_formula(clean_text(entry.value)):
            style.quotePrefix = 1  # as ``safe_text`` sets it
        for look in entry.looks:
            for name, value in look.items():
                known = self._found.get((name, id(value)))
                if known is None:
                    collection = self.lists[_LISTS[name][1]]
                    known = self._found[name, id(value)] = (value, collection.add(value))
                setattr(style, _LISTS[name][0], known[1])
        return style

    def style_id(self, style: StyleArray) -> int:
        return self.cell_styles.add(style)

    def stylesheet(self) -> bytes:
        """styles.xml as ``write_stylesheet`` writes it for these lists, cached: a batch's
        result sheets use the same few. The styles are a new workbook's and this module's
        constants, alive for the process, so their ids name them (hashing them costs)."""
        key = (
            *(tuple(map(id, self.lists[name])) for name in _STYLE_LISTS),
            tuple(tuple(style) for style in self.cell_styles),
        )
        found = _STYLESHEETS.get(key)
        if found is None:
            if len(_STYLESHEETS) >= 64:
                _STYLESHEETS.clear()
            found = _STYLESHEETS[key] = (self._written(), [*self.lists.values()])
        return found[0]

    def _written(self) -> bytes:
        book = Workbook()
        for name in _STYLE_LISTS:
            setattr(book, name, IndexedList(self.lists[name]))
        book._cell_styles = IndexedList(self.cell_styles)  # type: ignore[attr-defined]
        return cast(bytes, tostring(write_stylesheet(book)))


# style list ids and cell styles -> (styles.xml, the lists, kept so that the ids stay theirs)
_STYLESHEETS: dict[tuple, tuple[bytes, list]] = {}


def _copied(found: IndexedList) -> IndexedList:
    """A copy of ``found`` that hashes none of its styles again (``IndexedList(found)``
    hashes each twice, and a style's hash walks all its attributes)."""
    if not found.clean:
        found._rebuild_dict()  # type: ignore[attr-defined]  # once: not indexed yet
    copy: IndexedList = IndexedList()
    list.extend(copy, found)
    copy._dict = dict(found._dict)  # type: ignore[attr-defined]  # keeps the hashes
    return copy


@lru_cache(maxsize=1)
def _fresh_book() -> Workbook:
    """A new workbook, read only: the default styles every small workbook starts from."""
    return Workbook()


# --- the result sheet -------------------------------------------------------------------


@dataclass
class _Cell:
    entry: Entry
    text: str | int | None  # as written: cleaned text, a number, or None
    style: StyleArray
    style_id: int | None = None


class _Cells:
    """The sheet's cells by position, styled, with the row heights openpyxl would fit."""

    def __init__(self, layout: Layout, styles: _StyleBook) -> None:
        by_place: dict[tuple[int, int], _Cell] = {}
        for entry in layout.entries:
            text = entry.value if not isinstance(entry.value, str) else clean_text(entry.value)
            by_place[entry.row, entry.col] = _Cell(entry, text, styles.style_of(entry))
        self.ordered = [by_place[place] for place in sorted(by_place)]
        for cell in self.ordered:
            if any(cell.style):
                cell.style_id = styles.style_id(cell.style)
        self.heights = _row_heights(layout, self.ordered, styles)
        self.last_row = max((c.entry.row for c in self.ordered), default=1)
        self.last_col = max((c.entry.col for c in self.ordered), default=1)


def _row_heights(layout: Layout, cells: list[_Cell], styles: _StyleBook) -> dict[int, float]:
    """``fit_row_heights`` on these cells: each row as tall as its tallest text."""
    spans = {(row, first): last for row, first, last in layout.merges}
    fonts, alignments = styles.lists["_fonts"], styles.lists["_alignments"]
    units = unit_points(_fresh_book())
    needed: dict[int, float] = {}
    for cell in cells:
        if cell.text is None:
            continue
        row, col = cell.entry.row, cell.entry.col
        size = fonts[cell.style.fontId].size or BODY_SIZE
        alignment = alignments[cell.style.alignmentId]
        lines = 1
        if alignment.wrap_text:
            last = spans.get((row, col), col)
            width = sum(layout.widths.get(c, DEFAULT_WIDTH) for c in range(col, last + 1))
            lines = text_lines(str(cell.text), width, size, alignment.indent, units)
        needed[row] = max(needed.get(row, 0), line_height(size, lines))
    return needed


def _sheet_xml(layout: Layout, cells: _Cells) -> bytes:
    head, views, tail = _fixed_fragments()
    rows: dict[int, list[str]] = {r: [] for r in range(1, cells.last_row + 1)}
    links = []
    for cell in cells.ordered:
        rows[cell.entry.row].append(_cell_xml(cell))
        if cell.entry.link is not None:
            ref = f"{get_column_letter(cell.entry.col)}{cell.entry.row}"
            links.append(f"<hyperlink{_attributes({'ref': ref, 'location': cell.entry.link})} />")
    body = "".join(_row_xml(r, found, cells.heights.get(r)) for r, found in rows.items())
    dimension = f"A1:{get_column_letter(cells.last_col)}{cells.last_row}"
    parts = [head, f'<dimension ref="{dimension}" />', views, _cols(layout.widths)]
    parts.append(f"<sheetData>{body}</sheetData>")
    if layout.filter_ref:
        parts.append(f'<autoFilter ref="{layout.filter_ref}" />')
    parts.append(_merge_cells(tuple(layout.merges)))
    if links:
        parts.append(f"<hyperlinks>{''.join(links)}</hyperlinks>")
    parts.append(tail)
    return "".join(parts).encode("utf-8")


def _row_xml(row: int, cells: list[str], height: float | None) -> str:
    size = f' ht="{safe_string(height)}" customHeight="1"' if height is not None else ""
    return f'<row r="{row}"{size}>{"".join(cells)}</row>'


def _cell_xml(cell: _Cell) -> str:
    """What openpyxl's ``etree_write_cell`` writes for a text, number or blank cell."""
    ref = f"{get_column_letter(cell.entry.col)}{cell.entry.row}"
    style = f' s="{cell.style_id}"' if cell.style_id is not None else ""
    value = cell.text
    kind = "inlineStr" if isinstance(value, str) else "n"
    start = f'<c r="{ref}"{style} t="{kind}"'
    if value is None or value == "":
        return start + " />"
    if not isinstance(value, str):
        return f"{start}><v>{safe_string(value)}</v></c>"
    stripped = value.strip()
    space = ' xml:space="preserve"' if stripped and value != stripped else ""
    return f"{start}><is><t{space}>{escape(value)}</t></is></c>"


# What xml.etree escapes in an attribute beyond &, < and >.
_ATTRIBUTE_ENTITIES = {'"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"}


def _attributes(attrs: Mapping[str, str]) -> str:
    return "".join(f' {key}="{escape(value, _ATTRIBUTE_ENTITIES)}"' for key, value in attrs.items())


@lru_cache(maxsize=1)
def _fixed_fragments() -> tuple[str, str, str]:
    """What openpyxl writes of a new A4-landscape sheet before its dimension, between the
    dimension and the columns, and after the rows (print options to header and footer)."""
    ws = Workbook().active
    assert ws is not None  # a new workbook's only sheet
    print_a4_landscape(ws)
    writer = WorksheetWriter(ws, out=io.BytesIO())
    writer.write()
    xml = writer.read().decode("utf-8")
    found = re.fullmatch(
        r"(<worksheet[^>]*>.*?)<dimension [^>]*/>(.*?)<sheetData\s*(?:/>|></sheetData>)(.*)",
        xml,
        re.DOTALL,
    )
    assert found is not None, "openpyxl's empty sheet changed shape"
    return found[1], found[2], found[3]


@lru_cache(maxsize=64)
def _cols_cached(widths: tuple[tuple[int, float], ...]) -> str:
    ws = Workbook().active
    assert ws is not None  # a new workbook's only sheet
    for col, width in widths:
        ws.column_dimensions[get_column_letter(col)].width = width
    cols = ws.column_dimensions.to_tree()
    assert cols is not None  # there are widths
    return cast(bytes, tostring(cols)).decode("utf-8")


def _cols(widths: Mapping[int, float]) -> str:
    return _cols_cached(tuple(sorted(widths.items()))) if widths else ""


@lru_cache(maxsize=64)
def _merge_cells(merges: tuple[tuple[int, int, int], ...]) -> str:
    """mergeCells as openpyxl orders them: a set of ranges, filled in the layout's order."""
    if not merges:
        return ""
    ranges = MultiCellRange()
    for row, first, last in merges:
        ranges.add(CellRange(min_col=first, min_row=row, max_col=last, max_row=row))
    cells = [MergeCell(str(ref)) for ref in ranges]
    return cast(bytes, tostring(MergeCells(mergeCell=cells).to_tree())).decode("utf-8")


# --- comments, the workbook and relationships ---------------------------------------------


def _comment_parts(sheet: str, number: int, notes: Sequence[Note]) -> dict[str, bytes]:
    """The comments and their VML, as openpyxl writes them for the ``number``-th sheet
    with comments, and that sheet's relationships to them."""
    ordered = sorted(notes, key=_place)  # openpyxl writes comments row by row
    comments_part = f"xl/comments/comment{number}.xml"
    vml_part = f"xl/drawings/commentsDrawing{number}.vml"
    rels = _relationships(
        [
            ("comments", f"{REL_NS}/comments", "/" + comments_part),
            ("anysvml", f"{REL_NS}/vmlDrawing", "/" + vml_part),
        ]
    )
    return {
        comments_part: _comments_xml(ordered),
        vml_part: _vml(ordered),
        sheet.replace("worksheets/", "worksheets/_rels/") + ".rels": rels,
    }


def _comments_xml(notes: Sequence[Note]) -> bytes:
    """``CommentSheet.from_comments(...).to_tree()`` as text: authors in order of first
    appearance, each comment's text with its spaces kept as openpyxl keeps them."""
    authors: dict[str, int] = {}
    found = []
    for note in notes:
        author = authors.setdefault(note.author, len(authors))
        stripped = note.text.strip()
        space = ' xml:space="preserve"' if stripped and note.text != stripped else ""
        found.append(
            f'<comment ref="{note.coordinate}" authorId="{author}" shapeId="0"><text>'
            f"<t{space}>{escape(note.text)}</t></text></comment>"
        )
    names = "".join(f"<author>{escape(name)}</author>" for name in authors)
    return (
        f'<comments xmlns="{MAIN_NS}"><authors>{names}</authors>'
        f"<commentList>{''.join(found)}</commentList></comments>"
    ).encode()


# A comment for openpyxl's ShapeWriter to draw, with values found nowhere else in its VML.
_PROBE_FIELDS = {"8888px": "{width}px", "7777px": "{height}px", "_x0000_s1026": "{id}",
                 ">8999<": ">{row}<", ">701<": ">{col}<"}  # fmt: skip


@lru_cache(maxsize=1)
def _vml_template() -> tuple[str, str, str]:
    """(head, one shape with fields to fill, tail) of the VML openpyxl writes."""
    record = CommentRecord(ref="ZZ9000", author="x", height=7777, width=8888)
    xml = cast(bytes, CommentSheet.from_comments([record]).write_shapes(None)).decode()
    start = xml.rindex("<", 0, xml.index('type="#_x0000_t202"'))
    end = xml.rindex("</")
    shape = xml[start:end].replace("{", "{{").replace("}", "}}")
    for value, field_name in _PROBE_FIELDS.items():
        assert shape.count(value) == 1, f"openpyxl's comment VML changed: {value}"
        shape = shape.replace(value, field_name)
    return xml[:start], shape, xml[end:]


def _vml(notes: Sequence[Note]) -> bytes:
    """``CommentSheet.write_shapes`` for these comments, from its own VML of one."""
    head, shape, tail = _vml_template()
    shapes = "".join(
        shape.format(width=n.width, height=n.height, id=f"_x0000_s{i:04d}", row=r - 1, col=c - 1)
        for i, n in enumerate(notes, start=1026)
        for r, c in [_place(n)]
    )
    return (head + shapes + tail).encode()


def _place(note: Note) -> tuple[int, int]:
    """(row, column) of a note's cell: openpyxl writes comments row by row."""
    found = re.fullmatch(r"([A-Z]+)([0-9]+)", note.coordinate)
    assert found is not None, note.coordinate
    letters = found[1]
    col = 0
    for letter in letters:
        col = col * 26 + ord(letter) - 64
    return int(found[2]), col


def _defined_names(layout: Layout) -> str:
    """The result sheet's own names: its filter range and its print title row."""
    sheet = quote_sheetname(layout.title)
    names = []
    if layout.filter_ref:
        first, last = layout.filter_ref.split(":")
        absolute = ":".join(re.sub(r"([A-Z]+)([0-9]+)", r"$\1$\2", ref) for ref in (first, last))
        names.append(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
            f"{escape(sheet)}!{absolute}</definedName>"
        )
    if layout.print_title_row:
        row = layout.print_title_row
        names.append(
            f'<definedName name="_xlnm.Print_Titles" localSheetId="0">'
            f"{escape(sheet)}!${row}:${row}</definedName>"
        )
    return "".join(names)


def _workbook_xml(titles: list[str], names: str) -> bytes:
    sheets = "".join(
        f'<sheet{_attributes({"name": title, "sheetId": str(i)})} r:id="rId{i}" />'
        for i, title in enumerate(titles, start=1)
    )
    defined = f"<definedNames>{names}</definedNames>" if names else ""
    return (
        f'{_DECLARATION}<workbook xmlns:r="{REL_NS}" xmlns="{MAIN_NS}">'
        f"<sheets>{sheets}</sheets>{defined}</workbook>"
    ).encode()


def _relationships(rels) -> bytes:
    found = "".join(
        f"<Relationship{_attributes({'Id': rid, 'Type': kind, 'Target': target})} />"
        for rid, kind, target in rels
    )
    return f'{_DECLARATION}<Relationships xmlns="{PKG_REL_NS}">{found}</Relationships>'.encode()
