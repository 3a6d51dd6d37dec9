"""Issuer resolution: administrative divisions and central agencies, indexed.

:class:`Gazetteer` answers questions about the ``divisions`` and ``agencies`` reference tables
(built by :mod:`zhengce.corpus.reference`): :meth:`Gazetteer.resolve_issuer` turns
an issuer name as written (浙江省发展和改革委员会, 国家发展改革委, 北京市海淀区人民政府) into an
:class:`IssuerMatch` with the administrative level, place codes and agency id. Every lookup is a
handful of dictionary probes (the loader tags tens of thousands of documents per second).

Rules of :meth:`Gazetteer.resolve_issuer`, in order:

1. Central agencies: the longest agency name or alias at the start of the string (after an
   optional 中华人民共和国). When one alias names several agencies (国家计委 = spc until 1998 and
   sdpc 1998-2003), ``year`` picks the one that existed then (in a reform year the newer one; if
   none existed, the nearest in time); without a year ``agency_id`` is None and ``candidates``
   lists them. A place right after the agency name (国家税务总局浙江省税务局, 中国人民银行杭州中心支行)
   marks a local branch of a vertically managed agency: the level is the place's, ``agency_id``
   stays set.
2. Places: the longest division name at the start (after an optional 中共/中国共产党, which sets
   ``party``), then, inside it, the longest name of a division below it, and so on down to the
   county (浙江省杭州市余杭区). At the start only official names, manual aliases and the short
   forms of provinces and prefectures count; below a matched place, short forms of counties too.
   A short form must be followed by an administrative suffix (which is consumed: 北京市密云县
   finds 密云区) or by a division below it (浙江杭州市); so 湖北省公安厅 does not find 公安县.
   A name shared by several divisions that the following text does not settle is ambiguous: the
   match keeps only what all candidates share (level, province) and lists their codes in
   ``candidates``; if their levels differ, the result is None.
3. Levels: provinces, autonomous regions and the municipalities 北京/天津/上海/重庆 are
   'provincial'; prefectures and counties (incl. municipal districts) are 'local', with
   ``level_detail`` 'prefecture' or 'county'.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Iterator

from zhengce.common.errors import UserError
from .reference import ReferenceRows, build_reference_rows, rows_from_store

# What may follow a short form in an issuer string, by the kind of division it names (longest
# first; consumed with the match). 县 and 区 are interchangeable for counties because many
# counties became districts (北京市密云县 is today's 密云区).
_FOLLOWING_SUFFIXES = {
    "province": ("特别行政区", "自治区", "省", "市"),
    "prefecture": ("自治州", "地区", "市", "州", "盟"),
    "county": ("自治县", "自治旗", "林区", "新区", "县", "区", "市", "旗"),
}
_PARTY_PREFIXES = ("中国共产党", "中共")
_PRC = "中华人民共和国"
_LOCAL_GOV_CHARS = frozenset("政府")


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IssuerMatch:
    """What an issuer name says about who issued a document.

    name: the string as given. level: 'central' | 'provincial' | 'local'. level_detail:
    'central' | 'provincial' | 'prefecture' | 'county'. agency_id: canonical id of a central
    agency (also set for a local branch of one), else None. province/prefecture/county and their
    6-digit GB/T 2260 codes: the place, where known. matched: the part of ``name`` that was
    recognized (an agency alias, or the place names, e.g. 北京市海淀区). body: what follows the
    recognized part (人民政府办公厅), '' when nothing does. party: the name began with 中共 /
    中国共产党. candidates: the agency ids or division codes left when the name alone does not
    decide between several (国家计委 without a year; 朝阳区 without its city); empty otherwise.
    """

    name: str
    level: str
    level_detail: str
    agency_id: str | None = None
    province: str | None = None
    province_code: str | None = None
    prefecture: str | None = None
    prefecture_code: str | None = None
    county: str | None = None
    county_code: str | None = None
    matched: str = ""
    body: str = ""
    party: bool = False
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    short_name: str
    kind: str  # province / prefecture / county
    province_code: str
    prefecture_code: str | None
    parent_code: str | None
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Agency:
    agency_id: str
    name: str
    aliases: tuple[str, ...]
    level: str
    kind: str
    valid_from: int | None
    valid_to: int | None
    predecessor_ids: tuple[str, ...]
    successor_ids: tuple[str, ...]
    continued_by: str | None
    notes: str | None

    def valid_in(self, year: int) -> bool:
        return ((self.valid_from is None or self.valid_from <= year)
                and (self.valid_to is None or year <= self.valid_to))

    def distance(self, year: int) -> int:
        if self.valid_from is not None and year < self.valid_from:
            return self.valid_from - year
        if self.valid_to is not None and year > self.valid_to:
            return year - self.valid_to
        return 0


@dataclass(frozen=True)
class PlaceMention:
    """A division name found in free text: [start, end) offsets, the text, and the codes it may
    name (several when the name is ambiguous)."""

    start: int
    end: int
    text: str
    codes: tuple[str, ...]


# ---------------------------------------------------------------------------------------------
# The gazetteer
# ---------------------------------------------------------------------------------------------

def _clean_name(name: str) -> str:
    return "".join(name.split())


class Gazetteer:
    """Divisions and central agencies, indexed for issuer resolution.

    Build with :meth:`from_store` (the tables of a corpus database) or :meth:`default` (the
    packaged data, cached). See the module docstring for the resolution rules.
    """

    def __init__(self, rows: ReferenceRows):
        self._divisions: dict[str, Division] = {}
        for r in rows.divisions:
            self._divisions[r["code"]] = Division(
                code=r["code"], name=r["name"], short_name=r["short_name"] or r["name"],
                kind=r["kind"], province_code=r["province_code"],
                prefecture_code=r["prefecture_code"], parent_code=r["parent_code"],
                aliases=tuple(r["aliases"] or ()))
        # alias -> ((code, alias_kind), ...)
        place_index: dict[str, list[tuple[str, str]]] = {}
        for r in rows.division_aliases:
            if r["code"] in self._divisions:
                place_index.setdefault(r["alias"], []).append((r["code"], r["alias_kind"]))
        self._place_index = {k: tuple(v) for k, v in place_index.items()}
        self._place_max = max((len(k) for k in self._place_index), default=0)

        self._agencies: dict[str, Agency] = {}
        for r in rows.agencies:
            self._agencies[r["agency_id"]] = Agency(
                agency_id=r["agency_id"], name=r["name"], aliases=tuple(r["aliases"] or ()),
                level=r["level"] or "central", kind=r["kind"], valid_from=r["valid_from"],
                valid_to=r["valid_to"], predecessor_ids=tuple(r["predecessor_ids"] or ()),
                successor_ids=tuple(r["successor_ids"] or ()), continued_by=r["continued_by"],
                notes=r["notes"])
        agency_index: dict[str, list[str]] = {}
        for r in rows.agency_aliases:
            agency_index.setdefault(r["alias"], []).append(r["agency_id"])
        self._agency_index = {k: tuple(v) for k, v in agency_index.items()}
        self._agency_max = max((len(k) for k in self._agency_index), default=0)
        self._prefix_map: dict[str, str] = {}
        self._prefix_exact: dict[str, str] = {}
        for r in rows.agency_doc_prefixes:
            (self._prefix_exact if r["match"] == "exact" else self._prefix_map)[r["prefix"]] = r["agency_id"]
        self._prefix_max = max((len(k) for k in self._prefix_map), default=0)
        self._continues: dict[str, list[str]] = {}  # agency -> bodies it continued
        for a in self._agencies.values():
            if a.continued_by:
                self._continues.setdefault(a.continued_by, []).append(a.agency_id)
        self._automaton = None

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def from_store(cls, store) -> "Gazetteer":
        """The gazetteer of a corpus database (its reference tables)."""
        return cls(rows_from_store(store))

    @classmethod
    def default(cls) -> "Gazetteer":
        """The gazetteer of the packaged data, built once per process."""
        return _default_gazetteer()

    # -- divisions -------------------------------------------------------------------------------
    def division(self, code: str) -> Division | None:
        return self._divisions.get(code)

    def divisions(self, kind: str | None = None) -> list[Division]:
        return [d for d in self._divisions.values() if kind is None or d.kind == kind]

    def place_codes(self, name: str) -> tuple[str, ...]:
        """Every division that answers to ``name`` (official name, short form or manual alias)."""
        return tuple(code for code, _ in self._place_index.get(_clean_name(name), ()))

    def place_names(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        """(name, codes) for every division name and alias, for NLP dictionaries; a name with
        several codes is ambiguous."""
        for alias in sorted(self._place_index):
            yield alias, tuple(code for code, _ in self._place_index[alias])

    def find_places(self, text: str) -> list[PlaceMention]:
        """Division names in free text, leftmost-longest, non-overlapping.

        Official names, manual aliases and the short forms of provinces and prefectures are
        searched; short forms of counties are not (two-character county stems such as 公安, 东方,
        城关 are ordinary words). Ambiguous names return all their codes.
        """
        if self._automaton is None:
            import ahocorasick

            automaton = ahocorasick.Automaton()
            for alias, entries in self._place_index.items():
                codes = tuple(c for c, k in entries
                              if k != "short" or self._divisions[c].kind != "county")
                if codes:
                    automaton.add_word(alias, (alias, codes))
            automaton.make_automaton()
            self._automaton = automaton
        out = []
        for end, (alias, codes) in self._automaton.iter_long(text):
            start = end - len(alias) + 1
            out.append(PlaceMention(start, end + 1, alias, codes))
        return out

    # -- agencies --------------------------------------------------------------------------------
    def agency(self, agency_id: str) -> Agency:
        try:
            return self._agencies[agency_id]
        except KeyError:
            raise UserError(f"unknown agency id {agency_id!r}: use an agency_id from the agencies "
                            "table (corpus/data/agencies.yaml)") from None

    def agencies(self) -> list[Agency]:
        return list(self._agencies.values())

    def agency_name(self, agency_id: str) -> str:
        return self.agency(agency_id).name

    def agency_names(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        """(name or alias, agency ids) for every central agency name, for NLP dictionaries."""
        for alias in sorted(self._agency_index):
            yield alias, self._agency_index[alias]

    def agency_lineage(self, agency_id: str) -> list[str]:
        """All bodies joined to ``agency_id`` by ``continued_by`` links, oldest first.

        ndrc -> ['spc', 'sdpc', 'ndrc']; miit -> ['mpt', 'mei', 'mii', 'miit']. Bodies abolished
        with their functions dispersed (setc) are not part of any other body's lineage.
        """
        self.agency(agency_id)
        seen = {agency_id}
        stack = [agency_id]
        while stack:
            cur = stack.pop()
            neighbours = list(self._continues.get(cur, ()))
            nxt = self._agencies[cur].continued_by
            if nxt:
                neighbours.append(nxt)
            for n in neighbours:
                if n not in seen:
                    seen.add(n)
                    stack.append(n)
        return sorted(seen, key=lambda a: (self._agencies[a].valid_from or 0,
                                           self._agencies[a].valid_to or 10**6, a))

    def lineage_root(self, agency_id: str) -> str:
        """The oldest body of the lineage (spc for ndrc)."""
        return self.agency_lineage(agency_id)[0]

    def map_to_current(self, agency_id: str) -> str:
        """Follow ``continued_by`` to the body that carries the lineage today (or last did):
        spc -> ndrc, mii -> miit; setc -> setc (abolished without a continuation)."""
        cur = self.agency(agency_id).agency_id
        while self._agencies[cur].continued_by:
            cur = self._agencies[cur].continued_by
        return cur

    def canonical_agency(self, agency_id: str, year: int | None) -> str | None:
        """The body of ``agency_id``'s lineage that existed in ``year``.

        ('ndrc', 1995) -> 'spc'; ('spc', 2010) -> 'ndrc'; ('ndrc', 1998) -> 'sdpc' (a reform
        year goes to the newer body). None when no body of the lineage existed then, or when the
        lineage branches and several did (samr's lineage in 2005: saic and aqsiq). ``year`` None
        returns ``agency_id`` unchanged.
        """
        agency = self.agency(agency_id)
        if year is None or agency.valid_in(year):
            return agency_id
        valid = [a for a in self.agency_lineage(agency_id) if self._agencies[a].valid_in(year)]
        return self._single_chain_latest(valid)

    def _single_chain_latest(self, ids: list[str]) -> str | None:
        """The newest of ``ids`` if they lie on one continuation chain, else None."""
        if not ids:
            return None
        ordered = sorted(ids, key=lambda a: (self._agencies[a].valid_from or 0, a))
        for older, newer in zip(ordered, ordered[1:]):
            cur = older
            while cur is not None and cur != newer:
                cur = self._agencies[cur].continued_by
            if cur != newer:
                return None
        return ordered[-1]

    def _pick_agency(self, ids: tuple[str, ...], year: int | None) -> str | None:
        if len(ids) == 1:
            return ids[0]
        if year is None:
            return None
        valid = [a for a in ids if self._agencies[a].valid_in(year)]
        if valid:
            return self._single_chain_latest(valid) if len(valid) > 1 else valid[0]
        best = min(self._agencies[a].distance(year) for a in ids)
        nearest = [a for a in ids if self._agencies[a].distance(year) == best]
        return nearest[0] if len(nearest) == 1 else None

    def _agency_at_start(self, s: str) -> tuple[str, tuple[str, ...]] | None:
        for length in range(min(self._agency_max, len(s)), 1, -1):
            ids = self._agency_index.get(s[:length])
            if ids:
                return s[:length], ids
        return None

    def agency_for_doc_number_prefix(self, prefix: str, year: int | None = None) -> str | None:
        """The central agency whose 发文字号 starts with ``prefix`` (工信部联规 -> miit, 国办函 ->
        state_council_office, 国令 / 国发 / 国 -> state_council, 发改能源 -> ndrc, 环生态 -> mee).

        Accepts the full prefix or the issuer part left by
        :func:`zhengce.corpus.tagging.doc_number_issuer_prefix`. Longest listed prefix wins; a
        one-character prefix (财, 环 ...) is not used when the next character is 政 or 府 (the
        local-government pattern). Failing a listed prefix, an agency name at the start counts
        (商务部令 -> mofcom). With ``year``, the answer moves along the agency's lineage to the
        body that existed then (环发 in 2005 -> sepa). Local prefixes (浙政发) give None.
        """
        p = _clean_name(prefix or "")
        if not p:
            return None
        agency_id = self._prefix_exact.get(p)
        if agency_id is None:
            for length in range(min(self._prefix_max, len(p)), 0, -1):
                cand = self._prefix_map.get(p[:length])
                if cand is None:
                    continue
                if length == 1 and p[1:2] and p[1] in _LOCAL_GOV_CHARS:
                    continue
                agency_id = cand
                break
        if agency_id is None:
            hit = self._agency_at_start(p[len(_PRC):] if p.startswith(_PRC) else p)
            if hit is not None:
                agency_id = self._pick_agency(hit[1], year)
        if agency_id is not None and year is not None:
            agency_id = self.canonical_agency(agency_id, year) or agency_id
        return agency_id

    # -- issuer resolution -------------------------------------------------------------------------
    def resolve_issuer(self, name: str, year: int | None = None) -> IssuerMatch | None:
        """Level, place and agency of one issuer name; None when nothing is recognized.

        Pass one issuer at a time (split joint issuers first). ``year`` (of the document)
        settles aliases used by successive bodies (国家计委: spc before 1998, sdpc 1998-2003).
        """
        if not isinstance(name, str):
            raise TypeError(f"resolve_issuer() expects a string, got {type(name).__name__}")
        s = _clean_name(name)
        if not s:
            return None
        # 1. central agencies
        for offset in ((0, len(_PRC)) if s.startswith(_PRC) else (0,)):
            hit = self._agency_at_start(s[offset:])
            if hit is None:
                continue
            alias, ids = hit
            agency_id = self._pick_agency(ids, year)
            candidates = () if agency_id is not None else ids
            rest_at = offset + len(alias)
            branch = self._resolve_place(s, rest_at, relaxed=True)
            if branch is not None:
                m, _ = branch
                return IssuerMatch(**{**m, "name": name, "agency_id": agency_id,
                                      "matched": s[:rest_at] + m["matched"],
                                      "candidates": candidates or m["candidates"]})
            return IssuerMatch(name=name, level="central", level_detail="central",
                               agency_id=agency_id, matched=s[:rest_at], body=s[rest_at:],
                               candidates=candidates)
        # 2. places
        party = False
        start = 0
        for p in _PARTY_PREFIXES:
            if s.startswith(p):
                party, start = True, len(p)
                break
        place = self._resolve_place(s, start, relaxed=False)
        if place is None:
            return None
        fields, _ = place
        return IssuerMatch(**{**fields, "name": name, "party": party})

    def _after_short(self, s: str, end: int, division: Division) -> int | None:
        """Where a short-form match may end, or None if it may not stand here."""
        if end == len(s):  # the whole string is the short form: 浙江, 北京
            return end
        for suffix in _FOLLOWING_SUFFIXES[division.kind]:
            if s.startswith(suffix, end):
                return end + len(suffix)
        if division.kind != "county" and self._place_at(s, end, division, relaxed=False):
            return end
        return None

    def _place_at(self, s: str, pos: int, parent: Division | None,
                  relaxed: bool) -> list[tuple[str, int]]:
        """(code, end) of the longest admissible division names at ``pos``."""
        if parent is not None:
            prefix = parent.code[:2] if parent.kind == "province" else parent.code[:4]
        for length in range(min(self._place_max, len(s) - pos), 1, -1):
            entries = self._place_index.get(s[pos:pos + length])
            if not entries:
                continue
            found: dict[str, int] = {}
            for code, alias_kind in entries:
                div = self._divisions[code]
                if parent is None:
                    if alias_kind == "short" and div.kind == "county":
                        continue
                elif code == parent.code or not code.startswith(prefix):
                    continue
                end = pos + length
                if alias_kind == "short":
                    after = self._after_short(s, end, div)
                    if after is None:
                        if not relaxed or div.kind == "county":
                            continue
                        after = end
                    end = after
                found.setdefault(code, end)
            if found:
                return list(found.items())
        return []

    def _resolve_place(self, s: str, start: int, relaxed: bool) -> tuple[dict, int] | None:
        pos, current = start, None
        matched_parts: list[str] = []
        while True:
            cands = self._place_at(s, pos, current, relaxed=relaxed and current is None)
            if not cands:
                break
            if len(cands) > 1:
                # A following lower-level name can settle it (吉林省吉林市 is settled by its
                # full names; a bare shared name followed by a district of only one of them too).
                settled = [(c, e) for c, e in cands
                           if self._divisions[c].kind != "county"
                           and self._place_at(s, e, self._divisions[c], relaxed=False)]
                if len(settled) == 1:
                    cands = settled
                else:
                    return self._ambiguous(s, start, pos, current, cands)
            code, end = cands[0]
            matched_parts.append(s[pos:end])
            current, pos = self._divisions[code], end
            if current.kind == "county":
                break
        if current is None:
            return None
        return self._place_fields(current, "".join(matched_parts), s[pos:]), pos

    def _place_fields(self, div: Division, matched: str, body: str) -> dict:
        province = self._divisions[div.province_code]
        prefecture = self._divisions.get(div.prefecture_code) if div.prefecture_code else None
        if div.kind == "province":
            level, detail = "provincial", "provincial"
        else:
            level, detail = "local", div.kind
        return {
            "name": "", "level": level, "level_detail": detail, "agency_id": None,
            "province": province.name, "province_code": province.code,
            "prefecture": prefecture.name if prefecture else None,
            "prefecture_code": prefecture.code if prefecture else None,
            "county": div.name if div.kind == "county" else None,
            "county_code": div.code if div.kind == "county" else None,
            "matched": matched, "body": body, "party": False, "candidates": (),
        }

    def _ambiguous(self, s: str, start: int, pos: int, parent: Division | None,
                   cands: list[tuple[str, int]]) -> tuple[dict, int] | None:
        divs = [self._divisions[c] for c, _ in cands]
        kinds = {d.kind for d in divs}
        if len(kinds) != 1:
            return None  # 吉林 alone: a province or a prefecture; the level is unknown
        kind = kinds.pop()
        end = min(e for _, e in cands)
        fields = {
            "name": "", "agency_id": None, "province": None, "province_code": None,
            "prefecture": None, "prefecture_code": None, "county": None, "county_code": None,
            "matched": s[start:end], "body": s[end:], "party": False,
            "candidates": tuple(sorted(d.code for d in divs)),
            "level": "provincial" if kind == "province" else "local",
            "level_detail": "provincial" if kind == "province" else kind,
        }
        provinces = {d.province_code for d in divs}
        if len(provinces) == 1:
            p = self._divisions[provinces.pop()]
            fields.update(province=p.name, province_code=p.code)
        prefectures = {d.prefecture_code for d in divs}
        if kind == "county" and len(prefectures) == 1 and None not in prefectures:
            p = self._divisions[prefectures.pop()]
            fields.update(prefecture=p.name, prefecture_code=p.code)
        names = {d.name for d in divs}
        if len(names) == 1 and kind != "province":
            fields["prefecture" if kind == "prefecture" else "county"] = names.pop()
        return fields, end

    # -- issuer kind -----------------------------------------------------------------------------
    def issuer_kind(self, match: IssuerMatch | None) -> str | None:
        """The issuer kind :func:`zhengce.corpus.tagging.classify_doc_type` understands
        (:data:`zhengce.corpus.tagging.ISSUER_KINDS`), or None when the match does not tell.

        Central: by agency kind (legislature and the head of state -> legislature, 国务院 ->
        state_council, 国务院办公厅 -> state_council_office, courts and procuratorate ->
        judiciary, Party organs -> party, everything else -> ministry). Local: a 中共 prefix ->
        party; then by what follows the place: 人民代表大会(常务委员会)/人大(常委会) ->
        local_people_congress, 人民政府/政府 -> local_government, 人民政府办公厅/办公室 and
        厅/局/委员会/委/办公室/办 ... -> local_department, 人民法院/人民检察院 -> judiciary.
        """
        if match is None:
            return None
        if match.level == "central" or (match.agency_id and not match.province_code):
            ids = [match.agency_id] if match.agency_id else list(match.candidates)
            kinds = {self._central_kind(a) for a in ids if a in self._agencies}
            return kinds.pop() if len(kinds) == 1 else None
        if match.agency_id:  # a local branch of a central agency
            return "ministry"
        if match.party:
            return "party"
        body = match.body
        if body.startswith(("人民代表大会", "人大")):
            return "local_people_congress"
        if body in ("人民政府", "政府"):
            return "local_government"
        if body.startswith(("人民法院", "中级人民法院", "高级人民法院", "人民检察院")):
            return "judiciary"
        if body.endswith(("厅", "局", "委员会", "委", "办公室", "办", "署", "中心", "处")):
            return "local_department"
        return None

    def _central_kind(self, agency_id: str) -> str:
        kind = self._agencies[agency_id].kind
        if agency_id == "state_council_office":
            return "state_council_office"
        return {"legislature": "legislature", "head_of_state": "legislature",
                "state_council": "state_council", "court": "judiciary",
                "procuratorate": "judiciary", "party": "party"}.get(kind, "ministry")


@functools.lru_cache(maxsize=1)
def _default_gazetteer() -> Gazetteer:
    return Gazetteer(build_reference_rows())
