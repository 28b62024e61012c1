"""Numbers as agencies type them: Vietnamese grouping (``45.000``, ``45 000``), decimal comma."""

import math
import re
from datetime import date, datetime, time, timedelta

NOT_A_NUMBER = "not_a_number"
AMBIGUOUS_NUMBER = "ambiguous_number"
FORMULA_WITHOUT_VALUE = "formula_without_value"

_DASHES = frozenset({"-", "–", "—", "‒"})
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2007": " ", "\t": " "})
# Thousands grouped by one separator used consistently (dot or space), optional decimal comma.
_GROUPED = re.compile(r"([+-]?)(\d{1,3}(?:([. ])\d{3})(?:\3\d{3})*)(?:,(\d+))?")
# Plain digits with an optional decimal comma.
_PLAIN = re.compile(r"([+-]?)(\d+)(?:,(\d+))?")
# Looks numeric (digits, dots, commas, spaces) but is not a valid form.
_NUMERIC_LOOKING = re.compile(r"[+-]?[\d., ]*\d[\d., ]*")
# A dot not followed by exactly three digits: ``1.5`` may mean 1.5 or 15 (typo of 1.500).
_BAD_DOT = re.compile(r"\.(?!\d{3}(?!\d))")
# ``1,600`` may mean 1,6 (Vietnamese decimal comma) or 1600 (English thousands comma).
_COMMA_THOUSANDS = re.compile(r"[+-]?[1-9]\d{0,2},\d{3}")


def is_blank(raw: object) -> bool:
    """True for a cell that holds nothing (None, empty or whitespace-only text)."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


def parse_number(raw: object) -> tuple[float | None, str | None]:
    """Read one cell as ``(value, parse_rule)``.

    ``parse_rule`` is None when the cell is a number (value set) or blank (value None),
    else ``not_a_number`` or ``ambiguous_number`` (value None).
    """
    if raw is None:
        return None, None
    if isinstance(raw, bool):
        return None, NOT_A_NUMBER
    if isinstance(raw, int | float):
        value = float(raw)
        return (value, None) if math.isfinite(value) else (None, NOT_A_NUMBER)
    if isinstance(raw, date | datetime | time | timedelta):
        return None, NOT_A_NUMBER
    text = " ".join(str(raw).translate(_SPACES).split())
    if not text:
        return None, None
    if text in _DASHES:
        return 0.0, None
    if m := _GROUPED.fullmatch(text):
        sign, whole, _, frac = m.groups()
        return _build(sign, whole.replace(".", "").replace(" ", ""), frac), None
    if _COMMA_THOUSANDS.fullmatch(text):
        return None, AMBIGUOUS_NUMBER
    if m := _PLAIN.fullmatch(text):
        sign, whole, frac = m.groups()
        return _build(sign, whole, frac), None
    if _BAD_DOT.search(text) and _NUMERIC_LOOKING.fullmatch(text):
        return None, AMBIGUOUS_NUMBER
    return None, NOT_A_NUMBER


def _build(sign: str, whole: str, frac: str | None) -> float:
    value = float(f"{whole}.{frac}" if frac else whole)
    return -value if sign == "-" else value


def describe_raw(raw: object) -> str:
    """The cell's content as a clerk would recognise it in a message."""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime):
        return raw.strftime("%d/%m/%Y %H:%M")
    if isinstance(raw, date):
        return raw.strftime("%d/%m/%Y")
    return str(raw).strip()
