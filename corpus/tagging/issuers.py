"""Issuer lists as sources write them (国家计委、财政部), and the issuers a title names."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .chars import _ZERO_WIDTH, _check_str
from .doc_numbers import _PLACEHOLDER_RE


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
