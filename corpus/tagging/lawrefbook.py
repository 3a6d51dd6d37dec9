"""LawRefBook/Laws markdown files: the header statements (adopted, promulgated, effective,
amended ...), the issuer and the promulgating number, and hints from the file's path."""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any, Mapping

from zhengce.common.errors import RecordError
from .chars import _ZERO_WIDTH, _halfwidth
from .dates import _CN_DATE_RE, _NUM_DATE_RE, _date_from_match, parse_date
from .doc_numbers import (DocNumber, _CLOSE, _CN_SERIAL, _OPEN, _PRC_RE, _PREFIX_CHARS,
                          parse_doc_number)
from .issuers import issuers_from_title, split_issuers


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


def _split_markdown(text: str) -> tuple[str | None, list[str], str]:
    """(``# Title`` if any, the non-empty header lines, the body) of one markdown file."""
    text = _ZERO_WIDTH.sub("", text)
    head, marker, body = text.partition(LAWREFBOOK_MARKER)
    md_title = None
    if not marker:  # no header block: everything after the title is body
        head, body = "", text
        lines_all = text.splitlines()
        for i, ln in enumerate(lines_all):
            if ln.strip():
                if ln.lstrip().startswith("# "):
                    md_title = ln.strip()[2:].strip()
                    body = "\n".join(lines_all[i + 1:])
                break
    header_lines: list[str] = []
    for ln in head.splitlines():
        ln = ln.strip(" \t\u3000")
        if not ln:
            continue
        if md_title is None and ln.startswith("# "):
            md_title = ln[2:].strip()
            continue
        header_lines.append(ln)
    return md_title, header_lines, body


def _logical_lines(header_lines: list[str]) -> list[list]:
    """[is_dated, text] per logical line: half-width, wrapping parens removed, an undated line
    joined (with 、) to the dated line before it."""
    logical: list[list] = []
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
    return logical


def _statement_before(logical: list[list], li: int) -> str | None:
    """The undated line just before a bare date line: '最高人民法院发布' / '2022-03-15', or a
    document's signature '劳动部' / '一九九四年十二月六日' (signed = issued on that date)."""
    before = logical[li - 1][1] if li > 0 and not logical[li - 1][0] else None
    if before is not None and (len(before) > 30 or parse_doc_number(before) is not None
                               or re.search(r"[，,。；;：:]", before)):
        return None
    return before


def _cut_statements(logical: list[list]) -> tuple[list[_Segment], DocNumber | None]:
    """Every dated line cut at each full date into statements; the first document number of an
    undated prelude line."""
    segments: list[_Segment] = []
    prelude_doc: DocNumber | None = None
    for li, (is_dated, t) in enumerate(logical):
        if not is_dated:
            doc = parse_doc_number(t)
            if doc is not None and prelude_doc is None:
                prelude_doc = doc
            continue
        before = _statement_before(logical, li)
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
    return segments, prelude_doc


def _read_acts(segments: list[_Segment], title: str, region: str | None) -> None:
    """Acts, body and promulgating number of each statement, read from its words."""
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
        seg.body = _normalize_body(s, title, region)
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


def _borrow_places(segments: list[_Segment]) -> None:
    """'市十四届人大常委会' names no place: borrow it from another statement ('宁波市人民代表大会…')."""
    for seg in segments:
        level = _LOCALITY_LEVEL_RE.match(seg.body or "")
        if level:
            lv = level.group(1)
            for other in segments:
                place = re.match(rf"^(.{{1,12}}?{lv})(?=人民)", other.body or "")
                if place and not _LOCALITY_LEVEL_RE.match(other.body):
                    seg.body = place.group(1) + seg.body[len(lv):]
                    break


def _chain_groups(segments: list[_Segment]) -> list[int]:
    """Group numbers: chains joined by 、/并经 share the acts of their last statement."""
    groups: list[int] = []
    gid = 0
    for seg in segments:
        groups.append(gid)
        if not (seg.same_line_next and (seg.pending or _CONNECTOR_RE.search(seg.text.rstrip())
                                        or seg.text.rstrip().endswith("并经"))):
            gid += 1
    for i in range(len(segments) - 2, -1, -1):
        if groups[i] == groups[i + 1] and not segments[i].actions:
            segments[i].actions = set(segments[i + 1].actions)
    return groups


def _settle_amendment_steps(segments: list[_Segment]) -> None:
    """Adoptions that are only the first step of an amendment approved later lose their act; an
    adoption after 根据 that stands alone is an amendment."""
    for i, seg in enumerate(segments):
        nxt = segments[i + 1] if i + 1 < len(segments) else None
        next_is_approved_amendment = (nxt is not None and "amended" in nxt.actions
                                      and "批准" in nxt.text)
        if seg.actions == {"adopted"} and (i > 0 or seg.after_genju) and next_is_approved_amendment:
            seg.actions = set()
        elif seg.after_genju and seg.actions == {"adopted"}:
            seg.actions = {"amended"}


def _event_dates(events: tuple[HeaderEvent, ...], segments: list[_Segment]) -> dict[str, Any]:
    """The first date of each act, and every amendment date in order."""

    def first(action: str) -> _dt.date | None:
        return next((e.date for e in events if action in e.actions), None)

    effective = first("effective")
    if effective is None:
        for seg in segments:
            if seg.eff_on_pub and seg.actions & {"promulgated"}:
                effective = seg.date
                break
    amended: list[_dt.date] = []
    for e in events:
        if "amended" in e.actions and e.date not in amended:
            amended.append(e.date)
    return {"adopted_date": first("adopted"), "promulgated_date": first("promulgated"),
            "approved_date": first("approved"), "effective_date": effective,
            "amended_dates": tuple(amended)}


def _header_issuer(events: tuple[HeaderEvent, ...]) -> str | None:
    """The bodies of the first adopting/promulgating statement (with its 、-chain); failing
    that, of the first amending, then approving, then any statement that names a body."""
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
                    return "、".join(names)
    return None


def _issuer(events: tuple[HeaderEvent, ...], title: str, agency: str | None,
            folder: str | None) -> tuple[str | None, str | None]:
    """(issuer, where it came from): the header, else the title, the agency folder, 行政法规."""
    issuer = _header_issuer(events)
    if issuer is not None:
        return issuer, "header"
    named = [_PRC_RE.sub("", n) or n for n in issuers_from_title(title)]
    if named:
        return "、".join(named), "title"
    if agency:
        return agency, "path"
    if folder == "行政法规":
        return "国务院", "folder"
    return None, None


def _promulgating_number(segments: list[_Segment], prelude_doc: DocNumber | None) -> str | None:
    for seg in segments:
        if seg.doc is not None and seg.actions & {"adopted", "promulgated"}:
            return seg.doc.normalized
    return prelude_doc.normalized if prelude_doc is not None else None


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
    md_title, header_lines, body = _split_markdown(text)
    title_out = md_title or title or hints["stem"] or ""

    segments, prelude_doc = _cut_statements(_logical_lines(header_lines))
    _read_acts(segments, title_out, region)
    _borrow_places(segments)
    groups = _chain_groups(segments)
    _settle_amendment_steps(segments)
    events = tuple(
        HeaderEvent(date=seg.date, actions=tuple(a for a in _ACTIONS if a in seg.actions),
                    body=seg.body, text=seg.text, group=groups[i])
        for i, seg in enumerate(segments)
    )
    issuer, issuer_source = _issuer(events, title_out, hints["agency"], folder)
    return LawRefBookMeta(
        source_path=source_path, title=title_out, header_lines=tuple(header_lines),
        events=events, **_event_dates(events, segments), issuer=issuer,
        issuer_source=issuer_source, doc_number=_promulgating_number(segments, prelude_doc),
        body=body.strip(), folder=folder, category=category, region=region,
        agency=hints["agency"], path_date=hints["path_date"],
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
