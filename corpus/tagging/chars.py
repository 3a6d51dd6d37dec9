"""Character-level helpers of the tagging parsers: full-width forms read as ASCII, zero-width
characters, argument checks, Chinese numerals."""

from __future__ import annotations

import math
import re
from typing import Any


# Full-width ASCII block (！ .. ～) -> ASCII, ideographic space -> space. One char maps to one
# char, so spans found in the translated string are valid spans of the original.
_HALFWIDTH = str.maketrans(
    {**{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}, "\u3000": " "}
)
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")


def _halfwidth(s: str) -> str:
    return s.translate(_HALFWIDTH)


def _check_str(value: Any, func: str) -> str | None:
    """Return the string to parse, or None for missing values (None, NaN); reject other types."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isnan(value):  # pandas' missing value
        return None
    if type(value).__name__ in ("NAType", "NaTType"):  # pd.NA / pd.NaT, without importing pandas
        return None
    raise TypeError(f"{func}() expects a string or None, got {type(value).__name__}: {value!r}")


_CN_DIGIT = {
    "〇": 0, "零": 0, "○": 0, "O": 0, "0": 0,
    "一": 1, "壹": 1, "1": 1,
    "二": 2, "贰": 2, "两": 2, "2": 2,
    "三": 3, "叁": 3, "3": 3,
    "四": 4, "肆": 4, "4": 4,
    "五": 5, "伍": 5, "5": 5,
    "六": 6, "陆": 6, "6": 6,
    "七": 7, "柒": 7, "7": 7,
    "八": 8, "捌": 8, "8": 8,
    "九": 9, "玖": 9, "9": 9,
}
_CN_UNIT = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}


def cn_to_int(s: str) -> int | None:
    """Value of a numeral written in Arabic digits or Chinese numerals; None if it is not one.

    Two styles are understood: positional digit strings (``二〇〇一`` -> 2001, ``２０`` -> 20) and
    unit numerals (``十`` -> 10, ``十一`` -> 11, ``二十`` -> 20, ``三十一`` -> 31,
    ``一百零五`` -> 105, ``两千零一`` -> 2001, ``一万二千`` -> 12000).
    """
    s = _halfwidth(s).strip()
    if not s:
        return None
    if s.isascii() and s.isdigit():
        return int(s)
    if all(ch in _CN_DIGIT for ch in s):
        return int("".join(str(_CN_DIGIT[ch]) for ch in s))
    total = 0
    section = 0  # value below 万
    digit = None
    for ch in s:
        if ch in _CN_DIGIT:
            digit = _CN_DIGIT[ch]
        elif ch in _CN_UNIT:
            section += (1 if digit is None else digit) * _CN_UNIT[ch]
            digit = None
        elif ch in "万萬":
            total += (section + (digit or 0)) * 10000
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)
