"""Issuer, title and dates of a document page when the page's metadata does not give them.

Pages often lack a metadata table, or put the wrong thing in it: NDRC's ``ContentSource`` meta is
the department that posted the page (环资司), not the issuing authority (国家发展改革委办公厅);
its ``ArticleTitle`` has the 发文字号 glued on and lacks the issuer; gov.cn's department pages
print no 发布日期 row; SASAC and NDRC print the 成文日期 only in the signature at the end of the
notice. The document itself says all of it, in an order of trust:

* **issuer**: a 发文机关 cell of the page (unless it names no place: 市政府) > the title's prefix (``国家发展改革委办公厅关于…``) >
  the signature (the organ lines above the signature date) > the site's default > the
  posting office (a ``ContentSource`` meta) — :func:`resolve_issuer`;
* **title**: the page's title without a glued-on 发文字号, completed with the issuer prefix when
  the body's heading lines print it (:func:`complete_title`);
* **issued date** (成文日期): a table cell > the signature date (:func:`signature`);
* **published date** (发布日期): a table cell / list value > the ``firstpublishedtime`` meta.

Every value taken this way records where it came from in the document's hints
(``issuer_from``, ``issued_date_from``, ...), so a wrong one can be traced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .extract import DOC_NUMBER_RE, clean_value

ORGAN_SUFFIX = re.compile(
    r"(?:人民政府|政府|办公厅|办公室|委员会|总局|管理局|局|部|委|院|厅|署|会|行|办|中心|银行|总署)$")
_WS = re.compile(r"[\s\u3000\xa0]+")
# a signature date: 2026年7月10日, or in Chinese numerals 二〇〇五年十二月二十日
DATE_LINE = re.compile(r"(?:19|20)\d{2}年\d{1,2}月\d{1,2}日"
                       r"|[一二][〇零○九一二三四五六七八]{3}年[一二三四五六七八九十]{1,2}月"
                       r"[一二三四五六七八九十]{1,3}日")
_GLUED_NUMBER = re.compile(r"\s*[（(]\s*(" + DOC_NUMBER_RE.pattern + r")\s*[）)]\s*$")
_NOT_ORGAN = re.compile(r"[：:。，,；;！？“”《》（）()]|^附件|^抄送|^联系")
MAX_ORGAN_CHARS = 40
# A 发布机构 cell that names no place (丽水's 市政府, 省政府办公厅, 县府办): the title's or the
# signature's full name is better.
UNQUALIFIED_ISSUER = re.compile(r"[省市县区州]?(?:人民)?政府(?:办公厅|办公室)?|[省市县区]府办")


def squeeze(value: str) -> str:
    return _WS.sub("", value or "")


def looks_like_organ(line: str) -> bool:
    """A short line naming an authority (``国 资 委`` after removing spaces, joint names with
    、 or spaces)."""
    name = squeeze(line)
    if not name or len(name) > MAX_ORGAN_CHARS or _NOT_ORGAN.search(name):
        return False
    return all(ORGAN_SUFFIX.search(part) for part in re.split(r"[、]", name) if part)


def title_prefix_issuer(title: str) -> str:
    """``国家发展改革委办公厅关于…`` -> ``国家发展改革委办公厅``; '' when the title starts with 关于."""
    head, sep, _ = (title or "").partition("关于")
    if not sep or not head:
        return ""
    names = [n for n in re.split(r"[、\s]+", head.strip()) if n]
    if names and all(ORGAN_SUFFIX.search(n) and len(n) <= MAX_ORGAN_CHARS for n in names):
        return "、".join(names)
    return ""


def strip_glued_number(title: str) -> tuple[str, str]:
    """``关于…的通知(发改办环资〔2026〕520号)`` -> (``关于…的通知``, ``发改办环资〔2026〕520号``)."""
    match = _GLUED_NUMBER.search(title or "")
    if not match:
        return title or "", ""
    return title[: match.start()].strip(), clean_value(match.group(1))


def complete_title(title: str, text: str, head_lines: int = 6) -> str:
    """The title with the issuer prefix the body's heading prints (``国家发展改革委办公厅关于开展``
    + ``…的通知`` on two lines), when the page's own title lacks it."""
    if not title or title_prefix_issuer(title):
        return title
    lines = [squeeze(line) for line in text.split("\n")[:head_lines] if squeeze(line)]
    target = squeeze(title)
    for start in range(len(lines)):
        joined = ""
        for line in lines[start:]:
            joined += line
            if joined.endswith(target) and joined != target:
                candidate = joined[: -len(target)] + title.strip()
                return candidate if title_prefix_issuer(candidate) else title
            if len(joined) > len(target) + MAX_ORGAN_CHARS:
                break
    return title


@dataclass
class Signature:
    issuer: str       # organ lines above the date, joined with 、 ('' when none)
    date: str         # the date as printed (YYYY年M月D日)


def signature(text: str) -> Signature | None:
    """The first signature of the body: a line that is only a date, right below one or more
    organ lines (``国家发展改革委办公厅`` / ``2026年7月10日``). The first, because a notice that
    issues a regulation is signed above the regulation's text."""
    lines = [line.strip() for line in text.split("\n")]
    for i, line in enumerate(lines):
        match = DATE_LINE.fullmatch(squeeze(line))
        if not match or i == 0:
            continue
        organs: list[str] = []
        j = i - 1
        while j >= 0 and looks_like_organ(lines[j]) and len(organs) < 6:
            organs.insert(0, squeeze(lines[j]))
            j -= 1
        if organs:
            return Signature("、".join(organs), squeeze(line))
    return None


def meta_date(value: str | None) -> str:
    """``2022-01-28-18:00:10`` (gov.cn's firstpublishedtime) -> ``2022-01-28``."""
    match = re.match(r"\s*((?:19|20)\d{2}-\d{2}-\d{2})", value or "")
    return match.group(1) if match else ""


def resolve_fields(fields: dict, text: str, *, defaults: dict, posting_office: str = "",
                   first_published: str = "") -> dict[str, str]:
    """Fill ``title``, ``issuer``, ``issued_date``, ``published_date`` and ``doc_number`` in
    ``fields`` (in place) from the document itself; returns where each filled value came from."""
    origin: dict[str, str] = {}
    title, glued = strip_glued_number(str(fields.get("title") or ""))
    if glued:
        fields["title"] = title
        origin["title"] = "title without its glued 发文字号"
        if not fields.get("doc_number"):
            fields["doc_number"] = glued
            origin["doc_number"] = "title"
    completed = complete_title(str(fields.get("title") or ""), text)
    if completed != fields.get("title"):
        fields["title"] = completed
        origin["title"] = "body heading"
    sign = signature(text)
    cell = str(fields.get("issuer") or "")
    if cell and UNQUALIFIED_ISSUER.fullmatch(squeeze(cell)):
        full = title_prefix_issuer(str(fields.get("title") or "")) or (sign.issuer if sign else "")
        if full:
            fields["issuer"] = full
            origin["issuer"] = f"title prefix or signature (the page's cell says {cell})"
    if not fields.get("issuer"):
        issuer, source = title_prefix_issuer(str(fields.get("title") or "")), "title prefix"
        if not issuer and sign is not None:
            issuer, source = sign.issuer, "signature"
        if not issuer and defaults.get("issuer"):
            issuer, source = defaults["issuer"], "site default"
        if not issuer and posting_office:
            issuer, source = posting_office, "posting office"
        if issuer:
            fields["issuer"] = issuer
            origin["issuer"] = source
    if not fields.get("issued_date") and sign is not None:
        fields["issued_date"] = sign.date
        origin["issued_date"] = "signature"
    if not fields.get("published_date") and meta_date(first_published):
        fields["published_date"] = meta_date(first_published)
        origin["published_date"] = "meta firstpublishedtime"
    return origin
