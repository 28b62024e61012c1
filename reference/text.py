"""Tolerant matching of Vietnamese text typed by hand."""

import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, localcontext

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


def vn_number(value: float, decimals: int = 6) -> str:
    """A number written the Vietnamese way: ``45.000``, ``7.150,5`` (dots group thousands,
    a comma marks decimals; at most ``decimals`` decimals, rounded half up)."""
    if not math.isfinite(value):
        return str(value)
    step = Decimal(1).scaleb(-decimals)
    with localcontext() as context:
        context.prec = 400  # every digit of any float (1e308) and its decimals
        rounded = Decimal(repr(float(value))).quantize(step, rounding=ROUND_HALF_UP)
    whole, _, fraction = f"{rounded:f}".partition(".")
    fraction = fraction.rstrip("0")
    grouped = f"{int(whole):,}".replace(",", ".")
    if whole.startswith("-") and not grouped.startswith("-"):  # -0.5 -> "-0,5"
        grouped = f"-{grouped}"
    return f"{grouped},{fraction}" if fraction else grouped


def fmt_vn(value: float | None) -> str:
    """A value quoted in a message to a clerk: ``7.150,5``, or ``(trống)`` when empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "(trống)"
    return vn_number(float(value), 2)
