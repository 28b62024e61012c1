"""Guards against hostile or broken files, checked before any spreadsheet parser runs.

Every limit lives here. ``inspect_file`` reads the file once, checks its kind, its zip
central directory and the real size of every member (a lying central directory fails
its CRC), and the row count of every worksheet, so that the parser only ever sees a
file whose cost is bounded.
"""

import html
import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field

from workbooks.reading.extents import ods_extents, xls_extents

MAX_FILE_BYTES = 20 * 1024 * 1024  # the file as received
MAX_TOTAL_UNCOMPRESSED = 100 * 1024 * 1024  # all zip members together, decompressed
MAX_MEMBER_UNCOMPRESSED = 50 * 1024 * 1024  # one zip member, decompressed
MAX_COMPRESSION_RATIO = 200  # for members bigger than RATIO_CHECK_FROM
RATIO_CHECK_FROM = 1024 * 1024
MAX_ZIP_MEMBERS = 2_000
MAX_SHEET_ROWS = 20_000  # rows of one worksheet
MAX_SHEET_COLUMNS = 1_000  # columns of one worksheet
MAX_SHEETS = 100

# Members no parser decompresses: only their central-directory entries are checked.
_UNREAD_PREFIXES = (
    "docProps/",
    "customXml/",
    "xl/media/",
    "xl/theme/",
    "xl/drawings/",
    "xl/charts/",
    "xl/printerSettings/",
    "xl/embeddings/",
    "xl/diagrams/",
    "Thumbnails/",
    "Pictures/",
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")

_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_REL_TAG = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_ATTR = re.compile(rb'([\w:]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([^\"]*)\"")
# A row or cell reference that may be beyond the limits: a 3-letter column or 5+ digit row.
# (No leading \b: a literal start lets the regex engine scan fast; the byte before is
# checked in code.)
_FAR_REF = re.compile(rb"r=\"(?:([A-Z]{3})(\d+)|([A-Z]{0,2})(\d{5,}))\"")
_REF_PART = re.compile(r"([A-Z]{1,3})?(\d+)?")

MSG_TOO_BIG = (
    "Tệp quá lớn ({size:.1f} MB; tối đa {limit} MB). Hãy gửi đúng biểu mẫu báo cáo, "
    "xóa các trang tính và hình ảnh không cần thiết rồi lưu lại."
)
MSG_EMPTY = "Tệp rỗng (0 byte). Hãy mở biểu mẫu bằng Excel, nhập số liệu, lưu lại rồi gửi lại."
MSG_NOT_WORKBOOK = (
    "Tệp không phải là bảng tính Excel (.xlsx) hoặc đã bị hỏng. Hãy mở biểu mẫu bằng Excel, "
    "chọn Lưu thành (Save As) kiểu “Excel Workbook (*.xlsx)” rồi gửi lại."
)
MSG_ENCRYPTED = (
    "Tệp được đặt mật khẩu nên không đọc được. Hãy gỡ mật khẩu (File > Info > Protect "
    "Workbook > Encrypt with Password, để trống) rồi gửi lại."
)
MSG_BOMB = (
    "Tệp có dung lượng khi giải nén bất thường ({detail}), có thể đã bị hỏng. "
    "Hãy dùng đúng biểu mẫu báo cáo, lưu lại bằng Excel rồi gửi lại."
)
MSG_TOO_MANY_ROWS = (
    "Trang tính “{sheet}” có quá nhiều dòng hoặc cột ({rows} dòng, {cols} cột; tối đa "
    f"{MAX_SHEET_ROWS} dòng và {MAX_SHEET_COLUMNS} cột). Hãy xóa các dòng, cột thừa "
    "(kể cả dòng trống đã định dạng) rồi lưu lại."
)


class UnreadableFile(Exception):
    """The file must be refused; ``str(exc)`` is the Vietnamese message for the clerk."""


@dataclass
class Inspection:
    """What the guards learnt about a file that passed them."""

    data: bytes
    kind: str  # "xlsx", "xlsb", "ods", "xls"
    sheet_xml: dict[str, bytes] = field(default_factory=dict)  # sheet name -> worksheet XML
    # Zip members as decompressed for the checks (all but _UNREAD_PREFIXES), by name.
    members: dict[str, bytes] = field(default_factory=dict)


def inspect_file(data: bytes) -> Inspection:
    """Check a file's bytes against every limit; raise ``UnreadableFile`` if any fails."""
    if not data:
        raise UnreadableFile(MSG_EMPTY)
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFile(too_big_message(len(data)))
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_STREAM in data:
            raise UnreadableFile(MSG_ENCRYPTED)
        _check_extents(xls_extents, data)
        return Inspection(data, "xls")
    if not data.startswith(_ZIP_MAGIC):
        raise UnreadableFile(MSG_NOT_WORKBOOK)
    return _inspect_zip(data)


def too_big_message(size: int) -> str:
    return MSG_TOO_BIG.format(size=size / 1024 / 1024, limit=MAX_FILE_BYTES // 1024 // 1024)


def _inspect_zip(data: bytes) -> Inspection:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise UnreadableFile(MSG_NOT_WORKBOOK) from exc
    if len(infos) > MAX_ZIP_MEMBERS:
        raise UnreadableFile(MSG_BOMB.format(detail=f"{len(infos)} thành phần"))
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise UnreadableFile(MSG_ENCRYPTED)
        total += info.file_size
        if info.file_size > MAX_MEMBER_UNCOMPRESSED or total > MAX_TOTAL_UNCOMPRESSED:
            raise UnreadableFile(MSG_BOMB.format(detail=f"hơn {total // 1024 // 1024} MB"))
        if info.compress_size > info.file_size + info.file_size // 100 + 1024:
            # Deflate never grows data this much: the declared size is a lie.
            raise UnreadableFile(MSG_NOT_WORKBOOK)
        if info.file_size > RATIO_CHECK_FROM and (
            info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1)
        ):
            ratio = info.file_size // max(info.compress_size, 1)
            raise UnreadableFile(MSG_BOMB.format(detail=f"tỷ lệ nén {ratio}:1"))
    names = {info.filename for info in infos}
    if "xl/workbook.xml" in names:
        kind = "xlsx"
    elif "xl/workbook.bin" in names:
        kind = "xlsb"
    elif "content.xml" in names:
        kind = "ods"
    else:
        raise UnreadableFile(MSG_NOT_WORKBOOK)
    # Decompress every member a parser reads, bounded by its declared size: a member whose
    # real content differs from the central directory fails zipfile's length or CRC check.
    members: dict[str, bytes] = {}
    try:
        for info in infos:
            if not info.filename.startswith(_UNREAD_PREFIXES):
                members[info.filename] = _read_member(data, info)
    except UnreadableFile:
        raise
    except Exception as exc:  # zlib.error, BadZipFile (CRC), NotImplementedError (method)
        raise UnreadableFile(MSG_NOT_WORKBOOK) from exc
    inspection = Inspection(data, kind, members=members)
    if kind == "ods":
        _check_extents(ods_extents, members.get("content.xml", b""))
    if kind == "xlsx":
        inspection.sheet_xml = _worksheets(members)
        for sheet, xml in inspection.sheet_xml.items():
            check_sheet_size(sheet, *_xml_extent(xml))
    return inspection


def _check_extents(scan, data: bytes) -> None:
    """Refuse an .ods or .xls whose sheets span too much, before calamine builds them."""
    try:
        extents = scan(data)
    except (ValueError, struct.error, IndexError) as exc:
        raise UnreadableFile(MSG_NOT_WORKBOOK) from exc
    for sheet, (rows, cols) in extents.items():
        check_sheet_size(sheet, rows, cols)


def _read_member(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """A member's content, decompressed straight from the file's bytes with zlib (half
    the time of zipfile's reader): never more than its declared size plus one byte, and
    checked against its declared size and CRC, as zipfile checks them."""
    offset = info.header_offset
    if data[offset : offset + 4] != _ZIP_MAGIC:
        raise zipfile.BadZipFile(f"no local header for {info.filename}")
    name_length, extra_length = struct.unpack_from("<HH", data, offset + 26)
    start = offset + 30
    encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
    if data[start : start + name_length] != info.orig_filename.encode(encoding):
        raise zipfile.BadZipFile(f"the local header of {info.filename} names another file")
    start += name_length + extra_length
    raw = data[start : start + info.compress_size]
    if len(raw) != info.compress_size:
        raise zipfile.BadZipFile(f"{info.filename} is truncated")
    limit = min(info.file_size, MAX_MEMBER_UNCOMPRESSED)
    if info.compress_type == zipfile.ZIP_STORED:
        content = raw
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        content = zlib.decompressobj(-zlib.MAX_WBITS).decompress(raw, limit + 1)
    else:
        raise NotImplementedError(f"compression method {info.compress_type}")
    if len(content) > limit:
        detail = f"{info.filename} lớn hơn kích thước ghi trong tệp"
        raise UnreadableFile(MSG_BOMB.format(detail=detail))
    if len(content) != info.file_size or zlib.crc32(content) != info.CRC:
        raise zipfile.BadZipFile(f"{info.filename} differs from its declared size or CRC")
    return content


def check_sheet_size(sheet: str, rows: int, cols: int) -> None:
    if rows > MAX_SHEET_ROWS or cols > MAX_SHEET_COLUMNS:
        raise UnreadableFile(MSG_TOO_MANY_ROWS.format(sheet=sheet, rows=rows, cols=cols))


def _attrs(tag: bytes) -> dict[str, str]:
    found = {}
    for m in _ATTR.finditer(tag):
        key = m[1].decode("ascii", "replace")
        value = (m[2] if m[2] is not None else m[3]).decode("utf-8", "replace")
        found[key.rpartition(":")[2] if key.startswith("r:") else key] = html.unescape(value)
    return found


def _worksheets(members: dict[str, bytes]) -> dict[str, bytes]:
    """Worksheet XML by sheet name, following workbook.xml and its relationships."""
    rels = {}
    for tag in _REL_TAG.findall(members.get("xl/_rels/workbook.xml.rels", b"")):
        attrs = _attrs(tag)
        target = attrs.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        rels[attrs.get("Id")] = _normalise(target)
    sheets = {}
    tags = _SHEET_TAG.findall(members.get("xl/workbook.xml", b""))
    if len(tags) > MAX_SHEETS:
        raise UnreadableFile(MSG_BOMB.format(detail=f"{len(tags)} trang tính"))
    for tag in tags:
        attrs = _attrs(tag)
        part = rels.get(attrs.get("id"))
        if part in members and "name" in attrs:
            sheets[attrs["name"]] = members[part]
    return sheets


def _normalise(path: str) -> str:
    parts: list[str] = []
    for piece in path.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def _xml_extent(xml: bytes) -> tuple[int, int]:
    """(rows, columns) a worksheet spans: the larger of its <dimension> and its cell refs."""
    rows = cols = 0
    if m := _DIMENSION.search(xml, 0, 4096):
        for part in m[1].decode("ascii", "replace").split(":"):
            rm = _REF_PART.fullmatch(part.replace("$", ""))
            if rm:
                rows = max(rows, int(rm[2] or 0))
                cols = max(cols, column_number(rm[1]) if rm[1] else 0)
    # Row elements are counted too, for sheets without r attributes.
    rows = max(rows, xml.count(b"<row") + xml.count(b":row "))
    # Only references that might be far away are looked at (one C-speed scan otherwise).
    for m in _FAR_REF.finditer(xml):
        if xml[m.start() - 1 : m.start()] not in (b" ", b"\t", b"\n", b"\r"):
            continue
        letters, number = (m[1], m[2]) if m[1] else (m[3], m[4])
        rows = max(rows, int(number))
        if letters:
            cols = max(cols, column_number(letters.decode("ascii")))
    return rows, cols


def column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number
