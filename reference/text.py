"""Tolerant matching of Vietnamese text typed by hand."""

import math
import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: object) -> str:
    """Fold text to a matching key.

    NFC/NFD, case, diacritics (so old and new tone placement too), runs of
    whitespace and a trailing colon all vanish: ``"Mã  chỉ tiêu:"`` and
    ``"MA CHI TIEU"`` give the same key.
    """
    if text is None:
        return ""
    decomposed = unicodedata.normalize("NFD", str(text))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    bare = bare.replace("đ", "d").replace("Đ", "D").lower()
    return _SPACES.sub(" ", bare).strip().rstrip(":").strip()


def fmt_vn(value: object) -> str:
    """A number written the Vietnamese way: ``7.150,5``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "(trống)"
    number = float(value)
    whole = number.is_integer()
    text = f"{number:,.0f}" if whole else f"{number:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
