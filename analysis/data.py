"""Reading the strategy measures out of the store into one analysis frame.

Two measures of Tan's (2021) directive / developmental / regulatory mix can be in a store:

* ``strategy_shares`` (run_id, doc_id, category, share), written by the topic stage
  (``nlp.labels.save_topic_run``): s_dc = Σ_{k: category(k) = c} θ_dk, one row per document and
  category, 'other' included, rows summing to 1 per document. Several topic runs may exist;
  *restarts* of one model (same parameters, other ``random_state``) are pooled by the analyses so
  that model-fitting uncertainty shows in the intervals.
* ``dictionary_scores`` (run_id, doc_id, category, share_of_scheme, ...): the transparent seed-term
  measure of ``nlp.scheme.dictionary_scores``. Its per-document mix is ``share_of_scheme`` (the
  category's share of all seed hits in the document); documents with no seed term have no mix and
  are left out (and counted in :attr:`StrategyData.excluded`).

:func:`load_strategy_data` returns a :class:`StrategyData`: one row per (run, document) with the
document's level, year, period, issuer and one column per category. Documents that cannot enter an
analysis (no year, no level, no score in the run) are counted by reason, never dropped silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from zhengce.common.errors import UserError
from zhengce.common.periods import WTO_YEAR, is_post

LEVELS: tuple[str, ...] = ("central", "provincial", "local")
STRATEGIES: tuple[str, ...] = ("directive", "developmental", "regulatory")
OTHER = "other"
TOPIC_STAGE = "topics"
DICTIONARY_STAGE = "dictionary_scores"
MEASURES = ("auto", "topics", "dictionary")
# Parameters that only reseed a model: runs that differ in nothing else are restarts of one model.
SEED_PARAM_HINTS = ("random_state", "seed")


def has_table(store, name: str) -> bool:
    return name in store.db.table_names()


def _json(value: str | None) -> Any:
    if not value:
        return {}
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return {}


# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------

def topic_runs(store) -> pd.DataFrame:
    """Successful runs that wrote ``strategy_shares``, newest first.

    Columns: run_id, stage, started_at, params (dict), summary (dict), manifest (dict), n_docs.
    Runs of stage 'topics' come first; a run of another stage that wrote strategy shares is
    listed after them (kept, so hand-inserted or imported shares can be analysed too).
    """
    cols = ["run_id", "stage", "started_at", "params", "summary", "manifest", "n_docs"]
    if not has_table(store, "strategy_shares"):
        return pd.DataFrame(columns=cols)
    counts = dict(store.db.execute(
        "select run_id, count(distinct doc_id) from strategy_shares group by run_id").fetchall())
    if not counts:
        return pd.DataFrame(columns=cols)
    rows = []
    known = {r[0]: r for r in store.db.execute(
        "select run_id, stage, status, started_at, params, summary, manifest, rowid from runs "
        f"where run_id in ({', '.join('?' for _ in counts)})", list(counts)).fetchall()}
    for run_id, n in counts.items():
        r = known.get(run_id)
        if r is not None and r[2] != "ok":
            continue  # a failed or unfinished run's rows are not results
        rows.append({"run_id": run_id, "stage": r[1] if r else None, "started_at": r[3] if r else None,
                     "params": _json(r[4]) if r else {}, "summary": _json(r[5]) if r else {},
                     "manifest": _json(r[6]) if r else {}, "n_docs": int(n),
                     "_topic": (r is not None and r[1] == TOPIC_STAGE), "_rowid": r[7] if r else -1})
    if not rows:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame(rows).sort_values(["_topic", "started_at", "_rowid"],
                                        ascending=[False, False, False], na_position="last")
    return df[cols].reset_index(drop=True)


def latest_topic_run(store) -> str | None:
    runs = topic_runs(store)
    return None if runs.empty else str(runs.iloc[0]["run_id"])


def _without_seeds(params: dict) -> dict:
    return {k: v for k, v in params.items()
            if not any(h in k.lower() for h in SEED_PARAM_HINTS)}


def restarts_of(store, run_id: str) -> list[str]:
    """``run_id`` and every other topic run with the same parameters except seeds (restarts).

    Two runs are restarts of one model when their ``params`` are equal after removing keys that
    name a seed (``*random_state*``, ``*seed*``), and both are topic runs.
    """
    runs = topic_runs(store)
    if run_id not in set(runs["run_id"]):
        raise UserError(f"run {run_id!r} has no strategy shares: pick one of "
                        f"{list(runs['run_id'])[:10] or 'none (run zhengce topics first)'}")
    me = runs.set_index("run_id").loc[run_id]
    key = json.dumps(_without_seeds(me["params"]), sort_keys=True, default=str)
    out = [run_id]
    for r in runs.itertuples():
        if r.run_id != run_id and r.stage == me["stage"] and \
                json.dumps(_without_seeds(r.params), sort_keys=True, default=str) == key:
            out.append(r.run_id)
    return out


def dictionary_runs(store) -> list[str]:
    """Successful ``dictionary_scores`` runs, newest first."""
    if not has_table(store, "dictionary_scores"):
        return []
    return [r[0] for r in store.db.execute(
        "select r.run_id from runs r where r.status = 'ok' and r.run_id in "
        "(select distinct run_id from dictionary_scores) order by r.started_at desc, r.rowid desc")]


# ---------------------------------------------------------------------------------------------
# The analysis frame
# ---------------------------------------------------------------------------------------------

@dataclass
class StrategyData:
    """One row per (run, document) with covariates and one column per category.

    ``frame`` columns: run_id, doc_id, level, year, period ('pre'/'post'), post (0/1), agency_id,
    issuer_raw, issuer (the cluster: agency_id, else issuer_raw, else the doc_id itself),
    province, n_chars, then ``categories``.
    ``measure``: 'topics' or 'dictionary'; ``run_ids``: the runs pooled (restarts);
    ``excluded``: documents left out, by reason (counts).
    """

    frame: pd.DataFrame
    categories: list[str]
    measure: str
    run_ids: list[str]
    excluded: dict[str, int] = field(default_factory=dict)
    value_name: str = "share"

    @property
    def strategies(self) -> list[str]:
        """The substantive categories (everything but 'other')."""
        return [c for c in self.categories if c != OTHER]

    @property
    def n_documents(self) -> int:
        return int(self.frame["doc_id"].nunique())

    def per_document(self) -> pd.DataFrame:
        """One row per document: category columns averaged over the pooled runs."""
        keys = ["doc_id", "level", "year", "period", "post", "agency_id", "issuer_raw", "issuer",
                "province", "n_chars"]
        if len(self.run_ids) <= 1:
            return self.frame.drop(columns=["run_id"]).reset_index(drop=True)
        means = self.frame.groupby("doc_id", sort=True)[self.categories].mean()
        first = self.frame.drop_duplicates("doc_id").set_index("doc_id")[keys[1:]]
        return first.join(means).reset_index()


DOC_COLUMNS = ("doc_id", "level", "year", "agency_id", "issuer_raw", "province", "n_chars")


def _documents(store) -> pd.DataFrame:
    rows = store.db.execute(f"select {', '.join(DOC_COLUMNS)} from documents").fetchall()
    return pd.DataFrame(rows, columns=list(DOC_COLUMNS))


def _order_categories(found: Iterable[str]) -> list[str]:
    found = list(dict.fromkeys(found))
    ordered = [c for c in STRATEGIES if c in found]
    ordered += sorted(c for c in found if c not in STRATEGIES and c != OTHER)
    if OTHER in found:
        ordered.append(OTHER)
    return ordered


def _attach_documents(store, scores: pd.DataFrame, excluded: dict[str, int],
                      wto_year: int) -> pd.DataFrame:
    docs = _documents(store)
    merged = scores.merge(docs, on="doc_id", how="left", indicator=True)
    missing = merged["_merge"] == "left_only"
    if missing.any():
        excluded["score_without_document"] = int(merged.loc[missing, "doc_id"].nunique())
    merged = merged.loc[~missing].drop(columns="_merge")
    no_year = merged["year"].isna()
    if no_year.any():
        excluded["no_year"] = int(merged.loc[no_year, "doc_id"].nunique())
    bad_level = ~merged["level"].isin(LEVELS)
    if bad_level.any():
        excluded["no_level"] = int(merged.loc[bad_level & ~no_year, "doc_id"].nunique())
    merged = merged.loc[~no_year & ~bad_level].copy()
    merged["year"] = merged["year"].astype(int)
    post = is_post(merged["year"], wto_year)
    merged["period"] = np.where(post, "post", "pre")
    merged["post"] = post.astype(int)
    # Standard errors cluster on the issuer: the central agency when resolved, else the issuer
    # as written; a document with neither is its own cluster (never pooled with strangers).
    issuer = merged["agency_id"].where(merged["agency_id"].notna() & (merged["agency_id"] != ""),
                                       merged["issuer_raw"])
    issuer = issuer.where(issuer.notna() & (issuer != ""), "doc:" + merged["doc_id"].astype(str))
    merged["issuer"] = issuer.astype(str)
    merged["level"] = pd.Categorical(merged["level"], categories=list(LEVELS))
    return merged


def load_strategy_data(store, run_ids: str | Sequence[str] | None = None, *,
                       measure: str = "auto", pool_restarts: bool = True,
                       wto_year: int = WTO_YEAR) -> StrategyData:
    """The documents with their strategy mix, ready for trajectories and regressions.

    ``measure``: 'topics' (``strategy_shares``), 'dictionary' (``dictionary_scores``), or 'auto'
    (topics when any topic run has shares, else the dictionary measure).
    ``run_ids``: one run id, several, or None — the latest run, plus (``pool_restarts``) every
    restart of the same model (see :func:`restarts_of`).
    """
    if measure not in MEASURES:
        raise UserError(f"measure={measure!r}: use one of {', '.join(MEASURES)}")
    if isinstance(run_ids, str):
        run_ids = [run_ids]
    if measure == "auto":
        if run_ids:
            in_shares = has_table(store, "strategy_shares") and store.db.execute(
                "select 1 from strategy_shares where run_id = ? limit 1", [run_ids[0]]).fetchone()
            measure = "topics" if in_shares else "dictionary"
        elif not topic_runs(store).empty:
            measure = "topics"
        elif dictionary_runs(store):
            measure = "dictionary"
        else:
            raise UserError("the store has no strategy measure yet: run the topic stage "
                            "(zhengce topics run) or the dictionary measure first")
    if measure == "topics":
        return _load_topic_shares(store, run_ids, pool_restarts, wto_year)
    return _load_dictionary(store, run_ids, wto_year)


def _load_topic_shares(store, run_ids, pool_restarts: bool, wto_year: int) -> StrategyData:
    runs = topic_runs(store)
    if runs.empty:
        raise UserError("no topic run with strategy shares in this store: run the topic stage "
                        "(zhengce topics run) first, or use measure='dictionary'")
    if not run_ids:
        latest = str(runs.iloc[0]["run_id"])
        run_ids = restarts_of(store, latest) if pool_restarts else [latest]
    unknown = [r for r in run_ids if r not in set(runs["run_id"])]
    if unknown:
        raise UserError(f"run(s) {unknown} have no strategy shares (or did not finish): choose "
                        f"from {list(runs['run_id'])[:10]}")
    rows = store.db.execute(
        f"select run_id, doc_id, category, share from strategy_shares "
        f"where run_id in ({', '.join('?' for _ in run_ids)})", list(run_ids)).fetchall()
    long = pd.DataFrame(rows, columns=["run_id", "doc_id", "category", "share"])
    wide = long.pivot_table(index=["run_id", "doc_id"], columns="category", values="share",
                            aggfunc="first")
    categories = _order_categories(wide.columns)
    wide = wide[categories].fillna(0.0).reset_index()
    wide.columns.name = None
    excluded: dict[str, int] = {}
    frame = _attach_documents(store, wide, excluded, wto_year)
    n_all = store.count("documents")
    covered = frame["doc_id"].nunique() + sum(excluded.get(k, 0) for k in ("no_year", "no_level"))
    if n_all > covered:
        excluded["not_in_run"] = int(n_all - covered)
    return StrategyData(frame=_order_columns(frame, categories), categories=categories,
                        measure="topics", run_ids=list(run_ids), excluded=excluded)


def _load_dictionary(store, run_ids, wto_year: int) -> StrategyData:
    runs = dictionary_runs(store)
    if not runs:
        raise UserError("no dictionary_scores run in this store: run the dictionary measure "
                        "(nlp.scheme.dictionary_scores) or the topic stage first")
    run_ids = list(run_ids) if run_ids else [runs[0]]
    unknown = [r for r in run_ids if r not in runs]
    if unknown:
        raise UserError(f"run(s) {unknown} are not dictionary_scores runs: choose from {runs[:10]}")
    rows = store.db.execute(
        f"select run_id, doc_id, category, n_terms, share_of_scheme from dictionary_scores "
        f"where run_id in ({', '.join('?' for _ in run_ids)})", list(run_ids)).fetchall()
    long = pd.DataFrame(rows, columns=["run_id", "doc_id", "category", "n_terms", "share"])
    hits = long.groupby(["run_id", "doc_id"])["n_terms"].sum()
    no_terms = hits[hits == 0].index
    excluded: dict[str, int] = {}
    if len(no_terms):
        excluded["no_seed_terms"] = int(pd.Index(no_terms.get_level_values("doc_id")).nunique())
    keep = hits[hits > 0].index
    long = long.set_index(["run_id", "doc_id"]).loc[lambda d: d.index.isin(keep)].reset_index()
    wide = long.pivot_table(index=["run_id", "doc_id"], columns="category", values="share",
                            aggfunc="first")
    categories = _order_categories(wide.columns)
    wide = wide[categories].fillna(0.0).reset_index()
    wide.columns.name = None
    frame = _attach_documents(store, wide, excluded, wto_year)
    return StrategyData(frame=_order_columns(frame, categories), categories=categories,
                        measure="dictionary", run_ids=run_ids, excluded=excluded,
                        value_name="share_of_scheme")


def parse_years(value: str | None) -> tuple[int, int] | None:
    """``--years FROM-TO`` (also ``FROM-`` or ``-TO`` or one year) as (first, last); None: all."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    first, sep, last = text.partition("-")
    try:
        lo = int(first) if first.strip() else -10_000
        hi = int(last) if last.strip() else 10_000
        if not sep:
            hi = lo
    except ValueError:
        raise UserError(f"--years {value!r}: give FROM-TO, e.g. 1995-2010 (or 1995- or -2010)") from None
    if lo > hi:
        raise UserError(f"--years {value!r}: the first year is after the last; e.g. 1995-2010")
    return lo, hi


def restrict(data: StrategyData, *, years: tuple[int, int] | None = None,
             levels: Sequence[str] | None = None) -> StrategyData:
    """``data`` limited to the years ``(first, last)`` (inclusive) and to ``levels``.

    The documents left out are counted in ``excluded`` (``outside_years``, ``other_levels``),
    never dropped silently. With neither argument, ``data`` itself is returned.
    """
    if years is None and not levels:
        return data
    frame = data.frame
    keep = pd.Series(True, index=frame.index)
    excluded = dict(data.excluded)
    if years is not None:
        inside = frame["year"].between(int(years[0]), int(years[1]))
        if (~inside).any():
            excluded["outside_years"] = int(frame.loc[~inside, "doc_id"].nunique())
        keep &= inside
    if levels:
        unknown = sorted(set(levels) - set(LEVELS))
        if unknown:
            raise UserError(f"--level {', '.join(unknown)}: use one of {', '.join(LEVELS)}")
        chosen = frame["level"].astype(str).isin(list(levels))
        if (keep & ~chosen).any():
            excluded["other_levels"] = int(frame.loc[keep & ~chosen, "doc_id"].nunique())
        keep &= chosen
    subset = frame.loc[keep].reset_index(drop=True)
    if subset.empty:
        raise UserError("no documents are left in the chosen --years / --level: widen them "
                        f"(the data cover {int(frame['year'].min())}-{int(frame['year'].max())})")
    if levels:
        subset["level"] = subset["level"].cat.remove_unused_categories()
    return StrategyData(frame=subset, categories=data.categories, measure=data.measure,
                        run_ids=data.run_ids, excluded=excluded, value_name=data.value_name)


def dense_years(data: StrategyData, min_docs: int) -> tuple[int, int] | None:
    """The default x range of the yearly figures: from the first to the last year in which some
    level has at least ``min_docs`` documents (decades of one or two documents a year are noise,
    not a trajectory). None when no year is that dense."""
    docs = data.frame.drop_duplicates("doc_id")
    per_cell = docs.groupby(["level", "year"], observed=True).size()
    dense = sorted({int(year) for (_, year), n in per_cell.items() if n >= min_docs})
    return (dense[0], dense[-1]) if dense else None


def _order_columns(frame: pd.DataFrame, categories: list[str]) -> pd.DataFrame:
    lead = ["run_id", "doc_id", "level", "year", "period", "post", "agency_id", "issuer_raw",
            "issuer", "province", "n_chars"]
    return frame[lead + categories].sort_values(["run_id", "doc_id"]).reset_index(drop=True)


def document_counts(store, *, min_docs: int = 10, wto_year: int = WTO_YEAR,
                    doc_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Documents per level × year (all documents with a year and a level), thin cells flagged.

    Columns: level, year, period, n_docs, thin (n_docs < ``min_docs``). Documents without a year
    or level are reported in one extra row each (year / level left empty), so they are visible.
    """
    docs = _documents(store)
    if doc_ids is not None:
        docs = docs[docs["doc_id"].isin(set(doc_ids))]
    ok = docs["year"].notna() & docs["level"].isin(LEVELS)
    grouped = (docs[ok].assign(year=lambda d: d["year"].astype(int))
               .groupby(["level", "year"]).size().rename("n_docs").reset_index())
    grouped["level"] = pd.Categorical(grouped["level"], categories=list(LEVELS))
    grouped = grouped.sort_values(["level", "year"]).reset_index(drop=True)
    grouped["level"] = grouped["level"].astype(str)
    grouped["period"] = np.where(is_post(grouped["year"], wto_year), "post", "pre")
    grouped["thin"] = grouped["n_docs"] < min_docs
    grouped = grouped[["level", "year", "period", "n_docs", "thin"]]
    extra = []
    n_no_year = int(docs["year"].isna().sum())
    if n_no_year:
        extra.append({"level": "(any)", "year": None, "period": "no year", "n_docs": n_no_year,
                      "thin": False})
    n_no_level = int((docs["year"].notna() & ~docs["level"].isin(LEVELS)).sum())
    if n_no_level:
        extra.append({"level": "no level", "year": None, "period": None, "n_docs": n_no_level,
                      "thin": False})
    if extra:
        grouped = pd.concat([grouped.astype({"year": "Int64"}), pd.DataFrame(extra).astype(
            {"year": "Int64"})], ignore_index=True)
    return grouped
