"""Page-level extraction shared by every spider: labels, values, body text, 文号, encodings.

Nothing here tags anything: values come out as the page prints them (the corpus layer's
:mod:`corpus.tag` parses dates, numbers and issuers). What this module does is find them:

* **label-based metadata** (:func:`extract_labels`): government pages print metadata as label /
  value cells (``<td><b>发文字号：</b></td><td>国办发〔2021〕1号</td>``), as one cell
  (``<li>发文机构：<span>…</span></li>``) or as bare label cells (``<td class="t">文件编号</td>``).
  Labels are compared after removing all whitespace (full-width ``　`` padding as in ``索　引　号``,
  ``时 效``) and the trailing colon, against :data:`LABEL_ALIASES`;
* **text** of a body container, with block breaks kept (:func:`body_text`, reusing
  :func:`corpus.loaders.html_to_text`);
* **文号 in a body**: only a line that *is* a document number counts (:func:`find_doc_number`), so
  a forwarded document's number quoted in the first sentence is not taken for the page's own;
* **decoding** with a per-site override and a "does this look Chinese" check
  (:func:`decode_page`, :func:`cjk_share`): undeclared GBK pages decode to mojibake without error.
"""

from __future__ import annotations

import re
from typing import Iterable

from parsel import Selector

from zhengce.corpus.loaders import decode_text_bytes, html_to_text

from .cleanup import distinct_parts

# canonical field -> labels as printed by the sites (after whitespace/colon removal)
LABEL_ALIASES: dict[str, tuple[str, ...]] = {
    "doc_number": ("发文字号", "文件编号", "文号"),
    "issuer": ("发文机关", "发布机构", "制发机关", "发文单位", "发布单位", "发文机构"),
    "issuer_joint": ("联合发文单位",),
    "issued_date": ("成文日期", "发文日期"),
    "published_date": ("发布日期", "公开日期"),
    "validity": ("效力", "有效性", "时效", "效力状况"),
    "title": ("标题", "名称", "文件名称"),
    "category": ("主题分类", "分类", "信息分类"),
    "doc_type": ("公文种类", "文种"),
    "effective_date": ("实施日期", "施行日期", "生效日期"),
    # not canonical fields: kept as hints (raw evidence) only
    "index_no": ("索引号", "信息索引号"),
    "source_name": ("来源",),
    "repealed_date": ("废止日期", "失效日期", "失效时间"),
    "stamp_date": ("生成日期",),  # an index stamp, NOT the 成文日期
    "disclosure": ("公开方式", "公开范围"),
}
CANONICAL_LABEL_FIELDS = ("doc_number", "issuer", "issued_date", "published_date", "validity",
                          "title", "category", "doc_type", "effective_date")
_LABEL_TO_FIELD = {label: name for name, labels in LABEL_ALIASES.items() for label in labels}
_WS = re.compile(r"[\s\u3000\xa0\u200b\ufeff]+")
_LABEL_TRIM = "：:　 \t\r\n\xa0【】[]"
_LABEL_IN_CELL = re.compile(r"^\s*([^：:]{1,12}?)\s*[：:]\s*(.*)$", re.S)

# A document number standing alone: 国办发〔2021〕1号, 计产业[2001]4号, 国令第843号,
# 商务部令2014年第1号, 国家发展改革委令2005年第40号.
DOC_NUMBER_RE = re.compile(
    r"[\u4e00-\u9fa5A-Za-z]{1,20}\s*[〔\[［【(（]\s*(?:19|20)\d{2}\s*[〕\]］】)）]\s*第?\s*\d{1,5}\s*号"
    r"|[\u4e00-\u9fa5]{1,30}令\s*(?:(?:19|20)\d{2}\s*年\s*)?第\s*\d{1,5}\s*号"
    r"|[\u4e00-\u9fa5]{1,20}(?:19|20)\d{2}\s*年第\s*\d{1,5}\s*号")

CJK_THRESHOLD = 0.5


def clean_value(value: str | None) -> str:
    """Collapse whitespace (NBSP, full-width spaces) and strip; never None."""
    if value is None:
        return ""
    return _WS.sub(" ", value).strip()


def normalize_label(text: str) -> str:
    """``索　引　号：`` -> ``索引号``; ``时 效：`` -> ``时效``."""
    return _WS.sub("", text).strip(_LABEL_TRIM)


def field_for_label(text: str) -> str | None:
    """The field a label names (see :data:`LABEL_ALIASES`), or None."""
    label = normalize_label(text)
    if not label or len(label) > 8:
        return None
    return _LABEL_TO_FIELD.get(label)


def cell_text(cell: Selector) -> str:
    """Visible text of a cell: text nodes only, so CMS comments (``<!--<$[WJBH]>-->``) vanish."""
    return clean_value("".join(cell.xpath(".//text()").getall()))


def label_cell(text: str) -> tuple[str, str] | None:
    """``(field, value)`` when a cell is a label: bare (``文件编号``) or with its value
    (``发文机构：北京市人民政府``; value '' when the value is in the next cell)."""
    name = field_for_label(text)
    if name is not None:
        return name, ""
    match = _LABEL_IN_CELL.match(text)
    if match:
        name = field_for_label(match.group(1))
        if name is not None:
            return name, match.group(2)
    return None


def extract_labels(cells: Iterable[Selector | str]) -> tuple[dict[str, str], dict[str, str]]:
    """Label/value pairs from cells in document order.

    Returns ``(fields, hints)``: canonical fields (``doc_number``, ``issuer`` ...) and the
    non-canonical ones (``index_no``, ``stamp_date`` ...). A label's value is the rest of its
    cell, else the next cell unless that is a label itself (an empty value: ``发文字号：`` followed
    by ``主题分类：…`` means no 发文字号). The first non-empty value of a field wins;
    ``联合发文单位`` is appended to ``issuer`` with ``、``.
    """
    texts = [c if isinstance(c, str) else cell_text(c) for c in cells]
    found: dict[str, str] = {}
    i = 0
    while i < len(texts):
        label = label_cell(texts[i])
        step = 1
        if label is not None:
            name, value = label
            if not value and i + 1 < len(texts) and label_cell(texts[i + 1]) is None:
                value, step = texts[i + 1], 2
            value = clean_value(value)
            if value and not found.get(name):
                found[name] = value
        i += step
    joint = found.pop("issuer_joint", "")
    if joint:
        found["issuer"] = f"{found['issuer']}、{joint}" if found.get("issuer") else joint
    fields = {k: v for k, v in found.items() if k in CANONICAL_LABEL_FIELDS}
    hints = {k: v for k, v in found.items() if k not in CANONICAL_LABEL_FIELDS}
    return fields, hints


def body_text(selectors: Iterable[Selector]) -> str:
    """Text of the matched body container(s), block breaks kept, empty lines dropped; a
    container whose text repeats (or sits inside) an earlier one's is left out."""
    parts = [s.get() for s in selectors]
    texts = [html_to_text("<div>" + p + "</div>")[0].strip() for p in parts if p and p.strip()]
    # several matches: a mobile copy of the body or a nested match adds nothing
    return "\n".join(distinct_parts(texts)).strip()


def find_doc_number(text: str, *, title: str | None = None, head_lines: int = 6) -> str | None:
    """The page's own 文号: a line among the first ``head_lines`` that is nothing but a number
    (TRS pages print it centred above the text), else a number ending the title."""
    for line in text.split("\n")[:head_lines]:
        line = clean_value(line)
        if line and DOC_NUMBER_RE.fullmatch(line):
            return line
    if title:
        match = DOC_NUMBER_RE.search(title)
        if match and match.end() >= len(title.rstrip("）)")) - 1:
            return match.group(0)
    return None


_TAG = re.compile(r"<[^>]+>")


#: libxml2 (through parsel, with huge_tree) drops every element nested deeper than this: a page
#: built that deep loses its body silently, so a miss on such a page names the limit
PARSER_MAX_DEPTH = 2048
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")
#: elements that are never opened for long: void elements and the ones HTML closes implicitly
_NOT_NESTING = frozenset("area base br col embed hr img input link meta param source track wbr "
                         "p li dt dd tr td th option".split())


def nesting_depth(html: str) -> int:
    """The deepest nesting of elements in ``html``, from its tags (no parse: the parser is what
    gives up on deep pages)."""
    depth = deepest = 0
    for closing, name, self_closing in _TAG.findall(html):
        if name.lower() in _NOT_NESTING or self_closing:
            continue
        if closing:
            depth = max(depth - 1, 0)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def too_deep(html: str) -> str | None:
    """Why a selector may have found nothing on ``html``: its nesting is past the parser's limit
    (None when it is not)."""
    depth = nesting_depth(html)
    if depth < PARSER_MAX_DEPTH - 4:   # html, body and a few wrappers count too
        return None
    return (f"the page nests elements {depth:,} deep, past the HTML parser's limit of "
            f"{PARSER_MAX_DEPTH:,} (libxml2): everything deeper was dropped")


def strip_tags(value: str | None) -> str:
    """``<em>汽车</em>产业`` -> ``汽车产业`` (search APIs highlight query words)."""
    return clean_value(_TAG.sub("", value or ""))


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LETTER = re.compile(r"[^\W\d_]|\ufffd")


def cjk_share(text: str) -> float:
    """Share of CJK ideographs among the letters of ``text`` (1.0 when it has no letters).

    Mojibake of GBK read as Latin-1/UTF-8 is made of Latin letters and U+FFFD, so its share is
    near 0; Chinese policy text is above 0.9.
    """
    letters = len(_LETTER.findall(text))
    return len(_CJK.findall(text)) / letters if letters else 1.0


def looks_chinese(text: str, threshold: float = CJK_THRESHOLD) -> bool:
    return cjk_share(text) >= threshold


_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", re.I)


def declared_encoding(body: bytes, content_type: str | None) -> str | None:
    """The charset from the Content-Type header, else from a ``<meta>`` in the first 2 KB."""
    if content_type:
        match = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", content_type, re.I)
        if match:
            return match.group(1).lower()
    match = _META_CHARSET.search(body[:2048])
    return match.group(1).decode("ascii").lower() if match else None


def decode_page(body: bytes, content_type: str | None = None,
                override: str | None = None) -> tuple[str, str]:
    """``(text, encoding)`` of a page: the site's override, else the declared charset, else
    UTF-8, else GB18030 (:func:`corpus.loaders.decode_text_bytes`).

    GB2312 and GBK declarations are decoded as GB18030, their superset (pages declared GB2312
    routinely contain GBK-only characters).
    """
    encoding = override or declared_encoding(body, content_type)
    if encoding and encoding.replace("-", "").replace("_", "").lower() in ("gb2312", "gbk", "gb18030"):
        encoding = "gb18030"
    if encoding:
        try:
            return body.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError):
            if override:
                return body.decode(override, errors="replace"), override
    return decode_text_bytes(body)
