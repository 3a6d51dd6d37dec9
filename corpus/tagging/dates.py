"""Dates in Chinese policy documents: 2001年12月11日, 二〇〇一年十二月十一日, 2001-12-11, 2001.12.11."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from zhengce.common.errors import UserError
from .chars import _check_str, _halfwidth, cn_to_int


_MIN_YEAR, _MAX_YEAR = 1800, 2199  # plausible policy dates; rejects e.g. '1234年'
_PRECISIONS = ("day", "month", "year")
_PRECISION_RANK = {"day": 0, "month": 1, "year": 2}

# Matched against the half-width form of the text. A Chinese-numeral year is four numeral
# characters (二〇〇一, 二零零一, 二○○一, 二OO一); month and day may use 十-style numerals.
_CN_DATE_RE = re.compile(
    r"(?:(?<![0-9])(?P<y>[0-9]{4})|(?P<cy>[〇零○O一二三四五六七八九]{4}))\s*年"
    r"(?:\s*(?P<m>[0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*月"
    r"(?:\s*(?P<d>[0-9]{1,2}|[一二三四五六七八九十]{1,4})\s*[日号])?)?"
)
# 2001.12.11 / 2001-12-11 / 2001/12/11 / 2001-1-5, and month-only 2001-12 / 2001.12.
_NUM_DATE_RE = re.compile(
    r"(?<![0-9./\-])(?P<y>[0-9]{4})\s*(?P<sep>[./\-])\s*(?P<m>[0-9]{1,2})"
    r"(?:\s*(?P=sep)\s*(?P<d>[0-9]{1,2}))?(?![0-9])"
)
_YEAR_ONLY_STRING_RE = re.compile(r"\s*(?P<y>[0-9]{4})\s*")
_COMPACT_DATE_STRING_RE = re.compile(r"\s*(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})\s*")
_AFTER_YEAR_DOCNUM_RE = re.compile(r"\s*第")


def _date_from_match(m: re.Match, text: str) -> tuple[_dt.date, str] | None:
    """The (date, precision) a regex match denotes, or None if it is not a real date."""
    groups = m.groupdict()
    if groups.get("cy"):
        year = cn_to_int(groups["cy"])
    else:
        year = int(groups["y"])
    if year is None or not (_MIN_YEAR <= year <= _MAX_YEAR):
        return None
    if groups.get("m") is None:
        # A bare year: '公告2023年第5号' is a document number, not a date.
        if _AFTER_YEAR_DOCNUM_RE.match(text, m.end()):
            return None
        return _dt.date(year, 1, 1), "year"
    month = cn_to_int(groups["m"])
    if month is None or not 1 <= month <= 12:
        return None
    if groups.get("d") is None:
        return _dt.date(year, month, 1), "month"
    day = cn_to_int(groups["d"])
    if day is None:
        return None
    try:
        return _dt.date(year, month, day), "day"
    except ValueError:  # 2001年2月30日
        return None


def _scan_dates(text: str) -> list[tuple[_dt.date, str, tuple[int, int]]]:
    """All real dates in ``text`` in order of position, as (date, precision, span)."""
    half = _halfwidth(text)
    found = []
    for rx in (_CN_DATE_RE, _NUM_DATE_RE):
        for m in rx.finditer(half):
            parsed = _date_from_match(m, half)
            if parsed is not None:
                found.append((parsed[0], parsed[1], m.span()))
    found.sort(key=lambda item: (item[2][0], -item[2][1]))
    out: list[tuple[_dt.date, str, tuple[int, int]]] = []
    last_end = -1
    for item in found:
        if item[2][0] >= last_end:  # the two patterns cannot both claim one stretch of text
            out.append(item)
            last_end = item[2][1]
    return out


def find_dates(text: str | None, min_precision: str = "day") -> list[tuple[_dt.date, tuple[int, int]]]:
    """Every date in ``text`` with its character span, in order of appearance.

    ``min_precision`` is the coarsest precision reported: ``'day'`` (default: full dates only,
    because in running text '2001年' or '2001年12月' is usually a period, not a date),
    ``'month'`` or ``'year'``. Month/year precision dates are returned as the first day of the
    period. Invalid calendar dates (2001年2月30日) are skipped. Spans index the original string.
    """
    text = _check_str(text, "find_dates")
    if min_precision not in _PRECISION_RANK:
        raise UserError(
            f"find_dates: min_precision={min_precision!r} is not one of {', '.join(_PRECISIONS)}; "
            "pass one of those."
        )
    if not text:
        return []
    limit = _PRECISION_RANK[min_precision]
    return [(d, span) for d, prec, span in _scan_dates(text) if _PRECISION_RANK[prec] <= limit]


def parse_date_with_precision(s: str | None) -> tuple[_dt.date, str] | None:
    """The first date in ``s`` and its precision: ``'day'``, ``'month'`` or ``'year'``.

    Precision rule (decided for this project): a month-precision value such as ``2001年12月`` is
    returned as the first of that month with precision ``'month'``; a bare year (``2001年`` or the
    whole string ``2001``) as 1 January with precision ``'year'``. Consumers that need exact days
    must check the precision rather than trust the day of month.

    Accepted forms: 2001年12月11日 (also 11号), 二〇〇一年十二月十一日 (〇/零/○ variants,
    十/十一/二十/三十一 day forms), 2001.12.11, 2001-12-11, 2001/12/11, 2001-1-5, full-width digits,
    and any surrounding text ('2001年12月11日 国务院令第 号' -> 2001-12-11); a string that is
    only eight digits is read as YYYYMMDD (20011211), only four digits as a year. The first *valid*
    date wins; impossible dates (2001年2月30日) are skipped, and a string holding only those or
    only placeholders ('—', '无', '') gives None.
    """
    s = _check_str(s, "parse_date_with_precision")
    if not s:
        return None
    found = _scan_dates(s)
    if found:
        return found[0][0], found[0][1]
    half = _halfwidth(s)
    m = _YEAR_ONLY_STRING_RE.fullmatch(half)
    if m and _MIN_YEAR <= int(m["y"]) <= _MAX_YEAR:
        return _dt.date(int(m["y"]), 1, 1), "year"
    m = _COMPACT_DATE_STRING_RE.fullmatch(half)
    if m and _MIN_YEAR <= int(m["y"]) <= _MAX_YEAR:
        try:
            return _dt.date(int(m["y"]), int(m["m"]), int(m["d"])), "day"
        except ValueError:
            return None
    return None


def parse_date(s: Any) -> _dt.date | None:
    """The first date in ``s`` as a ``datetime.date`` (see :func:`parse_date_with_precision`).

    ``date`` objects pass through; ``datetime`` objects give their date.
    """
    if type(s).__name__ == "NaTType":  # pandas' missing datetime is a datetime subclass
        return None
    if isinstance(s, _dt.datetime):
        return s.date()
    if isinstance(s, _dt.date):
        return s
    parsed = parse_date_with_precision(_check_str(s, "parse_date"))
    return parsed[0] if parsed else None


def parse_date_iso(s: Any) -> str | None:
    """:func:`parse_date` as an ISO 8601 string ('2001-12-11'), or None."""
    d = parse_date(s)
    return d.isoformat() if d else None
