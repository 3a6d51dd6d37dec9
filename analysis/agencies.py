"""Industrial-policy documents per year by agency lineage (NDRC, MIIT, SASAC; Tan 2021, ch. 4).

Agencies were renamed, merged and split, so counts over time must follow *lineages*:

* 国家计划委员会 (SPC) → 国家发展计划委员会 (SDPC, 1998) → 国家发展和改革委员会 (NDRC, 2003);
* 信息产业部 (MII, 1998) → 工业和信息化部 (MIIT, 2008);
* SASAC (国务院国有资产监督管理委员会) created in 2003, with no predecessor of its own.

Lineage rule (:func:`lineage_members`): the gazetteer's — bodies joined by ``continued_by`` links
in ``corpus/data/agencies.yaml`` (:meth:`corpus.gazetteer.Gazetteer.agency_lineage`: ndrc →
spc, sdpc, ndrc; miit → mpt, mei, mii, miit). A body abolished with its functions dispersed
(国家经济贸易委员会 SETC in 2003 → NDRC, MOFCOM, SASAC; 国防科工委 COSTIND in 2008) continues no
lineage: it is listed as a *break* of the lineages it fed, and its documents are not counted, so
nothing is counted twice. An agency that lives on after handing over functions (NDRC in 2008, to
MIIT) is never a predecessor. For an agencies table without ``continued_by`` the fallback rule
is: a predecessor joins when it ceased to exist and all its successors are in the lineage.

Industrial policy (the rule the figure uses): a document with at least one manufacturing sector in
``document_sectors`` — GB/T 4754-2017 section C, divisions 13–43. A document counts once for a
lineage when any of its issuers (``agency_ids``; ``lead_only=True``: the lead issuer
``agency_id`` only) belongs to the lineage, so a joint document of NDRC and MIIT counts for both.
"""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass
from typing import Mapping

import pandas as pd

from zhengce.common.errors import UserError
from zhengce.corpus.reference import build_reference_tables

from .data import has_table

# Lineage label → id of its current agency in the gazetteer.
DEFAULT_LINEAGES: dict[str, str] = {"NDRC": "ndrc", "MIIT": "miit", "SASAC": "sasac"}
# Creation years when the agencies table lacks valid_from (historical fact, Tan 2021).
KNOWN_CREATION = {"ndrc": 2003, "sasac": 2003, "miit": 2008}
MANUFACTURING_DIVISIONS = range(13, 44)  # GB/T 4754-2017 section C: divisions 13–43


def is_manufacturing(code: str | None) -> bool:
    """True for a GB/T 4754-2017 manufacturing code: section letter 'C' and/or a division
    13–43 as the first two digits (e.g. 'C36', '36', '3612', 'C3612')."""
    if not code:
        return False
    match = re.match(r"^C?(\d{2})", str(code).strip().upper())
    return bool(match) and int(match.group(1)) in MANUFACTURING_DIVISIONS


def _json_list(value) -> list[str]:
    if value is None or (isinstance(value, float) and value != value) or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    try:
        out = json.loads(value)
    except (TypeError, ValueError):
        return [v.strip() for v in str(value).split(",") if v.strip()]
    return [str(v) for v in out] if isinstance(out, list) else [str(out)]


def _year(value) -> int | None:
    if value is None or value == "":
        return None
    match = re.match(r"^(\d{4})", str(value))
    return int(match.group(1)) if match else None


def agencies_table(store) -> pd.DataFrame:
    """The ``agencies`` reference table with list columns parsed and years as integers."""
    if not has_table(store, "agencies"):
        raise UserError("the store has no agencies table (the gazetteer writes it): open the "
                        "store with Store.open so the reference tables are created")
    build_reference_tables(store)  # an explicit step: opening a store only migrates it
    rows = list(store.db.query("select * from agencies"))
    frame = pd.DataFrame(rows)
    if frame.empty:
        raise UserError("the agencies table is empty: the gazetteer did not load its agency list")
    for col in ("predecessor_ids", "successor_ids"):
        frame[col] = [_json_list(v) for v in frame.get(col, pd.Series([None] * len(frame)))]
    frame["from_year"] = [_year(v) for v in frame.get("valid_from", pd.Series([None] * len(frame)))]
    frame["to_year"] = [_year(v) for v in frame.get("valid_to", pd.Series([None] * len(frame)))]
    return frame.set_index("agency_id", drop=False)


@dataclass
class Lineage:
    label: str
    root: str
    members: list[str]          # oldest first, the current agency last
    created: int | None         # the root's creation year
    names: dict[str, str]       # member id → name
    breaks: list[str]           # predecessors outside the lineage (split bodies, partial transfers)
    source: str                 # 'gazetteer' or 'agencies table'
    first_year: int | None = None  # earliest year any member existed (None: unknown)

    @property
    def chain_label(self) -> str:
        return " → ".join(m.upper() for m in self.members)


def _walk_continued_by(table: pd.DataFrame, root: str) -> list[str]:
    """Bodies joined to ``root`` by ``continued_by`` links (the gazetteer's lineage rule)."""
    continues: dict[str, list[str]] = {}
    for aid, nxt in table["continued_by"].items():
        if isinstance(nxt, str) and nxt:
            continues.setdefault(nxt, []).append(str(aid))
    seen, stack = {root}, [root]
    while stack:
        cur = stack.pop()
        nxt = table.loc[cur, "continued_by"] if cur in table.index else None
        for n in continues.get(cur, []) + ([nxt] if isinstance(nxt, str) and nxt else []):
            if n not in seen:
                seen.add(n)
                stack.append(n)
    return list(seen)


def _walk_predecessors(table: pd.DataFrame, root: str) -> list[str]:
    """Without ``continued_by``: a predecessor joins when it ceased to exist and all its
    successors are in the lineage (renamed, not split)."""
    members, queue = [root], deque([root])
    while queue:
        current = queue.popleft()
        for pred in table.loc[current, "predecessor_ids"]:
            if pred in members or pred not in table.index:
                continue
            row = table.loc[pred]
            successors = set(row["successor_ids"]) or {current}
            ceased = row["to_year"] is not None and not pd.isna(row["to_year"])
            if ceased and successors <= set(members) | {current}:
                members.append(pred)
                queue.append(pred)
    return members


def lineage_members(store, root: str, label: str | None = None, *,
                    agencies: pd.DataFrame | None = None) -> Lineage:
    """The lineage of ``root``: :meth:`corpus.gazetteer.Gazetteer.agency_lineage` on the store's
    reference tables, or — for a given ``agencies`` frame — the same ``continued_by`` walk (or
    the predecessor rule of the module docstring when the frame has no ``continued_by``)."""
    table = agencies if agencies is not None else agencies_table(store)
    if "agency_id" in table.columns and table.index.name != "agency_id":
        table = table.set_index("agency_id", drop=False)
    if root not in table.index:
        raise UserError(f"agency id {root!r} is not in the agencies table: use one of "
                        f"{sorted(table.index)[:15]} …")
    for col in ("predecessor_ids", "successor_ids"):
        table[col] = [_json_list(v) for v in table[col]] if col in table.columns else [[]] * len(table)
    if "from_year" not in table.columns:
        table["from_year"] = [_year(v) for v in table.get("valid_from", [None] * len(table))]
        table["to_year"] = [_year(v) for v in table.get("valid_to", [None] * len(table))]
    members: list[str] | None = None
    source = "agencies table"
    if agencies is None:
        try:
            from zhengce.corpus.gazetteer import Gazetteer

            members = list(Gazetteer.from_store(store).agency_lineage(root))
            source = "gazetteer"
        except ImportError:
            members = None
    if members is None:
        members = (_walk_continued_by(table, root) if "continued_by" in table.columns
                   else _walk_predecessors(table, root))

    def start(a: str) -> tuple:
        y = table.loc[a, "from_year"] if a in table.index else None
        return (0 if y is None or pd.isna(y) else int(y), a)

    members = sorted(members, key=start)
    breaks = sorted({p for m in members if m in table.index for p in table.loc[m, "predecessor_ids"]
                     if p not in members})
    names = {m: str(table.loc[m].get("name") or m) for m in members + breaks if m in table.index}
    created = table.loc[root, "from_year"]
    if created is None or pd.isna(created):
        created = KNOWN_CREATION.get(root)
    starts = [table.loc[m, "from_year"] for m in members if m in table.index]
    starts = [int(y) for y in starts if y is not None and not pd.isna(y)]
    return Lineage(label=label or root.upper(), root=root, members=members,
                   created=int(created) if created is not None else None, names=names,
                   breaks=breaks, source=source, first_year=min(starts) if starts else None)


def industrial_doc_ids(store) -> set[str]:
    """Documents with at least one manufacturing sector in ``document_sectors``."""
    if not has_table(store, "document_sectors"):
        return set()
    codes = store.db.execute("select distinct sector_code from document_sectors").fetchall()
    keep = [c[0] for c in codes if is_manufacturing(c[0])]
    out: set[str] = set()
    for start in range(0, len(keep), 500):
        chunk = keep[start:start + 500]
        out.update(r[0] for r in store.db.execute(
            f"select distinct doc_id from document_sectors where sector_code in "
            f"({', '.join('?' for _ in chunk)})", chunk))
    return out


def agency_counts(store, lineages: Mapping[str, str] = DEFAULT_LINEAGES, *,
                  industrial_only: bool = True, lead_only: bool = False,
                  year_range: tuple[int, int] | None = None,
                  agencies: pd.DataFrame | None = None) -> tuple[pd.DataFrame, dict[str, Lineage]]:
    """Documents per year and lineage.

    Returns (counts, lineages): counts has columns lineage, year, n_docs, n_predecessor (documents
    issued under a predecessor's name, included in n_docs), created; every year between the first
    and last year with any counted document appears for every lineage (zeros included), so lines
    do not skip years.
    """
    resolved = {label: lineage_members(store, root, label, agencies=agencies)
                for label, root in lineages.items()}
    member_of: dict[str, list[str]] = {}
    for label, lin in resolved.items():
        for m in lin.members:
            member_of.setdefault(m, []).append(label)
    rows = store.db.execute("select doc_id, year, agency_id, agency_ids from documents "
                            "where year is not null").fetchall()
    keep = industrial_doc_ids(store) if industrial_only else None
    records = []
    for doc_id, year, lead, ids in rows:
        if keep is not None and doc_id not in keep:
            continue
        if year_range and not year_range[0] <= int(year) <= year_range[1]:
            continue
        issuers = [lead] if lead_only else (_json_list(ids) or ([lead] if lead else []))
        hit: dict[str, bool] = {}
        for agency in issuers:
            for label in member_of.get(agency, []):
                # a document counts once per lineage; "predecessor" only when no issuer is the root
                hit[label] = hit.get(label, True) and agency != resolved[label].root
        for label, via_predecessor in hit.items():
            records.append({"lineage": label, "year": int(year), "predecessor": via_predecessor})
    frame = pd.DataFrame(records, columns=["lineage", "year", "predecessor"])
    if frame.empty:
        counts = pd.DataFrame(columns=["lineage", "year", "n_docs", "n_predecessor", "created"])
        return counts, resolved
    grouped = frame.groupby(["lineage", "year"]).agg(n_docs=("predecessor", "size"),
                                                     n_predecessor=("predecessor", "sum"))
    years = range(int(frame["year"].min()), int(frame["year"].max()) + 1)
    full = pd.MultiIndex.from_product([list(lineages), years], names=["lineage", "year"])
    counts = grouped.reindex(full, fill_value=0).reset_index()
    counts["n_docs"] = counts["n_docs"].astype(int)
    counts["n_predecessor"] = counts["n_predecessor"].astype(int)
    counts["created"] = counts["lineage"].map({k: v.created for k, v in resolved.items()})
    return counts, resolved


def lineage_table(lineages: Mapping[str, Lineage]) -> pd.DataFrame:
    """One row per lineage member (and break), for the report."""
    rows = []
    for label, lin in lineages.items():
        for m in lin.members:
            rows.append({"lineage": label, "agency_id": m, "name": lin.names.get(m, m),
                         "role": "current" if m == lin.root else "predecessor (mapped)",
                         "lineage_created": lin.created, "source": lin.source})
        for b in lin.breaks:
            rows.append({"lineage": label, "agency_id": b, "name": lin.names.get(b, b),
                         "role": "break (split or still existing; not mapped)",
                         "lineage_created": lin.created, "source": lin.source})
    return pd.DataFrame(rows, columns=["lineage", "agency_id", "name", "role", "lineage_created",
                                       "source"])
