"""Manufacturing sectors (GB/T 4754-2017, section C) and keyword matching of documents to them.

The taxonomy (``corpus/data/sectors.yaml``) has all 31 manufacturing divisions (大类, 13-43),
all 179 groups (中类, three digits) and the classes (小类, four digits) that research on strategic
industries needs (3612 新能源车整车制造, 3973 集成电路制造 ...). Each sector carries Chinese
keywords that signal it in policy texts; each keyword belongs to exactly one sector.

Matching rule of :func:`match_sectors` (Tan 2021 tags regulations to "over 120 manufacturing
sectors" by their subject; this is the transparent keyword version):

1. Keywords are found in the title and in the text separately, leftmost-longest and without
   overlap (Aho-Corasick), so 新能源汽车 counts once, for 3612, not again for 汽车 (division 36).
2. A hit counts for its own sector and for every sector above it: a class's hits are evidence
   for its group and division, a group's for its division.
3. A sector matches when its evidence has at least one hit in the title, or at least
   ``min_text_matches`` (default 2) hits in the text. A single passing mention in a long text
   does not make a document about a sector.

Each :class:`SectorMatch` reports the sector code, the distinct terms that made the evidence
(sorted), and the number of hits (title + text). Two named comparison sets for analysis,
``automotive`` and ``semiconductors``, are in :attr:`SectorTaxonomy.sets`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Iterable, Mapping

from zhengce.common.errors import UserError
from .reference import build_reference_tables, build_sector_rows

MIN_TEXT_MATCHES = 2


@dataclass(frozen=True)
class Sector:
    code: str
    name: str
    kind: str  # division / group / class
    parent_code: str | None
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class SectorMatch:
    """sector_code: GB/T 4754-2017 code; matched_terms: distinct keywords behind the match,
    sorted; n_matches: keyword hits in title and text (own and lower-level sectors');
    n_title_matches: the hits in the title alone."""

    sector_code: str
    matched_terms: tuple[str, ...]
    n_matches: int
    n_title_matches: int = 0


class SectorTaxonomy:
    """Sectors, their keyword automaton, and the named comparison sets."""

    def __init__(self, sectors: Iterable[Sector | Mapping], sets: Mapping[str, Iterable[str]] | None = None,
                 *, min_text_matches: int = MIN_TEXT_MATCHES):
        if not isinstance(min_text_matches, int) or min_text_matches < 1:
            raise UserError(f"min_text_matches must be a positive integer, got {min_text_matches!r}")
        self.min_text_matches = min_text_matches
        self.sectors: dict[str, Sector] = {}
        for s in sectors:
            if not isinstance(s, Sector):
                s = Sector(code=s["code"], name=s["name"], kind=s["kind"],
                           parent_code=s.get("parent_code"), keywords=tuple(s.get("keywords") or ()))
            self.sectors[s.code] = s
        self.sets: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in (sets or {}).items()}
        for name, codes in self.sets.items():
            unknown = [c for c in codes if c not in self.sectors]
            if unknown:
                raise UserError(f"sector set {name!r} names unknown sector codes {unknown}")
        # Codes a hit on each sector is evidence for: itself and everything above it.
        self._lineage: dict[str, tuple[str, ...]] = {}
        for code in self.sectors:
            chain, cur = [], code
            while cur is not None:
                chain.append(cur)
                cur = self.sectors[cur].parent_code if cur in self.sectors else None
            self._lineage[code] = tuple(chain)
        import ahocorasick

        self._automaton = ahocorasick.Automaton()
        n_words = 0
        for s in self.sectors.values():
            for kw in s.keywords:
                self._automaton.add_word(kw, (kw, s.code))
                n_words += 1
        self._has_words = n_words > 0
        if self._has_words:
            self._automaton.make_automaton()

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def default(cls) -> "SectorTaxonomy":
        """The packaged taxonomy, built once per process."""
        return _default_taxonomy()

    @classmethod
    def from_store(cls, store, *, min_text_matches: int = MIN_TEXT_MATCHES) -> "SectorTaxonomy":
        """The taxonomy in a corpus database's ``sectors`` and ``sector_sets`` tables."""
        import json

        build_reference_tables(store)
        rows = [{"code": c, "name": n, "kind": k, "parent_code": p,
                 "keywords": json.loads(kw) if kw else []}
                for c, n, k, p, kw in store.db.execute(
                    "select code, name, kind, parent_code, keywords from sectors")]
        sets: dict[str, list[str]] = {}
        for set_name, code in store.db.execute("select set_name, code from sector_sets order by code"):
            sets.setdefault(set_name, []).append(code)
        return cls(rows, sets, min_text_matches=min_text_matches)

    # -- queries ---------------------------------------------------------------------------------
    def codes(self, kind: str | None = None) -> list[str]:
        return sorted(c for c, s in self.sectors.items() if kind is None or s.kind == kind)

    def set_codes(self, name: str) -> tuple[str, ...]:
        try:
            return self.sets[name]
        except KeyError:
            raise UserError(f"unknown sector set {name!r}: one of {sorted(self.sets)}") from None

    def in_set(self, codes: Iterable[str], name: str) -> bool:
        """True when any of a document's sector codes is in the named set."""
        members = set(self.set_codes(name))
        return any(c in members for c in codes)

    def _count(self, text: str) -> dict[str, dict[str, int]]:
        """sector code -> {term: hits}, each hit credited to its sector and all above it."""
        out: dict[str, dict[str, int]] = {}
        if not text or not self._has_words:
            return out
        for _, (term, code) in self._automaton.iter_long(text):
            for c in self._lineage[code]:
                terms = out.setdefault(c, {})
                terms[term] = terms.get(term, 0) + 1
        return out

    def match(self, title: str, text: str) -> list[SectorMatch]:
        """Sectors of one document by the rule in the module docstring, ordered by code."""
        if not isinstance(title, str) or not isinstance(text, str):
            raise TypeError("match_sectors() expects title and text as strings "
                            f"(got {type(title).__name__}, {type(text).__name__})")
        in_title, in_text = self._count(title), self._count(text)
        out = []
        for code in sorted(in_title.keys() | in_text.keys()):
            t_hits = sum(in_title.get(code, {}).values())
            x_hits = sum(in_text.get(code, {}).values())
            if t_hits >= 1 or x_hits >= self.min_text_matches:
                terms = sorted(in_title.get(code, {}).keys() | in_text.get(code, {}).keys())
                out.append(SectorMatch(code, tuple(terms), t_hits + x_hits, t_hits))
        return out


@functools.lru_cache(maxsize=1)
def _default_taxonomy() -> SectorTaxonomy:
    rows, set_rows = build_sector_rows()
    sets: dict[str, list[str]] = {}
    for r in set_rows:
        sets.setdefault(r["set_name"], []).append(r["code"])
    return SectorTaxonomy(rows, sets)


def is_manufacturing(code: str | None) -> bool:
    """True for a GB/T 4754-2017 manufacturing code: an optional section letter C, then a
    division 13-43 as the first two digits ('36', '3612', 'C36', 'C3612'); False otherwise."""
    if not code:
        return False
    c = str(code).strip().upper()
    if c.startswith("C"):
        c = c[1:]
    return len(c) in (2, 3, 4) and c.isdigit() and 13 <= int(c[:2]) <= 43


def match_sectors(title: str, text: str, taxonomy: SectorTaxonomy | None = None) -> list[SectorMatch]:
    """Manufacturing sectors a document is about (see the module docstring for the rule)."""
    return (taxonomy or SectorTaxonomy.default()).match(title, text)
