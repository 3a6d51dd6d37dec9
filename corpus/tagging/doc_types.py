"""Document form (通知, 办法, 条例 ...), legal effect level, and validity status (时效性)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from zhengce.common.errors import UserError
from .chars import _ZERO_WIDTH, _check_str
from .doc_numbers import DocNumber, _PRC_RE, parse_doc_number
from .issuers import issuers_from_title, split_issuers


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
