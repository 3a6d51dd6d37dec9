"""Strategy mix over time in two sectors (Tan 2021, ch. 5: automotive vs semiconductors).

A document belongs to a sector when ``document_sectors`` tags it with one of the sector's
GB/T 4754-2017 codes, or with a finer code under one of them (code prefix match: '36' covers
'361' and '3612'; a leading section letter 'C' is ignored on both sides). A document tagged with
both sectors counts in both panels. The default pair comes from ``corpus.sectors`` (its
comparison sets, table ``sector_sets``) when the store has them, else the GB/T codes below.
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

import pandas as pd

from zhengce.common.errors import UserError
from zhengce.corpus.reference import build_reference_tables

from .data import StrategyData, has_table

# Fallback definitions (GB/T 4754-2017): 36 汽车制造业; 3972 半导体分立器件制造,
# 3973 集成电路制造, 3562 半导体器件专用设备制造.
FALLBACK_COMPARISON: dict[str, tuple[str, ...]] = {
    "automotive": ("36",),
    "semiconductors": ("3972", "3973", "3562"),
}
SECTOR_TITLES = {"automotive": "Automotive 汽车", "semiconductors": "Semiconductors 集成电路/半导体"}


def _strip(code: str) -> str:
    return re.sub(r"^[A-Z]", "", str(code).strip().upper())


DEFAULT_PAIR = ("automotive", "semiconductors")


def default_comparison(store=None, pair: Sequence[str] = DEFAULT_PAIR) -> dict[str, tuple[str, ...]]:
    """The comparison sets ``pair``: from the store's ``sector_sets`` table (written by the
    gazetteer from corpus/data/sectors.yaml), else the fallback codes above."""
    if store is not None and has_table(store, "sector_sets"):
        build_reference_tables(store)  # an explicit step: opening a store only migrates it
        rows = store.db.execute("select set_name, code from sector_sets").fetchall()
        sets: dict[str, list[str]] = {}
        for name, code in rows:
            sets.setdefault(str(name), []).append(str(code))
        if all(p in sets for p in pair):
            return {p: tuple(sorted(sets[p])) for p in pair}
    return {p: FALLBACK_COMPARISON[p] for p in pair if p in FALLBACK_COMPARISON}


def resolve_sectors(spec: Mapping[str, Sequence[str]] | Sequence[str] | None,
                    store=None) -> dict[str, tuple[str, ...]]:
    """``None`` → the default pair; a list of codes or set names → one sector each (a name of a
    ``sector_sets`` set stands for its codes); a mapping label → codes as given."""
    if spec is None:
        out = default_comparison(store)
    elif isinstance(spec, Mapping):
        out = {str(k): tuple([v] if isinstance(v, str) else v) for k, v in spec.items()}
    else:
        named = default_comparison(store, [s for s in spec if not str(s).strip().isdigit()]) \
            if any(not str(s).strip().isdigit() for s in spec) else {}
        out = {}
        for item in spec:
            item = str(item).strip()
            if item.isdigit():
                out[item] = (item,)
            elif item in named:
                out[item] = named[item]
            else:
                raise UserError(f"sector {item!r} is neither a GB/T 4754 code nor a comparison set "
                                "(automotive, semiconductors, or a set of the sector_sets table)")
    if len(out) < 1 or any(not codes for codes in out.values()):
        raise UserError("each sector needs at least one GB/T 4754 code, e.g. --sectors 36,3973")
    return out


def sector_memberships(store, sectors: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """(doc_id, sector) pairs for the given sector definitions."""
    if not has_table(store, "document_sectors"):
        return pd.DataFrame(columns=["doc_id", "sector"])
    rows = store.db.execute("select doc_id, sector_code from document_sectors").fetchall()
    wanted = {label: [_strip(c) for c in codes] for label, codes in sectors.items()}
    pairs = set()
    for doc_id, code in rows:
        code = _strip(code or "")
        for label, prefixes in wanted.items():
            if any(code.startswith(p) for p in prefixes):
                pairs.add((doc_id, label))
    return pd.DataFrame(sorted(pairs), columns=["doc_id", "sector"])


def sector_frame(store, data: StrategyData, sectors: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """The analysis frame restricted to the sectors, one row per (run, document, sector)."""
    members = sector_memberships(store, sectors)
    frame = data.frame.merge(members, on="doc_id", how="inner")
    frame["sector"] = pd.Categorical(frame["sector"], categories=list(sectors))
    return frame
