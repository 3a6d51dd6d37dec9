"""Metadata tagging: pure parsers for the fields of Chinese policy documents.

Everything here turns one string (or one LawRefBook record) into structured values. There is no
I/O and no module state besides precompiled regular expressions and constant tables, so the
loader can call these functions on tens of thousands of documents per second. Resolving an
issuer name to an administrative level, region or agency is *not* done here; that is the job of
``corpus.gazetteer``. These functions only find the names, dates and numbers in the strings.

Contents
--------
- Dates: :func:`parse_date`, :func:`parse_date_iso`, :func:`parse_date_with_precision`,
  :func:`find_dates`, and :func:`cn_to_int` for Chinese numerals.
- Document numbers (发文字号): :func:`parse_doc_number` -> :class:`DocNumber`,
  :func:`doc_number_issuer_prefix`.
- Issuers: :func:`split_issuers`, :func:`parse_issuers` -> :class:`IssuerList`,
  :func:`issuers_from_title`.
- Document form and legal effect level: :func:`classify_doc_type` -> :class:`DocType`.
- Validity status: :func:`parse_validity`.
- LawRefBook/Laws markdown: :func:`parse_lawrefbook`, :func:`parse_lawrefbook_text`,
  :func:`parse_lawrefbook_path` -> :class:`LawRefBookMeta`.

Conventions: unparseable or placeholder input ('', '—', '无', '暂无', None) gives ``None`` (or an
empty list), never an exception, so the caller keeps the raw string and records the gap. A value
of the wrong *type* (e.g. an int where a string belongs) raises ``TypeError`` naming the function
and the type received, since that is a bug in the caller rather than a messy record.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass
from typing import Any, Mapping

from zhengce.common.errors import RecordError, UserError

__all__ = [
    "cn_to_int",
    "parse_date",
    "parse_date_iso",
    "parse_date_with_precision",
    "find_dates",
    "DocNumber",
    "parse_doc_number",
    "doc_number_issuer_prefix",
    "IssuerList",
    "parse_issuers",
    "split_issuers",
    "issuers_from_title",
    "DocType",
    "ISSUER_KINDS",
    "EFFECT_LEVELS",
    "FORM_WORDS",
    "classify_doc_type",
    "VALIDITY_VALUES",
    "parse_validity",
    "is_placeholder",
    "HeaderEvent",
    "LawRefBookMeta",
    "LAWREFBOOK_MARKER",
    "parse_lawrefbook",
    "parse_lawrefbook_text",
    "parse_lawrefbook_path",
]

# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Document numbers (发文字号)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DocNumber:
    """A parsed document number.

    raw: the string as given. prefix: the issuer/series code (国发, 工信部联规, 国令, 国务院令,
    主席令, 国家税务总局公告). year: the bracketed or announcement year, None for order numbers.
    serial: the running number. normalized: a canonical spelling (国发〔2001〕12号,
    国令第843号, 国家税务总局公告2023年第5号). is_joint: the number itself marks a jointly issued
    document (a 联 in the prefix, or several issuers listed with 、). style: 'bracket'
    (X〔year〕n号), 'order' (X令第n号, X公告第n号) or 'announcement' (X公告year年第n号).
    """

    raw: str
    prefix: str
    year: int | None
    serial: int
    normalized: str
    is_joint: bool
    style: str


_OPEN = "〔[(【〈<{"  # after _halfwidth: （ -> (, ［ -> [, ｛ -> {
_CLOSE = "〕])】〉>}"
_PREFIX_CHARS = r"A-Za-z\u4e00-\u9fff"
_BRACKET_DOC_RE = re.compile(
    rf"(?P<prefix>[{_PREFIX_CHARS}]+?)[{re.escape(_OPEN)}](?P<year>[0-9]{{4}})[{re.escape(_CLOSE)}]"
    r"第?(?P<serial>[0-9]+)号?"
)
_CN_SERIAL = r"[0-9]+|[〇零一二三四五六七八九十百千两]+"
_ORDER_DOC_RE = re.compile(
    rf"(?P<issuer>[{_PREFIX_CHARS}、]*?)(?P<kind>令|公告|通告)"
    rf"(?:(?P<year>[0-9]{{4}})年)?第?(?P<serial>{_CN_SERIAL})号"
)
# '食品药品监管局、海关总署第4号令', '2023年第5号公告'
_ORDER_DOC_SUFFIX_RE = re.compile(
    rf"(?P<issuer>[{_PREFIX_CHARS}、]*?)(?:(?P<year>[0-9]{{4}})年)?第(?P<serial>{_CN_SERIAL})号"
    r"(?P<kind>令|公告|通告)"
)
_PRC_RE = re.compile(r"中?中华人民共和国")
# Organisations whose own abbreviation contains 联 (妇联 = Women's Federation ...): not a joint mark.
_LIAN_ORGS_RE = re.compile(r"妇联|文联|侨联|工商联|残联|社联|科联|青联|学联|供销总社联")
_PLACEHOLDER_RE = re.compile(r"[\s\-—－–_/\\.·…、，,]*|无|暂无|空|不详|未知|null|none|nan|n/?a", re.I)


def _is_joint_prefix(prefix: str) -> bool:
    return "、" in prefix or "联" in _LIAN_ORGS_RE.sub("", prefix)


def is_placeholder(s: Any) -> bool:
    """True for empty values and the placeholders sites print for a missing field
    ('—  —', '－－', '无', '暂无', '不详', 'null' ...)."""
    if s is None:
        return True
    return bool(_PLACEHOLDER_RE.fullmatch(_halfwidth(str(s)).strip()))


def parse_doc_number(s: str | None) -> DocNumber | None:
    """Parse a document number string; None for placeholders and strings that are not one.

    Whitespace anywhere in the string is ignored (国务院令第 260 号) and full-width digits and
    brackets are read as ASCII. Three shapes are recognized, the whole string must be one of
    them (extra words around it make it garbage -> None; the caller keeps ``raw``):

    - bracketed: ``国发〔2001〕12号`` with any of 〔〕 [] （） () 【】 ［］ 〈〉 {} around the year,
      optional 第 and 号 -> normalized ``国发〔2001〕12号``;
    - order: ``国令第843号``, ``中华人民共和国国务院令第260号``, ``主席令第七十三号``,
      ``食品药品监管局、海关总署第4号令`` -> prefix ``国令`` / ``国务院令`` / ``主席令`` /
      ``食品药品监管局、海关总署令`` ('中华人民共和国' is dropped), year None;
    - announcement: ``公告 2023年第5号``, ``国家税务总局公告2023年第5号`` -> prefix ends in 公告,
      year 2023; ``浙江省人民代表大会常务委员会公告第13号`` (no year) is style 'order'.
    """
    raw = _check_str(s, "parse_doc_number")
    if raw is None:
        return None
    compact = re.sub(r"\s+", "", _halfwidth(_ZERO_WIDTH.sub("", raw)))
    if _PLACEHOLDER_RE.fullmatch(compact):
        return None
    m = _BRACKET_DOC_RE.fullmatch(compact)
    if m:
        year = int(m["year"])
        if not _MIN_YEAR <= year <= _MAX_YEAR:
            return None
        prefix = m["prefix"]
        serial = int(m["serial"])
        return DocNumber(raw, prefix, year, serial, f"{prefix}〔{year}〕{serial}号",
                         _is_joint_prefix(prefix), "bracket")
    m = _ORDER_DOC_RE.fullmatch(compact) or _ORDER_DOC_SUFFIX_RE.fullmatch(compact)
    if m:
        serial = cn_to_int(m["serial"])
        if serial is None:
            return None
        prefix = _PRC_RE.sub("", m["issuer"]) + m["kind"]
        if m["year"]:
            year = int(m["year"])
            if not _MIN_YEAR <= year <= _MAX_YEAR:
                return None
            return DocNumber(raw, prefix, year, serial, f"{prefix}{year}年第{serial}号",
                             _is_joint_prefix(prefix), "announcement")
        if prefix in ("令", "公告", "通告"):  # '第5号令' says nothing about who issued it
            return None
        return DocNumber(raw, prefix, None, serial, f"{prefix}第{serial}号",
                         _is_joint_prefix(prefix), "order")
    return None


# Series markers at the end of a prefix: they name the kind of document, not the issuer.
# 办 is deliberately absent: 国办 (国务院办公厅) is a different issuer from 国 (国务院).
_KIND_MARKERS = ("明电", "公告", "通告", "发", "函", "规", "字", "令")


def doc_number_issuer_prefix(prefix: str) -> str:
    """The issuer part of a document-number prefix, for agency lookup.

    Exactly this: repeatedly strip one trailing series marker (明电, 公告, 通告, 发, 函, 规, 字,
    令) and then a trailing joint marker 联, until neither is at the end; at least one character
    always remains. Nothing else is removed, so department codes stay (发改能源, 环生态,
    国中医药医政发 -> 国中医药医政) and 办 stays because it names the general office.

    Examples: 工信部联规 -> 工信部, 国办发明电 -> 国办, 国办函 -> 国办, 国发 -> 国, 国令 -> 国,
    国务院令 -> 国务院, 自然资办函 -> 自然资办, 财税 -> 财税,
    浙江省人民代表大会常务委员会公告 -> 浙江省人民代表大会常务委员会.
    """
    if not isinstance(prefix, str):
        raise TypeError(f"doc_number_issuer_prefix() expects a string, got {type(prefix).__name__}")
    out = prefix.strip()
    changed = True
    while changed:
        changed = False
        for marker in _KIND_MARKERS:
            if out.endswith(marker) and len(out) > len(marker):
                out = out[: -len(marker)]
                changed = True
                break
        if out.endswith("联") and len(out) > 1 and not _LIAN_ORGS_RE.search(out[-3:]):
            out = out[:-1]
            changed = True
    return out


# --------------------------------------------------------------------------------------------
# Issuers
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IssuerList:
    """Issuer names found in a string. has_etc: the string ended in 等/等部门 (more issuers
    took part than are named)."""

    names: tuple[str, ...]
    has_etc: bool


_ISSUER_SEPARATORS = set(" \t\r\n\u3000、，,;；/／|｜")
_BRACKET_PAIRS = {"（": "）", "(": ")", "【": "】", "[": "]", "《": "》", "〔": "〕"}
_ETC_RE = re.compile(r"等(?:[两二三四五六七八九十百0-9]+个?)?(?:部门|部委|单位|机构|家|个部门)?$")
_COUNT_ONLY_RE = re.compile(
    r"(?:[两二三四五六七八九十百0-9]+个?|多|有关|相关|各)(?:部门|部委|单位|机构|委|部)"
)
_ISSUER_TRIM = " \t\r\n\u3000：:。.\"“”'‘’"


def _split_outside_brackets(s: str) -> list[str]:
    parts, buf, closers = [], [], []
    for ch in s:
        if ch in _BRACKET_PAIRS:
            closers.append(_BRACKET_PAIRS[ch])
        elif closers and ch == closers[-1]:
            closers.pop()
        elif not closers and ch in _ISSUER_SEPARATORS:
            parts.append("".join(buf))
            buf = []
            continue
        buf.append(ch)
    parts.append("".join(buf))
    return parts


def parse_issuers(s: str | None) -> IssuerList:
    """Split an issuer field into names, noting a trailing 等.

    Separators: spaces (also full-width), 、 ， , ; ； / ｜ — but never inside brackets, and never
    和/及/与, because those occur inside names (国家发展和改革委员会, 住房和城乡建设部). A
    trailing 等, 等部门, 等十部门, 等单位 ... is dropped from the last name and reported as
    ``has_etc``; a token that is only a count (两部门, 三部委, 有关部门) is dropped too. Repeated
    names are kept once, in first-seen order.
    """
    s = _check_str(s, "parse_issuers")
    if not s:
        return IssuerList((), False)
    names: list[str] = []
    has_etc = False
    for token in _split_outside_brackets(_ZERO_WIDTH.sub("", s)):
        token = token.strip(_ISSUER_TRIM)
        if not token:
            continue
        stripped = _ETC_RE.sub("", token)
        if stripped != token:
            has_etc = True
            token = stripped.strip(_ISSUER_TRIM)
        if not token or _COUNT_ONLY_RE.fullmatch(token) or _PLACEHOLDER_RE.fullmatch(token):
            continue
        if token not in names:
            names.append(token)
    return IssuerList(tuple(names), has_etc)


def split_issuers(s: str | None) -> list[str]:
    """The issuer names in ``s`` (see :func:`parse_issuers` for the rules), e.g.
    '生态环境部 自然资源部 住房城乡建设部' -> ['生态环境部', '自然资源部', '住房城乡建设部'],
    '财政部 税务总局 等' -> ['财政部', '税务总局'], '国家发展改革委等部门' -> ['国家发展改革委']."""
    return list(parse_issuers(s).names)


_FORWARD_WORDS_RE = re.compile(r"转发|批转|印发|颁发|发布")


def issuers_from_title(title: str | None) -> list[str]:
    """Issuer names written before 关于 in a title, or [] when the title names none.

    '国务院办公厅关于…的通知' -> ['国务院办公厅']; '工业和信息化部 应急管理部关于印发…的通知' ->
    ['工业和信息化部', '应急管理部']; '两部门关于…' -> [] (a count, not a name); '关于印发…' -> [].
    When the words before 关于 contain 转发/批转/印发 ('X市人民政府转发国务院办公厅关于…'), only
    the part before that verb is the title's issuer (X市人民政府). A 关于 inside 《》 or quotes
    is not used. Titles without 关于 ('集成电路布图设计保护条例') give [].
    """
    title = _check_str(title, "issuers_from_title")
    if not title:
        return []
    title = _ZERO_WIDTH.sub("", title).strip()
    idx = title.find("关于")
    if idx <= 0:
        return []
    head = title[:idx]
    if any(ch in head for ch in "《》“”\"「」"):
        return []
    fw = _FORWARD_WORDS_RE.search(head)
    if fw:
        head = head[: fw.start()]
    head = re.sub(r"(?:联合|共同)$", "", head.strip())
    if len(head) > 120:  # a sentence, not a list of issuers
        return []
    return list(parse_issuers(head).names)


# --------------------------------------------------------------------------------------------
# Document form and effect level
# --------------------------------------------------------------------------------------------

#: Issuer kinds understood by :func:`classify_doc_type` (supplied by the gazetteer).
ISSUER_KINDS = (
    "legislature",            # 全国人民代表大会 / 全国人大常委会
    "state_council",          # 国务院
    "state_council_office",   # 国务院办公厅
    "ministry",               # 国务院组成部门、直属机构 (部委, 总局, 署, 中国人民银行 ...)
    "judiciary",              # 最高人民法院, 最高人民检察院
    "local_people_congress",  # 省/市 人民代表大会及其常务委员会
    "local_government",       # 省/市 人民政府
    "local_department",       # 地方政府办公厅 and 厅/局/委
    "party",                  # 中共中央 and party organs (党内法规, outside the state hierarchy)
)
#: Legal-hierarchy classes returned as ``DocType.effect_level``.
EFFECT_LEVELS = ("法律", "行政法规", "司法解释", "部门规章", "地方性法规", "地方政府规章", "规范性文件")

#: Form words recognized at the end of a title, longest first where one ends another.
FORM_WORDS = (
    "答记者问", "指导意见", "实施意见", "解释", "意见", "细则", "办法", "规定", "条例", "规则",
    "决定", "决议", "命令", "通知", "通报", "公告", "通告", "批复", "复函", "函", "规划", "计划",
    "方案", "纲要", "指南", "目录", "清单", "名录", "标准", "章程", "要点", "报告", "法",
)
_FORMS_BY_LENGTH = sorted(FORM_WORDS, key=len, reverse=True)
_NOT_LAW_ENDINGS = ("方法", "做法", "算法", "手法", "用法", "写法", "说法", "看法", "想法", "疗法", "语法")
_REGULATION_FORMS = frozenset({"条例", "规定", "办法", "细则", "规则"})
_JUDICIAL_FORMS = frozenset({"解释", "规定", "规则", "批复", "决定"})
_TRAILING_PAREN_RE = re.compile(r"\s*[（(][^（）()]*[）)]\s*$")
_WRAPPER_RE = re.compile(
    r"(?P<verb>印发|转发|批转|颁布|颁发|发布|公布|下发)(?P<inner>.+?)的"
    r"(?P<outer>通知|公告|通告|决定|函|复函|批复|通报)$"
)
_INNER_TITLE_RE = re.compile(r"《([^《》]*(?:《[^《》]*》[^《》]*)*)》")
_JUDICIAL_DOC_PREFIX_RE = re.compile(r"^(?:法释|高检发释)")
_MINISTRY_ORDER_RE = re.compile(r"(?:部|委|委员会|局|总局|署|银行|办公室)令$")


@dataclass(frozen=True)
class DocType:
    """The form of a document and its place in the legal hierarchy.

    form: the title's final form word (通知, 意见, 条例 ... see :data:`FORM_WORDS`) or None.
    effect_level: one of :data:`EFFECT_LEVELS` or None when it cannot be inferred.
    wraps: for a transmitting document ('关于印发《X办法》的通知'), the form of the document it
    carries (办法); None otherwise. is_forward: the title forwards another body's document
    (转发, 批转).
    """

    form: str | None
    effect_level: str | None
    wraps: str | None = None
    is_forward: bool = False


def _core_title(title: str) -> str:
    t = _ZERO_WIDTH.sub("", title).strip()
    while True:  # '（试行）', '（2019年修正）', '(草案)'
        stripped = _TRAILING_PAREN_RE.sub("", t)
        if stripped == t:
            break
        t = stripped
    t = t.strip(" \u3000\"“”'")
    if t.startswith("《") and t.endswith("》"):
        t = t[1:-1]
    return t


def _form_of(title: str) -> str | None:
    t = _core_title(title)
    if t.endswith(_NOT_LAW_ENDINGS):
        return None
    for form in _FORMS_BY_LENGTH:
        if t.endswith(form):
            return form
    return None


def _kind_from_name(name: str) -> str | None:
    """A minimal issuer-kind hint from unmistakable name shapes (the gazetteer does the rest)."""
    names = [_PRC_RE.sub("", n) for n in split_issuers(name)]
    if not names:
        return None
    kinds = []
    for n in names:
        if n in ("全国人民代表大会", "全国人民代表大会常务委员会", "全国人大", "全国人大常委会"):
            kinds.append("legislature")
        elif n == "国务院":
            kinds.append("state_council")
        elif n == "国务院办公厅":
            kinds.append("state_council_office")
        elif n in ("最高人民法院", "最高人民检察院", "最高法", "最高检"):
            kinds.append("judiciary")
        elif n in ("中共中央", "中共中央办公厅"):
            kinds.append("party")
        elif re.search(r"(?:人民代表大会(?:常务委员会)?|人大(?:常委会)?)$", n):
            kinds.append("local_people_congress")
        elif n.endswith("人民政府"):
            kinds.append("local_government")
        elif re.search(r"人民政府(?:办公厅|办公室)$", n):
            kinds.append("local_department")
        elif not re.search(r"[省市县]", n) and (
            n.endswith("部") or n.startswith("国家") or n.endswith(("总局", "总署"))
            or n in ("中国人民银行", "审计署", "海关总署")
        ):
            kinds.append("ministry")
        else:
            kinds.append(None)
    # A joint document takes the kind of its lead issuer, except that a Party-state joint
    # document (中共中央 国务院) is classed with the state body.
    for k in kinds:
        if k not in (None, "party"):
            return k
    return kinds[0]


def classify_doc_type(
    title: str | None,
    doc_number: str | DocNumber | None = None,
    issuer: str | None = None,
    issuer_kind: str | None = None,
) -> DocType:
    """Form word and legal effect level of a document.

    ``issuer`` is the issuer name(s); ``issuer_kind`` one of :data:`ISSUER_KINDS` (from the
    gazetteer). If ``issuer`` itself is a kind string it is used as the kind. Without a kind, a
    minimal hint is taken from unmistakable names in ``issuer`` or, failing that, in the title
    (全国人民代表大会(常务委员会), 国务院, 国务院办公厅, 最高人民法院/检察院, X人民代表大会常务委员会,
    X人民政府, national 部/国家…/总局); anything else needs ``issuer_kind``.

    Form: the longest :data:`FORM_WORDS` entry ending the title after trailing parentheticals
    ('（试行）') are removed (so 实施细则 -> 细则, 暂行办法 -> 办法; 方法/做法 are not 法). A
    transmitting title '…印发/转发/批转/发布《X》的通知' has form 通知 and ``wraps`` = form of X
    (the first 《》 title, or the text between the verb and 的通知 when there are no brackets);
    转发/批转 set ``is_forward``.

    Effect level, first rule that applies:

    1. doc number 法释〔…〕 / 高检发释字〔…〕 -> 司法解释.
    2. order numbers: 主席令 -> 法律; 国令 / 国务院令 / 国务院、中央军事委员会令 -> 行政法规;
       a ministry order (…部令, …委令, …局令, …署令, or kind 'ministry') -> 部门规章;
       …人民政府令 (or kind 'local_government') -> 地方政府规章.
    3. kind 'legislature': form 法/决定/决议 -> 法律 (有关法律问题的决定 count as law).
       kind 'judiciary': form 解释/规定/规则/批复/决定 and not a wrapper -> 司法解释 (the five forms
       of 最高人民法院关于司法解释工作的规定 art. 6).
       kind 'local_people_congress': 条例/规定/办法/细则/规则/决定/决议, not a wrapper -> 地方性法规.
    4. any other bracketed number (国发〔2001〕12号): an administrative document -> 规范性文件.
    5. kind 'state_council': 条例/规定/办法/细则/规则, not a wrapper -> 行政法规 (行政法规制定程序条例
       art. 5 naming rule); kind 'ministry' with those forms -> 部门规章; kind 'local_government'
       -> 地方政府规章 (规章制定程序条例 art. 7). Any other form from these issuers, and any form
       from 'state_council_office' / 'local_department' -> 规范性文件.
    6. no kind: a title '中华人民共和国…法' -> 法律. Otherwise None; 'party' -> None (党内法规
       are outside this hierarchy).
    """
    title = _check_str(title, "classify_doc_type") or ""
    if isinstance(doc_number, str) or doc_number is None:
        doc = parse_doc_number(doc_number)
    elif isinstance(doc_number, DocNumber):
        doc = doc_number
    else:
        raise TypeError(f"classify_doc_type(): doc_number must be a string or DocNumber, "
                        f"got {type(doc_number).__name__}")
    issuer = _check_str(issuer, "classify_doc_type")
    if issuer in ISSUER_KINDS and issuer_kind is None:
        issuer_kind, issuer = issuer, None
    if issuer_kind is not None and issuer_kind not in ISSUER_KINDS:
        raise UserError(f"classify_doc_type: issuer_kind={issuer_kind!r} is unknown; use one of "
                        f"{', '.join(ISSUER_KINDS)} or None.")

    core = _core_title(title)
    form = _form_of(title)
    wraps = None
    is_forward = False
    w = _WRAPPER_RE.search(core)
    if w:
        form = w["outer"]
        inner = w["inner"]
        bracketed = _INNER_TITLE_RE.search(inner)
        wraps = _form_of(bracketed.group(1) if bracketed else inner.strip("“”\"《》"))
        is_forward = w["verb"] in ("转发", "批转")
    if "转发" in core or "批转" in core:
        is_forward = True
    wrapper = w is not None

    kind = issuer_kind
    if kind is None and issuer:
        kind = _kind_from_name(issuer)
    if kind is None:
        named = issuers_from_title(title)
        if named:
            kind = _kind_from_name("、".join(named))

    level = _effect_level(form, wrapper, doc, kind, core)
    return DocType(form=form, effect_level=level, wraps=wraps, is_forward=is_forward)


def _effect_level(form, wrapper, doc, kind, core_title) -> str | None:
    if doc is not None and doc.style == "bracket" and _JUDICIAL_DOC_PREFIX_RE.match(doc.prefix):
        return "司法解释"
    if doc is not None and doc.style == "order" and doc.prefix.endswith("令"):
        p = doc.prefix
        if p == "主席令":
            return "法律"
        if p in ("国令", "国务院令") or p.startswith("国务院、"):
            return "行政法规"
        if p.endswith("人民政府令") or kind == "local_government":
            return "地方政府规章"
        if kind == "ministry" or _MINISTRY_ORDER_RE.search(p):
            return "部门规章"
    if kind == "legislature":
        return "法律" if form in ("法", "决定", "决议") else None
    if kind == "judiciary":
        return "司法解释" if form in _JUDICIAL_FORMS and not wrapper else None
    if kind == "local_people_congress":
        ok = form in _REGULATION_FORMS or form in ("决定", "决议")
        return "地方性法规" if ok and not wrapper else None
    if doc is not None and doc.style == "bracket":
        return "规范性文件"
    regulation = form in _REGULATION_FORMS and not wrapper
    if kind == "state_council":
        return "行政法规" if regulation else ("规范性文件" if form else None)
    if kind == "ministry":
        return "部门规章" if regulation else ("规范性文件" if form else None)
    if kind == "local_government":
        return "地方政府规章" if regulation else ("规范性文件" if form else None)
    if kind in ("state_council_office", "local_department"):
        return "规范性文件" if form else None
    if kind is None and form == "法" and core_title.startswith("中华人民共和国"):
        return "法律"
    return None


# --------------------------------------------------------------------------------------------
# Validity
# --------------------------------------------------------------------------------------------

#: The vocabulary :func:`parse_validity` maps to.
VALIDITY_VALUES = ("有效", "失效", "已修改", "部分失效", "尚未生效")
_VALIDITY_RULES = (
    (re.compile(r"部分(?:失效|废止|有效|修改|修订)"), "部分失效", False),
    (re.compile(r"(?:尚未|未|待)(?:生效|施行|实施)"), "尚未生效", False),
    (re.compile(r"(?:已经?|已被|被)?(?:全部|宣布|明令)?(?:失效|废止|废除|撤销|作废)"), "失效", True),
    (re.compile(r"(?:已经?|已被|被)?(?:修改|修订|修正)"), "已修改", True),
    (re.compile(r"(?:现行)?有效|现行|(?:已)?生效"), "有效", True),
)


def parse_validity(s: str | None) -> str | None:
    """Normalize a validity (时效性) label to :data:`VALIDITY_VALUES`.

    有效/现行有效/现行/生效 -> '有效'; 失效/已失效/废止/已废止/已被废止/废除 -> '失效';
    修改/已修改/修订/已修订/修正 -> '已修改'; anything containing 部分失效/部分废止/部分有效 ->
    '部分失效'; anything containing 尚未生效/未生效/尚未施行 -> '尚未生效'. Surrounding
    whitespace, brackets (【现行有效】) and punctuation are ignored. Other strings (including
    placeholders and sentences like '有效期五年') give None.
    """
    s = _check_str(s, "parse_validity")
    if not s:
        return None
    t = re.sub(r"[\s【】\[\]（）()「」<>《》:：。.,，;；]", "", _ZERO_WIDTH.sub("", s))
    if t.startswith("时效性"):
        t = t[3:]
    for rx, value, whole in _VALIDITY_RULES:
        if (rx.fullmatch(t) if whole else rx.search(t)):
            return value
    return None


# --------------------------------------------------------------------------------------------
# LawRefBook/Laws markdown
# --------------------------------------------------------------------------------------------

LAWREFBOOK_MARKER = "<!-- INFO END -->"

_ACTIONS = ("adopted", "approved", "promulgated", "effective", "amended")
_AMEND_RE = re.compile(r"修正|修订|修改")
_ACTION_RES = (
    ("adopted", re.compile(r"通过")),
    ("approved", re.compile(r"批准")),
    ("promulgated", re.compile(r"公布|发布|印发|颁布")),
    ("effective", re.compile(r"施行|生效|实施|执行")),
)
_EFFECTIVE_ON_PROMULGATION_RE = re.compile(r"自?(?:公布|发布|颁布|印发)之日起?(?:施行|生效|实施)")
_TRAILING_GENJU_RE = re.compile(r"[，,。;；\s]*根据[，,。;；\s]*$")
_CONNECTOR_RE = re.compile(r"(?:、|，|,|并经|和|及|与)$")
_NUMERAL = r"[一二三四五六七八九十百零〇0-9]"
_TERM_RE = re.compile(rf"第?{_NUMERAL}+届")
_BODY_CUT_RE = re.compile(
    rf"[0-9]{{4}}年|第?{_NUMERAL}+次|第{_NUMERAL}+号|令|公告|通告|部务会议|部长办公会议|常务会议|会议|审议|讨论"
    r"|通过|批准|公布|发布|印发|颁布|施行|生效|实施|修正|修订|修改|以|《"
)
_BODY_LEAD_RE = re.compile(r"^(?:由|经|根据|在)")
_LOCALITY_LEVEL_RE = re.compile(r"^(省|自治区|市|自治州|县|区)(?=人民)")
_MUNICIPALITIES = frozenset({"北京", "上海", "天津", "重庆"})
_PATH_DATE_RE = re.compile(r"\((\d{4}-\d{1,2}-\d{1,2})\)(?:\.md)?$")
_BRACKET_OPENERS = "《〈<＜"
_BRACKET_CLOSERS = "》〉>＞"
_BRACKET_DOC_SEARCH_RE = re.compile(
    rf"(?P<prefix>[{_PREFIX_CHARS}]{{1,14}})[{re.escape(_OPEN)}](?P<year>[0-9]{{4}})"
    rf"[{re.escape(_CLOSE)}]第?(?P<serial>[0-9]+)号"
)
_ORDER_DOC_SEARCH_RE = re.compile(
    rf"(?P<issuer>[{_PREFIX_CHARS}、]{{1,40}}?)(?P<kind>令|公告)第?(?P<serial>{_CN_SERIAL})号"
    rf"|(?P<issuer2>[{_PREFIX_CHARS}、]{{1,40}}?)第(?P<serial2>{_CN_SERIAL})号令"
)


@dataclass(frozen=True)
class HeaderEvent:
    """One dated statement in a LawRefBook header.

    actions: subset of ('adopted', 'approved', 'promulgated', 'effective', 'amended') in that
    order; empty when the line names no act (a bare date, or an adoption that only took effect
    through a later 批准…修正 line). body: the normalized body named (国务院,
    全国人民代表大会常务委员会 ...), or None. text: the statement after the date, with bracketed
    titles shown as 《》. group: statements joined by 、/并经 on one line share a group number.
    """

    date: _dt.date
    actions: tuple[str, ...]
    body: str | None
    text: str
    group: int


@dataclass(frozen=True)
class LawRefBookMeta:
    """Metadata parsed from one LawRefBook/Laws markdown file.

    Dates are ``datetime.date``. adopted_date: first 通过; promulgated_date: first 公布/发布/印发;
    approved_date: first 批准; effective_date: first 施行/生效/实施 (or the promulgation date when
    the header says 自公布之日起施行); amended_dates: every 修正/修订 statement, in order.
    issuer: the body (or bodies, joined with 、) of the first adopting or promulgating statement;
    issuer_source says where it came from: 'header', 'title' (issuers named before 关于 in the
    title), 'path' (部门规章/<agency>/), 'folder' (行政法规 -> 国务院), or None.
    doc_number: normalized number of the promulgating order/announcement (国务院令第260号), or a
    number given on its own header line. folder/category/region: from the record, else from the
    path; agency: the sub-folder of 部门规章; path_date: the '(2021-08-12)' file-name suffix, the
    date of the latest version.
    """

    source_path: str
    title: str
    header_lines: tuple[str, ...]
    events: tuple[HeaderEvent, ...]
    adopted_date: _dt.date | None
    promulgated_date: _dt.date | None
    approved_date: _dt.date | None
    effective_date: _dt.date | None
    amended_dates: tuple[_dt.date, ...]
    issuer: str | None
    issuer_source: str | None
    doc_number: str | None
    body: str
    folder: str | None
    category: str | None
    region: str | None
    agency: str | None
    path_date: _dt.date | None

    @property
    def header_dates(self) -> tuple[_dt.date, ...]:
        """Every date stated in the header, in order."""
        return tuple(e.date for e in self.events)

    @property
    def issued_date(self) -> _dt.date | None:
        """Promulgation date, else adoption date, else the first header date, else path_date."""
        return (self.promulgated_date or self.adopted_date
                or (self.events[0].date if self.events else None) or self.path_date)

    @property
    def has_date(self) -> bool:
        return bool(self.events) or self.path_date is not None


def parse_lawrefbook_path(source_path: str) -> dict[str, Any]:
    """Hints from a LawRefBook path relative to the repository root.

    'DLC/浙江地方法规/地方性法规/浙江/宁波市宗教活动场所管理办法(2021-08-12).md' ->
    folder 'DLC/浙江地方法规', category '地方性法规', region '浙江', agency None,
    path_date 2021-08-12, stem '宁波市宗教活动场所管理办法'. '行政法规/X.md' -> folder and category
    '行政法规', region '全国'. '部门规章/公安部/X.md' -> agency '公安部'.
    """
    if not isinstance(source_path, str):
        raise TypeError(f"parse_lawrefbook_path() expects a string, got {type(source_path).__name__}")
    p = source_path.replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    parts = [x for x in p.split("/") if x]
    filename = parts[-1] if parts else ""
    m = _PATH_DATE_RE.search(filename)
    path_date = None
    if m:
        path_date = parse_date(m.group(1))
        stem = filename[: m.start()]
    else:
        stem = filename[:-3] if filename.endswith(".md") else filename
    dirs = parts[:-1]
    folder = category = region = agency = None
    if "DLC" in dirs:
        i = dirs.index("DLC")
        rest = dirs[i + 1:]
        if rest:
            folder = "DLC/" + rest[0]
            region = rest[0][: -len("地方法规")] if rest[0].endswith("地方法规") else None
        if len(rest) > 1:
            category = rest[1]
        if len(rest) > 2:
            region = rest[2]
    elif dirs:
        folder = category = dirs[0]
        region = "全国"
        if dirs[0] == "部门规章" and len(dirs) > 1:
            agency = dirs[1]
    return {"folder": folder, "category": category, "region": region, "agency": agency,
            "path_date": path_date, "stem": stem}


def _strip_bracketed(s: str) -> str:
    """Replace 《…》/〈…〉 titles (nested) by '《》', so their words are not read as acts.

    A closer with no opener (the title began on an earlier line) discards what came before it.
    """
    out: list[str] = []
    depth = 0
    for ch in s:
        if ch in _BRACKET_OPENERS:
            if depth == 0:
                out.append("《》")
            depth += 1
        elif ch in _BRACKET_CLOSERS:
            if depth == 0:
                out = ["《》"]
            else:
                depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _normalize_body(segment: str, title: str, region: str | None) -> str | None:
    s = _BODY_LEAD_RE.sub("", segment)
    s = _PRC_RE.sub("", s)
    s = s.replace("常务员会", "常务委员会").replace("常务委员会会第", "常务委员会第")
    s = s.replace("常务委员第", "常务委员会第").replace("人民代表会", "人民代表大会")
    s = _TERM_RE.sub("", s)
    m = _BODY_CUT_RE.search(s)
    body = s[: m.start()] if m else s
    body = re.sub(rf"第{_NUMERAL}*$", "", body)
    body = re.sub(r"(?:审判委员会|检察委员会)$", "", body)
    body = re.sub(r"人大常委会$", "人民代表大会常务委员会", body)
    body = re.sub(r"常委会$", "常务委员会", body)
    body = re.sub(r"人大$", "人民代表大会", body)
    body = body.strip("、，,。的和及 ")
    if body == "主席":
        body = "中华人民共和国主席"
    level = _LOCALITY_LEVEL_RE.match(body)
    if level:
        # '市十二届人大常委会' omits the place: take it from the title ('宁波市…') or region.
        lv = level.group(1)
        place = re.match(rf"^(.{{1,12}}?{lv})", title)
        if place and not _LOCALITY_LEVEL_RE.match(place.group(1)):
            body = place.group(1) + body[len(lv):]
        elif lv == "省" and region and region != "全国" and region not in _MUNICIPALITIES:
            body = region + "省" + body[1:]
    return body if len(body) >= 2 else None


def _search_doc_number(segment: str) -> DocNumber | None:
    """A promulgating order / announcement / bracketed number inside a header statement."""
    s = _PRC_RE.sub("", segment)
    m = _ORDER_DOC_SEARCH_RE.search(s)
    if m:
        if m["issuer"] is not None:
            cand = _BODY_LEAD_RE.sub("", m["issuer"]) + m["kind"] + "第" + m["serial"] + "号"
        else:
            cand = _BODY_LEAD_RE.sub("", m["issuer2"]) + "第" + m["serial2"] + "号令"
        doc = parse_doc_number(cand)
        if doc is not None:
            return doc
    m = _BRACKET_DOC_SEARCH_RE.search(s)
    if m:
        prefix = re.split(r"[以的经由和及与用将在]", m["prefix"])[-1]
        return parse_doc_number(f"{prefix}〔{m['year']}〕{m['serial']}号")
    return None


def _date_starts(line: str) -> re.Match | None:
    half = _halfwidth(line)
    for rx in (_CN_DATE_RE, _NUM_DATE_RE):
        m = rx.match(half)
        if m and _date_from_match(m, half) and m.groupdict().get("d") is not None:
            return m
    return None


@dataclass
class _Segment:
    date: _dt.date
    text: str
    same_line_next: bool
    actions: set
    body: str | None
    pending: bool
    after_genju: bool
    eff_on_pub: bool
    doc: DocNumber | None


def parse_lawrefbook_text(
    source_path: str,
    text: str,
    title: str | None = None,
    folder: str | None = None,
    category: str | None = None,
    region: str | None = None,
) -> LawRefBookMeta:
    """Parse one LawRefBook markdown file: ``# Title``, header lines, ``<!-- INFO END -->``, body.

    ``source_path`` is relative to the repository root; folder/category/region are taken from it
    when not given. See :class:`LawRefBookMeta` for the fields and :class:`HeaderEvent` for the
    statements. Header handling, in order:

    - each header line is read with full-width characters as ASCII and wrapping (…) removed; a
      line that does not start with a full date continues the previous dated line (the upstream
      conversion split lines at 、, so they are re-joined with 、); undated lines before the first
      dated one are kept as prelude (a number like 劳社部发[2008]3号 there becomes doc_number; a
      prelude line with an act such as '最高人民法院发布' is the statement of a following bare date
      line such as '2022-03-15');
    - titles in 《》/〈〉 are blanked, then each line is cut at every full date into statements;
      a statement's acts are read from its words: 修正/修订/修改 -> amended only; otherwise
      通过 adopted, 批准 approved, 公布/发布/印发/颁布 promulgated, 施行/生效/实施 effective;
      '自公布之日起施行' makes the promulgation date the effective date;
    - a statement with no act that ends in 、/并经/和 takes the acts of the next statement on the
      line and shares its group (最高人民法院…会议、2010年2月4日最高人民检察院…通过);
    - an adoption after the first statement that is followed by a '批准…修正' statement is the
      first step of that amendment, so it is given no act (the amendment is dated on approval);
      so is an adoption introduced by 根据 that precedes one; an adoption after 根据 that stands
      alone is an amendment.
    """
    if not isinstance(text, str):
        raise RecordError(f"LawRefBook file {source_path!r}: text is {type(text).__name__}, "
                          "expected the markdown string")
    hints = parse_lawrefbook_path(source_path or "")
    folder = folder or hints["folder"]
    category = category or hints["category"]
    region = region or hints["region"]

    text = _ZERO_WIDTH.sub("", text)
    head, marker, body = text.partition(LAWREFBOOK_MARKER)
    if not marker:  # no header block: everything after the title is body
        head, body = "", text
        lines_all = text.splitlines()
        md_title = None
        for i, ln in enumerate(lines_all):
            if ln.strip():
                if ln.lstrip().startswith("# "):
                    md_title = ln.strip()[2:].strip()
                    body = "\n".join(lines_all[i + 1:])
                break
    else:
        md_title = None
    header_lines: list[str] = []
    for ln in head.splitlines():
        ln = ln.strip(" \t\u3000")
        if not ln:
            continue
        if md_title is None and ln.startswith("# "):
            md_title = ln[2:].strip()
            continue
        header_lines.append(ln)
    title_out = md_title or title or hints["stem"] or ""

    # Logical lines: (prelude?, text) where text is half-width with wrapping parens removed.
    logical: list[list] = []  # [is_dated, text]
    for ln in header_lines:
        t = _halfwidth(ln).strip()
        t = re.sub(r"^\(+", "", t)
        t = re.sub(r"\)+$", "", t).strip()
        if not t:
            continue
        if _date_starts(t):
            logical.append([True, t])
        elif logical and logical[-1][0]:
            logical[-1][1] = logical[-1][1].rstrip("、") + "、" + t
        else:
            logical.append([False, t])

    segments: list[_Segment] = []
    prelude_doc: DocNumber | None = None
    for li, (is_dated, t) in enumerate(logical):
        if not is_dated:
            doc = parse_doc_number(t)
            if doc is not None and prelude_doc is None:
                prelude_doc = doc
            continue
        # The undated line just before a bare date line: '最高人民法院发布' / '2022-03-15', or a
        # document's signature '劳动部' / '一九九四年十二月六日' (signed = issued on that date).
        before = logical[li - 1][1] if li > 0 and not logical[li - 1][0] else None
        if before is not None and (len(before) > 30 or parse_doc_number(before) is not None
                                   or re.search(r"[，,。；;：:]", before)):
            before = None
        blanked = re.sub(r"\s+", "", _strip_bracketed(t))
        matches = [m for m in _CN_DATE_RE.finditer(blanked) if m["d"] is not None] + \
                  [m for m in _NUM_DATE_RE.finditer(blanked) if m["d"] is not None]
        matches = sorted((m for m in matches if _date_from_match(m, blanked)), key=lambda m: m.start())
        for i, m in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(blanked)
            seg_text = blanked[m.end():end]
            if not seg_text.strip("、，, ") and len(matches) == 1 and before is not None:
                seg_text = before
                if not any(rx.search(before) for _, rx in _ACTION_RES) and not _AMEND_RE.search(before):
                    seg_text += "发布"
            segments.append(_Segment(
                date=_date_from_match(m, blanked)[0], text=seg_text,
                same_line_next=i + 1 < len(matches), actions=set(), body=None,
                pending=False, after_genju=False, eff_on_pub=False, doc=None))

    # Acts of each statement.
    genju = False
    for seg in segments:
        s = seg.text
        seg.after_genju = genju
        genju = bool(_TRAILING_GENJU_RE.search(s))
        s = _TRAILING_GENJU_RE.sub("", s)
        if _EFFECTIVE_ON_PROMULGATION_RE.search(s):
            seg.eff_on_pub = True
            s = _EFFECTIVE_ON_PROMULGATION_RE.sub("", s)
        s = s.strip("、，,。;； ")
        seg.body = _normalize_body(s, title_out, region)
        if _AMEND_RE.search(s):
            seg.actions = {"amended"}
        else:
            seg.actions = {name for name, rx in _ACTION_RES if rx.search(s)}
            seg.doc = _search_doc_number(s)
            if not seg.actions and seg.doc is not None and seg.doc.prefix.endswith("令"):
                seg.actions = {"promulgated"}  # '国务院令第692号' alone: an order is promulgation
            if seg.eff_on_pub and "promulgated" in seg.actions:
                seg.actions.add("effective")
        seg.pending = not seg.actions and bool(_CONNECTOR_RE.search(seg.text.rstrip()))

    # '市十四届人大常委会' names no place: borrow it from another statement ('宁波市人民代表大会…').
    for seg in segments:
        level = _LOCALITY_LEVEL_RE.match(seg.body or "")
        if level:
            lv = level.group(1)
            for other in segments:
                place = re.match(rf"^(.{{1,12}}?{lv})(?=人民)", other.body or "")
                if place and not _LOCALITY_LEVEL_RE.match(other.body):
                    seg.body = place.group(1) + seg.body[len(lv):]
                    break

    # Chains joined by 、/并经 share the acts of their last statement.
    groups: list[int] = []
    gid = 0
    for i, seg in enumerate(segments):
        groups.append(gid)
        if not (seg.same_line_next and (seg.pending or _CONNECTOR_RE.search(seg.text.rstrip())
                                        or seg.text.rstrip().endswith("并经"))):
            gid += 1
    for i in range(len(segments) - 2, -1, -1):
        if groups[i] == groups[i + 1] and not segments[i].actions:
            segments[i].actions = set(segments[i + 1].actions)

    # Adoptions that are only the first step of an amendment approved later.
    for i, seg in enumerate(segments):
        nxt = segments[i + 1] if i + 1 < len(segments) else None
        next_is_approved_amendment = (nxt is not None and "amended" in nxt.actions
                                      and "批准" in nxt.text)
        if seg.actions == {"adopted"} and (i > 0 or seg.after_genju) and next_is_approved_amendment:
            seg.actions = set()
        elif seg.after_genju and seg.actions == {"adopted"}:
            seg.actions = {"amended"}

    events = tuple(
        HeaderEvent(date=seg.date, actions=tuple(a for a in _ACTIONS if a in seg.actions),
                    body=seg.body, text=seg.text, group=groups[i])
        for i, seg in enumerate(segments)
    )

    def first(action: str) -> _dt.date | None:
        return next((e.date for e in events if action in e.actions), None)

    adopted, promulgated = first("adopted"), first("promulgated")
    approved, effective = first("approved"), first("effective")
    if effective is None:
        for seg in segments:
            if seg.eff_on_pub and seg.actions & {"promulgated"}:
                effective = seg.date
                break
    amended: list[_dt.date] = []
    for e in events:
        if "amended" in e.actions and e.date not in amended:
            amended.append(e.date)

    issuer = None
    issuer_source = None
    # First adopting/promulgating statement (with the bodies of its 、-chain); failing that, the
    # first amending, then approving, then any statement that names a body.
    for wanted in ({"adopted", "promulgated"}, {"amended"}, {"approved"}, None):
        for e in events:
            if wanted is None or wanted & set(e.actions):
                bodies = [x.body for x in events if x.group == e.group and x.body]
                if bodies:
                    names: list[str] = []
                    for b in bodies:
                        for n in split_issuers(b):
                            if n not in names:
                                names.append(n)
                    issuer = "、".join(names)
                    issuer_source = "header"
                    break
        if issuer is not None:
            break
    if issuer is None:
        named = [_PRC_RE.sub("", n) or n for n in issuers_from_title(title_out)]
        if named:
            issuer, issuer_source = "、".join(named), "title"
        elif hints["agency"]:
            issuer, issuer_source = hints["agency"], "path"
        elif folder == "行政法规":
            issuer, issuer_source = "国务院", "folder"

    doc_number = None
    for seg in segments:
        if seg.doc is not None and seg.actions & {"adopted", "promulgated"}:
            doc_number = seg.doc.normalized
            break
    if doc_number is None and prelude_doc is not None:
        doc_number = prelude_doc.normalized

    return LawRefBookMeta(
        source_path=source_path,
        title=title_out,
        header_lines=tuple(header_lines),
        events=events,
        adopted_date=adopted,
        promulgated_date=promulgated,
        approved_date=approved,
        effective_date=effective,
        amended_dates=tuple(amended),
        issuer=issuer,
        issuer_source=issuer_source,
        doc_number=doc_number,
        body=body.strip(),
        folder=folder,
        category=category,
        region=region,
        agency=hints["agency"],
        path_date=hints["path_date"],
    )


def parse_lawrefbook(record: Mapping[str, Any]) -> LawRefBookMeta:
    """Parse a LawRefBook record: a dict with ``text`` and ``source_path`` (or ``path``), and
    optionally ``title``, ``folder``, ``category``, ``region`` (as in
    ../shared/corpora/lawrefbook.jsonl.gz). Records from a plain checkout of LawRefBook/Laws need
    only the path (relative to the repository root) and the text. Raises RecordError naming the
    missing field."""
    if not isinstance(record, Mapping):
        raise RecordError(f"LawRefBook record must be a mapping, got {type(record).__name__}")
    path = record.get("source_path") or record.get("path")
    if not path:
        raise RecordError("LawRefBook record has no 'source_path' (or 'path'): add the file path "
                          "relative to the LawRefBook/Laws repository root")
    if "text" not in record or record["text"] is None:
        raise RecordError(f"LawRefBook record {path!r} has no 'text': add the markdown content")
    return parse_lawrefbook_text(
        str(path), record["text"], title=record.get("title") or None,
        folder=record.get("folder") or None, category=record.get("category") or None,
        region=record.get("region") or None,
    )
