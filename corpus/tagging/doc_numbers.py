"""Document numbers (发文字号): 国发〔2001〕12号, 国务院令第260号, and the issuer prefix they start with."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .chars import _ZERO_WIDTH, _check_str, _halfwidth, cn_to_int
from .dates import _MAX_YEAR, _MIN_YEAR


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
