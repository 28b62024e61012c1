"""The ways the sample's agencies vary a submission that the template never does:
district headers typed in other forms, and numbers typed as Vietnamese text or dashes.

The writer takes them as plain functions (``SubmissionLayout.district_header`` and
``cell_value``); only the sample (and the tests that read its variants) needs them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import partial

from reference.catalog import District
from reference.text import vn_number
from workbooks.writing.writer import SubmissionLayout, Value, as_number, prefixed_district_name

DISTRICT_STYLES = ("plain", "prefixed", "abbreviated", "upper", "no_diacritics", "nfd")
_ABBREVIATIONS = {"thành phố": "TP.", "huyện": "H.", "thị xã": "TX.", "quận": "Q."}


def strip_diacritics(text: str) -> str:
    """Vietnamese text without diacritics, case kept ("Gia Viễn" -> "Gia Vien")."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.replace("đ", "d").replace("Đ", "D")


def district_header(district: District, style: str) -> str:
    """A district column header in one of the forms agencies type (DISTRICT_STYLES)."""
    name, kind = district.name, district.district_type
    match style:
        case "plain":
            return name
        case "prefixed":
            return prefixed_district_name(district)
        case "abbreviated":
            return f"{_ABBREVIATIONS.get(kind, '')} {name}".strip()
        case "upper":
            return name.upper()
        case "no_diacritics":
            return strip_diacritics(name)
        case "nfd":
            return unicodedata.normalize("NFD", name)
    raise ValueError(f"unknown district header style {style!r}")


def header_in_style(style: str) -> Callable[[District], str]:
    """The ``SubmissionLayout.district_header`` of one of DISTRICT_STYLES (picklable)."""
    if style not in DISTRICT_STYLES:
        raise ValueError(f"unknown district header style {style!r}")
    return partial(district_header, style=style)


def typed_value(value: int | float, values_as_text: bool, zero_as_dash: bool) -> Value:
    """A number as a clerk types it: large or decimal ones as text ("45.000", "7.150,5")
    with ``values_as_text``, zero as "-" with ``zero_as_dash``."""
    if value == 0 and zero_as_dash:
        return "-"
    if values_as_text and (value >= 1000 or not float(value).is_integer()):
        return vn_number(value)
    return as_number(value)


def sample_layout(
    *,
    district_header_style: str = "plain",
    values_as_text: bool = False,
    zero_as_dash: bool = False,
    **options,
) -> SubmissionLayout:
    """A ``SubmissionLayout`` with the sample's variations named as options."""
    return SubmissionLayout(
        district_header=header_in_style(district_header_style),
        cell_value=partial(typed_value, values_as_text=values_as_text, zero_as_dash=zero_as_dash),
        **options,
    )
