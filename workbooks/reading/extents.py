"""How many rows and columns each sheet of an .ods or .xls spans, found before parsing;
and which of them are hidden.

calamine stores a sheet as one dense grid from A1 to its last cell, so a single cell far
away (row 65536 of an .xls) or a row repeated a million times (an .ods
``number-rows-repeated``) costs gigabytes. These scanners read only the structure:
``ods_extents`` the repeat counts of content.xml, ``xls_extents`` the cell records of the
BIFF stream inside the OLE container. Both return ``{sheet name: (rows, columns)}``
counting only rows and columns that hold something (trailing empty repeats are free),
and raise ``ValueError`` for a structure they cannot follow. ``ods_hidden`` and
``xls_hidden`` find the hidden rows and columns, which calamine does not expose either
(``workbooks.reading.hidden`` reads them from an .xlsx's sheet XML).
"""

import html
import re
import struct
from collections.abc import Iterator

Hidden = tuple[set[int], set[int]]  # hidden rows and hidden columns of a sheet, 0-based

# --- OpenDocument ------------------------------------------------------------------

_TABLE = re.compile(rb"<table:table\b([^>]*)>(.*?)</table:table>", re.S)
# A row element itself, not a row group (the outline clerks fold rows with) around rows.
_ROW = re.compile(rb"<table:table-row(?=[\s/>])([^>]*?)(?:/>|>(.*?)</table:table-row>)", re.S)
_CELL = re.compile(
    rb"<table:(?:covered-)?table-cell\b([^>]*?)(?:/>|>(.*?)</table:(?:covered-)?table-cell>)",
    re.S,
)
_NAME = re.compile(rb'\btable:name="([^"]*)"')
_ROWS_REPEATED = re.compile(rb'\btable:number-rows-repeated="(\d+)"')
_COLUMNS_REPEATED = re.compile(rb'\btable:number-columns-repeated="(\d+)"')
_TEXT = re.compile(rb"<text:[^>]*>\s*[^<\s]")


def ods_extents(content_xml: bytes) -> dict[str, tuple[int, int]]:
    extents = {}
    for label, body in _tables(content_xml):
        row = rows = columns = 0
        for row_match in _ROW.finditer(body):
            repeat = _repeat(_ROWS_REPEATED, row_match[1])
            width = _row_width(row_match[2] or b"")
            row += repeat
            if width:
                rows, columns = row, max(columns, width)
        extents[label] = (rows, columns)
    return extents


def _tables(content_xml: bytes) -> Iterator[tuple[str, bytes]]:
    """(sheet name as the clerk sees it, its XML) of each table of content.xml."""
    for number, table in enumerate(_TABLE.finditer(content_xml), 1):
        name = _NAME.search(table[1])
        label = html.unescape(name[1].decode("utf-8", "replace")) if name else f"Sheet{number}"
        yield label, table[2]


def _repeat(pattern: re.Pattern, attrs: bytes) -> int:
    m = pattern.search(attrs)
    return int(m[1]) if m else 1


def _row_width(body: bytes) -> int:
    """Columns up to the last cell holding a value or text."""
    column = width = 0
    for cell in _CELL.finditer(body):
        column += _repeat(_COLUMNS_REPEATED, cell[1])
        if b"office:value-type" in cell[1] or _TEXT.search(cell[2] or b""):
            width = column
    return width


# A row or column element itself, not a row group or the columns' header wrapper.
_ROW_ONLY = re.compile(rb"<table:table-row(?=[\s/>])([^>]*)>")
_COLUMN_ONLY = re.compile(rb"<table:table-column(?=[\s/>])([^>]*)>")
_COLLAPSED = re.compile(rb'\btable:visibility="(?:collapse|filter)"')


def ods_hidden(content_xml: bytes, max_rows: int, max_columns: int) -> dict[str, Hidden]:
    """{sheet name: (hidden rows, hidden columns)} of an .ods's content.xml; a hidden span
    beyond ``max_rows`` or ``max_columns`` is the rest of the sheet, and left out."""
    found = {}
    for label, body in _tables(content_xml):
        rows = _collapsed(_ROW_ONLY, _ROWS_REPEATED, body, max_rows)
        columns = _collapsed(_COLUMN_ONLY, _COLUMNS_REPEATED, body, max_columns)
        found[label] = (rows, columns)
    return found


def _collapsed(element: re.Pattern, repeated: re.Pattern, body: bytes, limit: int) -> set[int]:
    """The 0-based places of the ``element``s that are hidden (collapsed or filtered out)."""
    hidden: set[int] = set()
    place = 0
    for tag in element.finditer(body):
        repeat = _repeat(repeated, tag[1])
        if _COLLAPSED.search(tag[1]):
            hidden.update(range(place, min(place + repeat, limit)))
        place += repeat
        if place >= limit:
            break
    return hidden


# --- Excel 97-2003 (BIFF8 in an OLE compound file) -------------------------------------

_FREE, _END_OF_CHAIN = 0xFFFFFFFF, 0xFFFFFFFE
_BOF, _BOUNDSHEET, _FILEPASS = 0x0809, 0x0085, 0x002F
# Cell records and where their (row, first column[, last column]) sit.
_CELLS = {0x0006, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x00D6}
_MULTI = {0x00BD, 0x00BE}  # MULRK, MULBLANK: row, first column, ..., last column at the end


_ROW_RECORD, _COLINFO = 0x0208, 0x007D
_ROW_HIDDEN, _COLUMN_HIDDEN = 0x20, 0x01  # ROW's fDyZero, COLINFO's fHidden


def xls_extents(data: bytes) -> dict[str, tuple[int, int]]:
    extents: dict[str, tuple[int, int]] = {}
    for sheet, kind, body in _sheet_records(data):
        if cell := _cell_extent(kind, body):
            rows, columns = extents.get(sheet, (0, 0))
            extents[sheet] = (max(rows, cell[0]), max(columns, cell[1]))
    return extents


def xls_hidden(data: bytes, max_columns: int) -> dict[str, Hidden]:
    """{sheet name: (hidden rows, hidden columns)}: ROW records marked zero-height and
    COLINFO records marked hidden (a span beyond ``max_columns``: the rest of the sheet)."""
    found: dict[str, Hidden] = {}
    for sheet, kind, body in _sheet_records(data):
        rows, columns = found.setdefault(sheet, (set(), set()))
        if kind == _ROW_RECORD and len(body) >= 16 and body[12] & _ROW_HIDDEN:
            rows.add(struct.unpack_from("<H", body)[0])
        elif kind == _COLINFO and len(body) >= 10:
            first, last, _, _, flags = struct.unpack_from("<HHHHH", body)
            if flags & _COLUMN_HIDDEN:
                columns.update(range(first, min(last + 1, max_columns)))
    return found


def _sheet_records(data: bytes) -> Iterator[tuple[str, int, bytes]]:
    """(sheet name, record type, record body) of every record inside a worksheet."""
    stream = _ole_stream(data, ("Workbook", "Book"))
    names: dict[int, str] = {}  # stream offset of a sheet's BOF -> sheet name
    pos, current = 0, None
    while pos + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4 : pos + 4 + size]
        if kind == _FILEPASS:
            return  # encrypted: what follows is unreadable, and so is the file to calamine
        if kind == _BOUNDSHEET and len(body) >= 8:
            names[struct.unpack_from("<I", body)[0]] = _sheet_name(body)
        elif kind == _BOF and pos in names:  # (a chart's BOF inside a sheet is not)
            current = names[pos]
        elif current is not None:
            yield current, kind, body
        pos += 4 + size


def _cell_extent(kind: int, body: bytes) -> tuple[int, int] | None:
    """(rows, columns) up to a cell record, or None for another record."""
    if kind in _CELLS and len(body) >= 4:
        row, column = struct.unpack_from("<HH", body)
        return row + 1, column + 1
    if kind in _MULTI and len(body) >= 6:
        row = struct.unpack_from("<H", body)[0]
        return row + 1, struct.unpack_from("<H", body, len(body) - 2)[0] + 1
    return None


def _sheet_name(body: bytes) -> str:
    length, high = body[6], body[7] & 1
    raw = body[8 : 8 + length * (2 if high else 1)]
    return raw.decode("utf-16-le" if high else "latin-1", "replace")


def _ole_stream(data: bytes, wanted: tuple[str, ...]) -> bytes:
    """The bytes of the first stream named in ``wanted`` of an OLE compound file."""
    if len(data) < 512:
        raise ValueError("truncated OLE header")
    sector = 1 << struct.unpack_from("<H", data, 0x1E)[0]
    mini = 1 << struct.unpack_from("<H", data, 0x20)[0]
    if sector not in (512, 4096) or mini != 64:
        raise ValueError("unusual OLE sector sizes")
    count = (len(data) - sector) // sector
    fat_sectors = list(struct.unpack_from("<109I", data, 0x4C))
    difat, difat_count = struct.unpack_from("<II", data, 0x44)
    per_difat = sector // 4 - 1
    for _ in range(min(difat_count, count)):
        if difat >= count:
            break
        entries = struct.unpack_from(f"<{per_difat + 1}I", data, (difat + 1) * sector)
        fat_sectors += entries[:-1]
        difat = entries[-1]
    fat: list[int] = []
    for number in fat_sectors:
        if number < count:
            fat += struct.unpack_from(f"<{sector // 4}I", data, (number + 1) * sector)

    def chain(start: int) -> bytes:
        parts, seen = [], set()
        while start not in (_END_OF_CHAIN, _FREE):
            if start >= count or start in seen or start >= len(fat):
                raise ValueError("broken OLE sector chain")
            seen.add(start)
            parts.append(data[(start + 1) * sector : (start + 2) * sector])
            start = fat[start]
        return b"".join(parts)

    directory = chain(struct.unpack_from("<I", data, 0x30)[0])
    cutoff = struct.unpack_from("<I", data, 0x38)[0]
    root_start = struct.unpack_from("<I", directory, 0x74)[0]
    for offset in range(0, len(directory) - 127, 128):
        length = struct.unpack_from("<H", directory, offset + 0x40)[0]
        name = directory[offset : offset + max(length - 2, 0)].decode("utf-16-le", "replace")
        if name not in wanted or directory[offset + 0x42] != 2:  # 2: a stream
            continue
        start, size = struct.unpack_from("<II", directory, offset + 0x74)
        if size >= cutoff:
            return chain(start)[:size]
        return _mini_stream(data, chain, root_start, start, size, mini)
    raise ValueError("no workbook stream")


def _mini_stream(data: bytes, chain, root_start: int, start: int, size: int, mini: int):
    """A small stream, kept in 64-byte mini sectors inside the root entry's stream."""
    container = chain(root_start)
    first_minifat, minifat_count = struct.unpack_from("<II", data, 0x3C)
    raw = chain(first_minifat) if minifat_count else b""
    minifat = struct.unpack(f"<{len(raw) // 4}I", raw[: len(raw) // 4 * 4])
    parts, seen = [], set()
    while start not in (_END_OF_CHAIN, _FREE):
        if start >= len(minifat) or start in seen:
            raise ValueError("broken OLE mini sector chain")
        seen.add(start)
        parts.append(container[start * mini : (start + 1) * mini])
        start = minifat[start]
    return b"".join(parts)[:size]
