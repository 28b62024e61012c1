"""The feedback workbook's fast path: graft the marks into the source package's XML.

Loading and saving a whole agency workbook with openpyxl costs ~20 ms; a feedback
workbook changes only a few parts of it. Here the result sheet and the comments, as
the parts of a small workbook (``result_parts``: openpyxl's bytes for the same layout
the slow path fills), are spliced into the source zip as text: the clerk's sheets keep their bytes
except the marked cells' styles, the sheet view and the print setup. Text splicing,
not an XML round trip, because xml.etree renames namespace prefixes that
``mc:Ignorable`` names, which Excel then refuses. Anything unexpected raises
``Unhandled`` and the caller uses openpyxl instead.
"""

from __future__ import annotations

import io
import posixpath
import re
import unicodedata
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any, cast
from xml.etree.ElementTree import Element, fromstring
from xml.parsers.expat import ParserCreate
from xml.sax.saxutils import quoteattr

from openpyxl import Workbook
from openpyxl.packaging.core import DocumentProperties
from openpyxl.styles import PatternFill
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, range_boundaries
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.header_footer import HeaderFooter
from openpyxl.worksheet.page import PageMargins, PrintOptions, PrintPageSetup
from openpyxl.worksheet.properties import WorksheetProperties
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring

from workbooks.writing.style import print_a4_landscape
from workbooks.writing.writer import core_properties_bytes, package_bytes

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
MAIN_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
COMMENTS_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_CT = "application/vnd.openxmlformats-officedocument.vmlDrawing"
SHEET_TYPE = REL_NS + "/worksheet"
COMMENTS_TYPE = REL_NS + "/comments"
VML_TYPE = REL_NS + "/vmlDrawing"
WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
STYLES = "xl/styles.xml"
CORE = "docProps/core.xml"
TYPES = "[Content_Types].xml"
_REQUIRED = (TYPES, WORKBOOK, WORKBOOK_RELS, STYLES, CORE)
# CT_Worksheet's children in schema order: a new child goes before the first later one.
_ORDER = {
    name: rank
    for rank, name in enumerate(
        (
            *("sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData"),
            *("sheetCalcPr", "sheetProtection", "protectedRanges", "scenarios", "autoFilter"),
            *("sortState", "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr"),
            *("conditionalFormatting", "dataValidations", "hyperlinks", "printOptions"),
            *("pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks"),
            *("customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing"),
            *("legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects"),
            *("controls", "webPublishItems", "tableParts", "extLst"),
        )
    )
}
_PRINT: dict[str, Any] = {
    "sheetPr": WorksheetProperties,
    "printOptions": PrintOptions,
    "pageMargins": PageMargins,
    "pageSetup": PrintPageSetup,
    "headerFooter": HeaderFooter,
}
_ATTRS = r"""(?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*"""
_TAG = re.compile(rf"<(/?)([\w:.-]+){_ATTRS}(/?)>")
_ROOT = re.compile(rf"<worksheet\b{_ATTRS}>")
_CELL_REF = re.compile(r'<c\b[^>]*?\sr="([A-Z]{1,3})([0-9]+)"')
_CELL_ANY = re.compile(r"<c[\s/>]")
_ROW = re.compile(r'<row\b[^>]*?\sr="([0-9]+)"[^>]*?(/?)>')
_ROW_ANY = re.compile(r"<row[\s/>]")
_XMLNS = re.compile(r'\sxmlns(?::[\w.-]+)?="[^"]*"')


class Unhandled(Exception):
    """A source the fast path leaves to openpyxl."""


@dataclass
class SheetInfo:
    """What ``_target_of`` needs of a clerk sheet, read from its XML."""

    title: str
    part: str
    max_row: int
    max_column: int
    merged_cells: MultiCellRange


@dataclass
class Package:
    """The source workbook's zip members and its worksheets by title."""

    members: dict[str, bytes]
    sheets: dict[str, SheetInfo | None]  # None: a chart sheet or the like


def open_package(
    data: bytes, result_title: str, read: Mapping[str, bytes] | None = None
) -> Package:
    """The source as a ``Package``, or ``Unhandled`` if the fast path cannot patch it;
    ``read``: members already decompressed, by name."""
    read = read or {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {
            info.filename: read[info.filename] if info.filename in read else archive.read(info)
            for info in archive.infolist()
        }
    if any(name not in members for name in _REQUIRED):
        raise Unhandled("a part is missing")
    lowered = [name.lower() for name in members]
    if any(n.endswith(".vml") or "vba" in n or "comments" in n for n in lowered):
        raise Unhandled("macros, comments or drawings to merge with")
    types = members[TYPES].decode("utf-8")
    if f'PartName="/{WORKBOOK}" ContentType="{MAIN_CT}"' not in types:
        raise Unhandled("not a plain .xlsx workbook")
    wanted = _folded(result_title)
    sheets: dict[str, SheetInfo | None] = {}
    for title, part, kind in _sheet_parts(members):
        if _folded(title) == wanted:
            raise Unhandled("a result sheet from an earlier round")
        sheets[title] = _sheet_info(title, part, members[part]) if kind == SHEET_TYPE else None
    return Package(members, sheets)


def _folded(title: str) -> str:
    return unicodedata.normalize("NFC", title).casefold()


def _sheet_parts(members: Mapping[str, bytes]) -> list[tuple[str, str, str]]:
    """(title, part name, relationship type) of every sheet, in workbook order."""
    book = fromstring(members[WORKBOOK])
    if book.tag != f"{{{MAIN_NS}}}workbook":
        raise Unhandled("not a transitional workbook")
    rels = {
        rel.get("Id"): (rel.get("Type", ""), rel.get("Target", ""))
        for rel in fromstring(members[WORKBOOK_RELS])
    }
    found = []
    for sheet in book.iterfind(f"{{{MAIN_NS}}}sheets/{{{MAIN_NS}}}sheet"):
        kind, target = rels[sheet.get(f"{{{REL_NS}}}id")]
        found.append((sheet.get("name", ""), _part_name("xl", target), kind))
    return found


def _part_name(folder: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(folder, target))


def _sheet_info(title: str, part: str, xml: bytes) -> SheetInfo:
    """openpyxl's max_row/max_column: the largest row and column holding a cell (merged
    and linked cells included), 1 on an empty sheet."""
    text = xml.decode("utf-8")
    refs = _CELL_REF.findall(text)
    if len(refs) != len(_CELL_ANY.findall(text)) or len(_ROW.findall(text)) != len(
        _ROW_ANY.findall(text)
    ):
        raise Unhandled("a cell or row without its address")
    max_row = max(map(int, map(itemgetter(1), refs)), default=1)  # C loops: ~400 cells a sheet
    max_col = max(map(_column, set(map(itemgetter(0), refs))), default=1)
    merged = MultiCellRange(re.findall(r'<mergeCell\b[^>]*?\sref="([^"]+)"', text))
    spans = [r.bounds for r in merged.ranges]
    for ref in re.findall(r'<hyperlink\b[^>]*?\sref="([^"]+)"', text):
        spans.append(range_boundaries(ref))
    for _, _, right, bottom in spans:
        max_row, max_col = max(max_row, bottom or 1), max(max_col, right or 1)
    return SheetInfo(title, part, max_row, max_col, merged)


@lru_cache(maxsize=512)
def _column(letters: str) -> int:
    return column_index_from_string(letters)


# --- grafting -----------------------------------------------------------------------


@dataclass
class _Styles:
    """The source's styles.xml as text, with the sections that grow."""

    text: str

    def items(self, section: str, item: str) -> list[str]:
        body = self._body(section)
        return re.findall(rf"<{item}\b[^>]*?/>|<{item}\b[^>]*?>.*?</{item}>", body, re.DOTALL)

    def _span(self, section: str) -> tuple[int, int]:
        start = re.search(rf"<{section}\b[^>]*?>", self.text)
        end = self.text.find(f"</{section}>")
        if start is None or start.group(0).endswith("/>") or end < 0:
            raise Unhandled(f"no {section} in styles.xml")
        return start.end(), end

    def _body(self, section: str) -> str:
        start, end = self._span(section)
        return self.text[start:end]

    def append(self, section: str, item: str, added: list[str]) -> int:
        """Append ``added`` to ``section``; return the index of the first one."""
        first = len(self.items(section, item))
        _, end = self._span(section)
        self.text = self.text[:end] + "".join(added) + self.text[end:]
        opening = re.search(rf"<{section}\b[^>]*?>", self.text)
        assert opening is not None  # found by _span just above
        tag = re.sub(r'\scount="\d+"', "", opening.group(0))
        tag = f'{tag[:-1]} count="{first + len(added)}">'
        self.text = self.text[: opening.start()] + tag + self.text[opening.end() :]
        return first


def _set_attr(tag: str, name: str, value: object) -> str:
    """``tag`` (a start tag) with attribute ``name`` set to ``value``."""
    if re.search(rf'\s{name}="[^"]*"', tag):
        return re.sub(rf'(\s{name}=)"[^"]*"', rf'\g<1>"{value}"', tag, count=1)
    closing = 2 if tag.endswith("/>") else 1
    return f'{tag[:-closing]} {name}="{value}"{tag[-closing:]}'


def _shift(xf: str, offsets: Mapping[str, int]) -> str:
    """A small workbook's xf pointing at the same fonts, fills and borders once appended."""
    start = xf[: xf.index(">") + 1]
    numfmt = re.search(r'\snumFmtId="(\d+)"', start)
    if numfmt and int(numfmt.group(1)) >= 164:
        raise Unhandled("a custom number format")
    for name, offset in offsets.items():
        found = re.search(rf'\s{name}="(\d+)"', start)
        start = _set_attr(start, name, int(found.group(1)) + offset if found else offset)
    return start + xf[xf.index(">") + 1 :]


def _text(element: Any) -> str:
    """An openpyxl element as text (openpyxl's ``tostring`` gives bytes)."""
    return cast(bytes, tostring(element)).decode("utf-8")


def _fill_xml(fill: PatternFill) -> str:
    """The fill as openpyxl writes it; the marks' fills are this package's constants, so
    each is serialised once per process."""
    found = _FILLS.get(id(fill))
    if found is None or found[0] is not fill:
        if len(_FILLS) >= 64:
            _FILLS.clear()
        found = _FILLS[id(fill)] = (fill, _text(fill.to_tree()))
    return found[1]


_FILLS: dict[int, tuple[PatternFill, str]] = {}  # id -> (the fill, kept alive; its XML)


class _Marks:
    """New xfs for the marked cells: the cell's own xf with the red or yellow fill."""

    def __init__(self, styles: _Styles, fills: list[PatternFill]) -> None:
        self._styles = styles
        self._source = styles.items("cellXfs", "xf")
        first = styles.append("fills", "fill", [_fill_xml(fill) for fill in fills])
        self._fill_ids = {id(fill): first + i for i, fill in enumerate(fills)}
        self._made: dict[tuple[int, int], int] = {}
        self._added: list[str] = []
        self._first = 0

    def start(self, first: int) -> None:
        self._first = first

    def style(self, old: int, fill: PatternFill) -> int:
        fill_id = self._fill_ids[id(fill)]
        key = (old, fill_id)
        if key not in self._made:
            xf = self._source[old]
            head = xf[: xf.index(">") + 1]
            head = _set_attr(_set_attr(head, "fillId", fill_id), "applyFill", 1)
            self._added.append(head + xf[xf.index(">") + 1 :])
            self._made[key] = self._first + len(self._added) - 1
        return self._made[key]

    def added(self) -> list[str]:
        return self._added


def graft(
    source: Package,
    extra: Mapping[str, bytes],
    marks: Mapping[tuple[str, str], PatternFill],
    saved_at: datetime,
) -> bytes:
    """The source with the small workbook's first sheet put first and its comments on the
    same-titled sheets (``extra``: ``result_parts.small_parts``); ``marks`` maps (sheet title, cell)
    to the cell's new fill."""
    out = dict(source.members)
    styles = _Styles(out[STYLES].decode("utf-8"))
    small_styles = _Styles(extra[STYLES].decode("utf-8"))
    offsets = {
        "fontId": styles.append("fonts", "font", small_styles.items("fonts", "font")),
        "fillId": styles.append("fills", "fill", small_styles.items("fills", "fill")),
        "borderId": styles.append("borders", "border", small_styles.items("borders", "border")),
    }
    fills = list({id(fill): fill for fill in marks.values()}.values())
    marker = _Marks(styles, fills)
    result_xfs = [_shift(xf, offsets) for xf in small_styles.items("cellXfs", "xf")]
    xf_offset = len(styles.items("cellXfs", "xf"))
    marker.start(xf_offset + len(result_xfs))
    parts = _sheet_parts(extra)
    result_part = parts[0][1]
    types = _Types(out[TYPES].decode("utf-8"))
    comments = {title: part for title, part, _ in parts[1:]}
    for info in source.sheets.values():
        if info is not None:
            cells = {c: f for (t, c), f in marks.items() if t == info.title}
            legacy = _graft_comments(out, extra, comments.get(info.title), info.part, types)
            sheet = _patch_sheet(out[info.part].decode("utf-8"), cells, marker, legacy)
            out[info.part] = sheet.encode("utf-8")
    styles.append("cellXfs", "xf", result_xfs + marker.added())
    out[STYLES] = styles.text.encode("utf-8")
    sheet_xml = _result_sheet(extra, result_part, xf_offset)
    _add_result_sheet(out, extra, parts[0][0], sheet_xml, types)
    out[TYPES] = types.text.encode("utf-8")
    out[CORE] = _core(out[CORE], saved_at)
    _check_well_formed(out, source.members)
    return package_bytes(out)


def _check_well_formed(out: Mapping[str, bytes], before: Mapping[str, bytes]) -> None:
    """Parse every part this module wrote: a splice gone wrong falls back to openpyxl
    instead of sending the clerk a workbook Excel must repair."""
    for name, data in out.items():
        if before.get(name) is not data and not name.endswith(".vml"):
            ParserCreate().Parse(data, True)  # expat alone: no tree is needed


class _Types:
    """[Content_Types].xml as text, growing by Overrides and Defaults."""

    def __init__(self, text: str) -> None:
        self.text = text

    def override(self, part: str, content_type: str) -> None:
        self._add(f'<Override PartName="/{part}" ContentType="{content_type}"/>')

    def default(self, extension: str, content_type: str) -> None:
        if not re.search(rf'Extension="{extension}"', self.text, re.IGNORECASE):
            self._add(f'<Default Extension="{extension}" ContentType="{content_type}"/>')

    def _add(self, element: str) -> None:
        end = self.text.rindex("</Types>")
        self.text = self.text[:end] + element + self.text[end:]


def _fresh(taken: Callable[[str], bool], pattern: str) -> str:
    n = 1
    while taken(pattern.format(n)):
        n += 1
    return pattern.format(n)


def _add_rel(out: dict[str, bytes], rels_part: str, kind: str, target: str) -> str:
    """Add a relationship to ``rels_part`` (made if absent); return its fresh id."""
    text = (
        out[rels_part].decode("utf-8")
        if rels_part in out
        else f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{PKG_REL_NS}"></Relationships>'
    )
    ids = set(re.findall(r'\sId="([^"]+)"', text))
    rid = _fresh(ids.__contains__, "rId{}")
    end = text.rfind("</Relationships>")
    if end < 0:
        raise Unhandled("an empty relationships part")
    element = f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/>'
    out[rels_part] = (text[:end] + element + text[end:]).encode("utf-8")
    return rid


def _rels_of(part: str) -> str:
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


def _graft_comments(
    out: dict[str, bytes],
    extra: Mapping[str, bytes],
    small_part: str | None,
    part: str,
    types: _Types,
) -> str | None:
    """Copy the small sheet's comments and their VML next to ``part``; the VML rel id."""
    if small_part is None:
        return None
    rels = {
        rel.get("Type"): _part_name(posixpath.dirname(small_part), rel.get("Target", ""))
        for rel in fromstring(extra[_rels_of(small_part)])
    }
    comments = _fresh(out.__contains__, "xl/comments/comment{}.xml")
    out[comments] = extra[rels[COMMENTS_TYPE]]
    vml = _fresh(out.__contains__, "xl/drawings/commentsDrawing{}.vml")
    out[vml] = extra[rels[VML_TYPE]]
    types.override(comments, COMMENTS_CT)
    types.default("vml", VML_CT)
    _add_rel(out, _rels_of(part), COMMENTS_TYPE, "/" + comments)
    return _add_rel(out, _rels_of(part), VML_TYPE, "/" + vml)


# --- a clerk sheet ------------------------------------------------------------------


def _children(fragment: str) -> list[list[str]]:
    """The top-level elements of ``fragment`` as [name, text]."""
    if "<!" in fragment or "<?" in fragment:
        raise Unhandled("a comment or processing instruction")
    found: list[list[str]] = []
    depth, start = 0, 0
    for tag in _TAG.finditer(fragment):
        closing, name, empty = tag.group(1), tag.group(2), tag.group(3)
        if depth == 0:
            start = tag.start()
        if closing:
            depth -= 1
        elif not empty:
            depth += 1
        if depth == 0:
            found.append([name, fragment[start : tag.end()]])
        if depth < 0:
            raise Unhandled("unbalanced XML")
    if depth or any(name not in _ORDER for name, _ in found):
        raise Unhandled("an element the fast path does not place")
    return found


def _put(children: list[list[str]], name: str, text: str) -> None:
    """Replace the child ``name`` or insert it at its place in CT_Worksheet's order."""
    for child in children:
        if child[0] == name:
            child[1] = text
            return
    rank = _ORDER[name]
    at = next((i for i, (other, _) in enumerate(children) if _ORDER[other] > rank), None)
    children.insert(len(children) if at is None else at, [name, text])


def _patch_sheet(
    xml: str, cells: Mapping[str, PatternFill], marker: _Marks, legacy: str | None
) -> str:
    root = _ROOT.search(xml)
    if root is None or f'xmlns="{MAIN_NS}"' not in root.group(0):
        raise Unhandled("a worksheet not in the default namespace")
    opening = root.group(0)
    data = re.search(r"<sheetData\s*/>|<sheetData\b[^>]*>.*?</sheetData>", xml, re.DOTALL)
    end = xml.rfind("</worksheet>")
    if data is None or end < 0:
        raise Unhandled("no sheetData")
    children = _children(xml[root.end() : data.start()])
    children.append(["sheetData", _mark_cells(data.group(0), cells, marker)])
    children += _children(xml[data.end() : end])
    for child in children:
        if child[0] == "sheetViews":
            child[1] = re.sub(r'(<sheetView\b[^>]*?)\stabSelected="[^"]*"', r"\1", child[1])
    _print_setup(children, opening)
    if legacy is not None:
        prefix = re.search(rf'\sxmlns:([\w.-]+)="{REL_NS}"', opening)
        if prefix is None:
            opening = f'{opening[:-1]} xmlns:r="{REL_NS}">'
        name = prefix.group(1) if prefix else "r"
        _put(children, "legacyDrawing", f'<legacyDrawing {name}:id="{legacy}"/>')
    body = "".join(text for _, text in children)
    return xml[: root.start()] + opening + body + xml[end:]


_ATTRIBUTES = {
    "sheetPr": "sheet_properties",
    "printOptions": "print_options",
    "pageMargins": "page_margins",
    "pageSetup": "page_setup",
    "headerFooter": "HeaderFooter",
}


def _print_setup(children: list[list[str]], opening: str) -> None:
    """``print_a4_landscape`` on the sheet's own print settings, via openpyxl's classes."""
    declarations = "".join(_XMLNS.findall(opening))
    given = tuple((name, text) for name, text in children if name in _PRINT)
    for name, text in _printed(given, declarations):
        _put(children, name, text)


@lru_cache(maxsize=256)
def _printed(given: tuple[tuple[str, str], ...], declarations: str) -> tuple[tuple[str, str], ...]:
    """The print elements after ``print_a4_landscape``; cached, as an agency's files come
    from a few templates and so repeat the same settings."""
    ws = Worksheet(_scratch())
    for name, text in given:
        node: Element = fromstring(f"<w{declarations}>{text}</w>")[0]
        setattr(ws, _ATTRIBUTES[name], _PRINT[name].from_tree(node))
    print_a4_landscape(ws)
    return tuple((name, _text(getattr(ws, key).to_tree())) for name, key in _ATTRIBUTES.items())


@lru_cache(maxsize=1)
def _scratch() -> Workbook:
    """The parent of the throwaway worksheets that hold a sheet's print settings."""
    return Workbook()


def _mark_cells(data: str, cells: Mapping[str, PatternFill], marker: _Marks) -> str:
    """sheetData with each cell's style replaced (the cell and its row made if absent)."""
    if not cells:
        return data
    if data.endswith("/>"):
        data = "<sheetData></sheetData>"
    by_row: dict[int, dict[int, tuple[str, PatternFill]]] = {}
    for coordinate, fill in cells.items():
        letters, row = coordinate_from_string(coordinate)
        by_row.setdefault(row, {})[_column(letters)] = (coordinate, fill)
    rows = {int(m.group(1)): m for m in _ROW.finditer(data)}
    edits: list[tuple[int, int, str]] = []
    new_rows: dict[int, list[str]] = {}
    for row, wanted in sorted(by_row.items()):
        found = rows.get(row)
        if found is None:
            later = [m.start() for r, m in rows.items() if r > row]
            at = min(later) if later else data.rindex("</sheetData>")
            new_rows.setdefault(at, []).append(f'<row r="{row}">{_new_cells(wanted, marker)}</row>')
            continue
        if found.group(2):  # <row .../>
            text = f"{found.group(0)[:-2].rstrip()}>{_new_cells(wanted, marker)}</row>"
            edits.append((found.start(), found.end(), text))
            continue
        close = data.index("</row>", found.end())
        body = _mark_row(data[found.end() : close], wanted, marker)
        edits.append((found.end(), close, body))
    edits += [(at, at, "".join(texts)) for at, texts in new_rows.items()]
    for start, stop, text in sorted(edits, reverse=True):
        data = data[:start] + text + data[stop:]
    return data


def _new_cells(wanted: Mapping[int, tuple[str, PatternFill]], marker: _Marks) -> str:
    """Cells the sheet did not hold, styled from the default xf with the mark's fill."""
    return "".join(
        f'<c r="{coordinate}" s="{marker.style(0, fill)}"/>'
        for _, (coordinate, fill) in sorted(wanted.items())
    )


def _mark_row(body: str, wanted: Mapping[int, tuple[str, PatternFill]], marker: _Marks) -> str:
    """A row's cells with the wanted ones restyled, the missing ones inserted in order."""
    edits: list[tuple[int, int, str]] = []
    left = dict(wanted)
    cells = list(re.finditer(r'<c\b[^>]*?\sr="([A-Z]{1,3})[0-9]+"[^>]*?/?>', body))
    for cell in cells:
        col = _column(cell.group(1))
        before = {c: w for c, w in left.items() if c < col}
        if before:
            edits.append((cell.start(), cell.start(), _new_cells(before, marker)))
            left = {c: w for c, w in left.items() if c >= col}
        if col in left:
            tag = cell.group(0)
            old = re.search(r'\ss="(\d+)"', tag)
            style = marker.style(int(old.group(1)) if old else 0, left.pop(col)[1])
            edits.append((cell.start(), cell.end(), _set_attr(tag, "s", style)))
    if left:
        edits.append((len(body), len(body), _new_cells(left, marker)))
    for start, stop, text in sorted(edits, key=lambda e: e[0], reverse=True):
        body = body[:start] + text + body[stop:]
    return body


# --- the result sheet and the workbook ------------------------------------------------


def _result_sheet(extra: Mapping[str, bytes], part: str, xf_offset: int) -> bytes:
    """The small workbook's result sheet with its styles shifted and inline strings."""
    if _rels_of(part) in extra:
        raise Unhandled("the result sheet has relationships")
    text = extra[part].decode("utf-8")

    def shifted(found: re.Match[str]) -> str:
        return f'{found[1]}{int(found[2]) + xf_offset}"'

    text = re.sub(r'(<(?:c|row)\b[^>]*?\ss=")(\d+)"', shifted, text)
    text = re.sub(r'(<col\b[^>]*?\sstyle=")(\d+)"', shifted, text)
    if 't="s"' in text:
        strings = re.findall(
            r"<si>(.*?)</si>", extra["xl/sharedStrings.xml"].decode("utf-8"), re.DOTALL
        )
        text = re.sub(
            r'<c\b([^>]*?)\st="s"([^>]*)><v>(\d+)</v></c>',
            lambda m: f'<c{m[1]} t="inlineStr"{m[2]}><is>{strings[int(m[3])]}</is></c>',
            text,
        )
    return text.encode("utf-8")


def _add_result_sheet(
    out: dict[str, bytes], extra: Mapping[str, bytes], title: str, xml: bytes, types: _Types
) -> None:
    """The result sheet as the new first sheet, active, with its defined names."""
    part = _fresh(out.__contains__, "xl/worksheets/sheet{}.xml")
    out[part] = xml
    types.override(part, SHEET_CT)
    rid = _add_rel(out, WORKBOOK_RELS, SHEET_TYPE, "/" + part)
    book = out[WORKBOOK].decode("utf-8")
    root = re.match(r"(?:<\?[^>]*>\s*)?(<workbook\b[^>]*>)", book)
    prefix = re.search(rf'\sxmlns:([\w.-]+)="{REL_NS}"', root.group(1)) if root else None
    sheets = re.search(r"<sheets\b[^>]*>", book)
    if prefix is None or sheets is None:
        raise Unhandled("an unusual workbook.xml")
    ids = [int(i) for i in re.findall(r'<sheet\b[^>]*?\ssheetId="(\d+)"', book)]
    sheet = f'<sheet name={quoteattr(title)} sheetId="{max(ids, default=0) + 1}" '
    sheet += f'{prefix.group(1)}:id="{rid}"/>'
    book = book[: sheets.end()] + sheet + book[sheets.end() :]
    book = re.sub(
        r'(<definedName\b[^>]*?\slocalSheetId=")(\d+)"', lambda m: f'{m[1]}{int(m[2]) + 1}"', book
    )
    book = _add_names(book, _result_names(extra[WORKBOOK].decode("utf-8")))
    for attribute in ("activeTab", "firstSheet"):  # the result sheet is shown first
        book = re.sub(rf'(<workbookView\b[^>]*?\s{attribute}=")\d+"', r'\g<1>0"', book)
    out[WORKBOOK] = book.encode("utf-8")


def _result_names(small_book: str) -> str:
    names = re.findall(r"<definedName\b[^>]*>.*?</definedName>", small_book, re.DOTALL)
    return "".join(name for name in names if 'localSheetId="0"' in name)


def _add_names(book: str, names: str) -> str:
    """``book`` with ``names`` first in its definedNames (made at its place if absent)."""
    if not names:
        return book
    empty = re.search(r"<definedNames\s*/>", book)
    if empty:
        return book[: empty.start()] + f"<definedNames>{names}</definedNames>" + book[empty.end() :]
    opening = re.search(r"<definedNames\b[^>]*>", book)
    if opening:
        return book[: opening.end()] + names + book[opening.end() :]
    after = max(book.find("</externalReferences>"), -1)
    anchor = "</externalReferences>" if after >= 0 else "</sheets>"
    at = book.index(anchor) + len(anchor)
    return book[:at] + f"<definedNames>{names}</definedNames>" + book[at:]


def _core(core: bytes, saved_at: datetime) -> bytes:
    """The document properties as openpyxl writes them, with the fixed times."""
    props = DocumentProperties.from_tree(cast(Any, fromstring(core)))
    if props is None:
        raise Unhandled("no document properties")
    return core_properties_bytes(props, saved_at)
