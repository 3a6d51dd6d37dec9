"""Which documents an export takes: the filter, checked against the store.

A filter value that matches nothing the store knows is an error that lists the valid values,
never a silent empty export. Names are accepted where the report accepts them: agency names and
aliases (tables ``agencies`` / ``agency_aliases``: 国务院 → state_council), sector set names
(table ``sector_sets``: automotive → 36, 361 …) and sector names (汽车制造业). Values are matched
exactly or, for codes and province names, as a prefix — never as SQL ``LIKE`` patterns, so
``%`` and ``_`` are ordinary characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Sequence

from zhengce.common.errors import UserError
from .store import Store

LEVELS = ("central", "provincial", "local")
#: years an export filter can name (the corpus runs from 1949; a margin either side)
YEAR_RANGE = (1000, 2999)


@dataclass
class ExportFilter:
    levels: Sequence[str] = ()
    year_from: int | None = None
    year_to: int | None = None
    regions: Sequence[str] = ()  # province / prefecture / county names or codes
    agencies: Sequence[str] = ()  # agency ids (names and aliases once resolved)
    sectors: Sequence[str] = ()  # codes; a division code matches its groups too
    doc_types: Sequence[str] = ()
    sources: Sequence[str] = ()

    def sql(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []

        def any_of(column: str, values: Sequence[str]) -> None:
            clauses.append(f"{column} in ({', '.join('?' for _ in values)})")
            params.extend(values)

        if self.levels:
            bad = sorted(set(self.levels) - set(LEVELS))
            if bad:
                raise UserError(f"--level {', '.join(bad)}: use central, provincial or local")
            any_of("d.level", self.levels)
        if self.year_from is not None:
            clauses.append("d.year >= ?")
            params.append(self.year_from)
        if self.year_to is not None:
            clauses.append("d.year <= ?")
            params.append(self.year_to)
        if self.regions:
            sub = []
            for region in self.regions:
                # substr(...) = ?: a prefix match (浙江 → 浙江省) where % and _ mean themselves
                sub.append("(d.province = ? or d.prefecture = ? or d.county = ? or d.province_code = ? "
                           "or d.prefecture_code = ? or d.county_code = ? "
                           "or substr(d.province, 1, length(?)) = ?)")
                params.extend([region] * 8)
            clauses.append("(" + " or ".join(sub) + ")")
        if self.agencies:
            any_of("d.agency_id", self.agencies)
        if self.doc_types:
            any_of("d.doc_type", self.doc_types)
        if self.sources:
            any_of("d.source", self.sources)
        if self.sectors:
            sub = " or ".join("substr(ds.sector_code, 1, length(?)) = ?" for _ in self.sectors)
            clauses.append(f"d.doc_id in (select ds.doc_id from document_sectors ds where {sub})")
            for code in self.sectors:
                params.extend([code, code])
        return (" and ".join(clauses) or "1"), params


def parse_years(text: str | None) -> tuple[int | None, int | None]:
    """``"1995-2010"`` → (1995, 2010); ``"1995-"`` and ``"-2010"`` leave one end open."""
    if not text:
        return None, None
    match = re.fullmatch(r"\s*(\d*)\s*-\s*(\d*)\s*|\s*(\d+)\s*", text)
    if not match:
        raise UserError(f"--years {text!r}: write it as FROM-TO, e.g. 1995-2010")
    if match.group(3):
        year_from = year_to = _year(match.group(3), text)
    else:
        year_from = _year(match.group(1), text) if match.group(1) else None
        year_to = _year(match.group(2), text) if match.group(2) else None
    if year_from is not None and year_to is not None and year_from > year_to:
        raise UserError(f"--years {text!r}: FROM is after TO; write {year_to}-{year_from}")
    return year_from, year_to


def _year(digits: str, text: str) -> int:
    if len(digits) > 4 or not YEAR_RANGE[0] <= int(digits) <= YEAR_RANGE[1]:
        raise UserError(f"--years {text!r}: {digits} is not a year; write FROM-TO with "
                        "four-digit years, e.g. 1995-2010")
    return int(digits)


def _listing(values: Sequence[str], limit: int = 40) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f" … ({len(values):,} in all)" if len(values) > limit else "")


def _distinct(store: Store, column: str) -> list[str]:
    return [str(r[0]) for r in store.db.execute(
        f"select distinct [{column}] from documents where [{column}] is not null order by 1")]


def _has_rows(store: Store, table: str) -> bool:
    return table in store.db.table_names() and store.db[table].count > 0


def _resolve_agencies(store: Store, values: Sequence[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        ids = {r[0] for r in store.db.execute(
            "select agency_id from agencies where agency_id = ? or name = ? "
            "union select agency_id from agency_aliases where alias = ?", [value] * 3)} \
            if _has_rows(store, "agencies") else set()
        ids |= {value} if value in _distinct(store, "agency_id") else set()
        if not ids:
            present = [f"{a} ({n})" if n else a for a, n in store.db.execute(
                "select d.agency_id, a.name from (select distinct agency_id from documents "
                "where agency_id is not null) d left join agencies a using (agency_id) order by 1")
                ] if _has_rows(store, "agencies") else _distinct(store, "agency_id")
            raise UserError(f"--agency {value!r} is no agency id, name or alias; agencies of this "
                            f"corpus: {_listing(present)}")
        out.extend(sorted(ids - set(out)))
    return out


def _resolve_sectors(store: Store, values: Sequence[str]) -> list[str]:
    from .sectors import SectorTaxonomy

    taxonomy = SectorTaxonomy.from_store(store)
    by_name = {sector.name: code for code, sector in taxonomy.sectors.items()}
    out: list[str] = []
    for value in values:
        if value in taxonomy.sets:
            codes = list(taxonomy.sets[value])
        elif value in taxonomy.sectors:
            codes = [value]
        elif value in by_name:
            codes = [by_name[value]]
        else:
            raise UserError(f"--sector {value!r} is no GB/T 4754 code, sector name or sector set; "
                            f"sets: {', '.join(sorted(taxonomy.sets))}; codes, e.g. "
                            f"{_listing([f'{c} {taxonomy.sectors[c].name}' for c in taxonomy.codes('division')], 12)} "
                            "(zhengce's sectors table lists them all)")
        out.extend(c for c in codes if c not in out)
    return out


def _check_regions(store: Store, values: Sequence[str]) -> None:
    for value in values:
        where, params = ExportFilter(regions=[value]).sql()
        if store.db.execute(f"select 1 from documents d where {where} limit 1", params).fetchone():
            continue
        raise UserError(f"--region {value!r} matches no document's province, prefecture or "
                        f"county (name or GB/T 2260 code); provinces of this corpus: "
                        f"{_listing(_distinct(store, 'province'))}")


def _check_listed(store: Store, option: str, column: str, values: Sequence[str]) -> None:
    present = _distinct(store, column)
    bad = [v for v in values if v not in present]
    if bad:
        raise UserError(f"{option} {', '.join(map(repr, bad))}: not in this corpus; "
                        f"values: {_listing(present)}")


def resolve_filter(store: Store, flt: ExportFilter) -> ExportFilter:
    """``flt`` with names turned into ids/codes, every value checked against the store."""
    bad_levels = sorted(set(flt.levels) - set(LEVELS))
    if bad_levels:
        raise UserError(f"--level {', '.join(bad_levels)}: use central, provincial or local")
    _check_regions(store, flt.regions)
    _check_listed(store, "--doc-type", "doc_type", flt.doc_types)
    _check_listed(store, "--source", "source", flt.sources)
    return replace(flt, agencies=_resolve_agencies(store, flt.agencies) if flt.agencies else (),
                   sectors=_resolve_sectors(store, flt.sectors) if flt.sectors else ())
