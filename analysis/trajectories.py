"""Yearly prevalence of each strategy by administrative level, with bootstrap intervals.

Notation (Tan 2021; Roberts et al. 2016 for the topic-model side):

* s_dc — the share of category c (directive / developmental / regulatory / other) in document d:
  the summed topic proportions Σ_{k ∈ c} θ_dk (topic measure) or the category's share of seed hits
  (dictionary measure).
* Prevalence of c in cell (g, t) — g a level (or any grouping), t a year — is *document-weighted*:
  p̂_gtc = (1 / n_gt) Σ_{d ∈ (g, t)} s_dc, the mean of the document shares.
* Uncertainty: a nonparametric bootstrap over documents, resampling *within* each (g, t) cell
  (``n_boot`` resamples, reproducible from ``random_state``), so each cell keeps its size and the
  composition over years is fixed. When several topic runs are pooled (restarts of one model that
  differ only in the seed), each run contributes ``n_boot`` draws and the interval is taken over
  the pooled R·n_boot draws: it then reflects both sampling and model-fitting variation. The
  point estimate is the mean over runs.
* Thin cells: a cell with n_gt < ``min_docs`` (default 10) is flagged ``thin``; figures draw it
  with an open marker and no band, never as if it were certain.
* Smoothing (optional, :meth:`Trajectories.smoothed`):
  - ``rolling``: a centred window of ``window`` calendar years (odd); the documents of years
    t-h..t+h are pooled, i.e. the smoothed value is the document-weighted mean of the window
    (Σ n_t' p̂_t' / Σ n_t'), applied identically to every bootstrap draw so the band is the band
    of the smoothed curve. ``n_window`` is the number of documents pooled; thin if < min_docs.
  - ``lowess``: statsmodels LOWESS of the yearly means on year (``frac``, no robustness
    iterations), applied to the point estimates and to every draw; each year counts once.
* Pre / post (:func:`pre_post`): pre = years ≤ 2001, post = years ≥ 2002 (WTO accession on
  11 December 2001); each period's mean is document-weighted, Σ_t n_t p̂_t / Σ_t n_t, computed on
  the same draws, so the post − pre contrast gets a bootstrap interval.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from zhengce.common.errors import UserError
from zhengce.common.periods import WTO_YEAR, is_post

from .data import LEVELS, StrategyData
from .defaults import DEFAULT_MIN_DOCS, DEFAULT_N_BOOT

SMOOTHING_METHODS = ("rolling", "lowess")
_CHUNK = 4_000_000  # max entries of one resampling-weight matrix (n_boot × n) held at once


def _check_params(n_boot: int, ci: float, min_docs: int, random_state) -> None:
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise UserError(f"n_boot must be a positive integer (got {n_boot!r})")
    if not 0 < ci < 1:
        raise UserError(f"ci must be between 0 and 1, e.g. 0.95 (got {ci!r})")
    if not isinstance(min_docs, (int, np.integer)) or min_docs < 1:
        raise UserError(f"min_docs must be a positive integer (got {min_docs!r})")
    if not isinstance(random_state, (int, np.integer)) or random_state < 0:
        raise UserError(f"random_state must be a non-negative integer (got {random_state!r})")


def bootstrap_means(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``n_boot`` bootstrap draws of the column means of ``values`` (n × C) → (n_boot × C).

    Resampling n rows with replacement is a multinomial count vector over the rows; the draw is
    counts @ values / n. Drawn in chunks so memory stays bounded for large cells.
    """
    values = np.asarray(values, dtype=np.float64)
    n = values.shape[0]
    if n == 0:
        raise ValueError("cannot bootstrap an empty cell")
    out = np.empty((n_boot, values.shape[1]), dtype=np.float64)
    step = max(1, _CHUNK // n)
    probs = np.full(n, 1.0 / n)
    for start in range(0, n_boot, step):
        stop = min(n_boot, start + step)
        counts = rng.multinomial(n, probs, size=stop - start)
        out[start:stop] = counts @ values / n
    return out


@dataclass
class Trajectories:
    """Cell means and bootstrap draws of strategy prevalence by group × year.

    ``table``: one row per (group, year, category) with n_docs, mean, ci_low, ci_high, thin,
    n_runs. ``draws[(group, year)]``: the (R·n_boot × C) draws of the cell's mean shares, runs
    stacked in the order of ``run_ids`` (so block r of every cell comes from run r).
    """

    table: pd.DataFrame
    draws: dict[tuple[str, int], np.ndarray]
    points: dict[tuple[str, int], np.ndarray]
    counts: dict[tuple[str, int], int]
    categories: list[str]
    group_col: str
    groups: list[str]
    run_ids: list[str]
    n_boot: int
    ci: float
    min_docs: int
    random_state: int
    measure: str = "topics"
    excluded: dict[str, int] = field(default_factory=dict)

    @property
    def quantiles(self) -> tuple[float, float]:
        tail = (1 - self.ci) / 2
        return tail, 1 - tail

    def smoothed(self, method: str = "rolling", *, window: int = 3, frac: float = 0.3) -> pd.DataFrame:
        """The table smoothed over years (see the module docstring); adds ``n_window``."""
        if method not in SMOOTHING_METHODS:
            raise UserError(f"smoothing method {method!r}: use one of {', '.join(SMOOTHING_METHODS)}")
        if method == "rolling" and (window < 1 or window % 2 == 0):
            raise UserError(f"the rolling window must be an odd number of years (got {window})")
        if method == "lowess" and not 0 < frac <= 1:
            raise UserError(f"lowess frac must be in (0, 1] (got {frac})")
        lo, hi = self.quantiles
        rows = []
        for group in self.groups:
            years = sorted(y for (g, y) in self.points if g == group)
            if not years:
                continue
            n = np.array([self.counts[(group, y)] for y in years], dtype=np.float64)
            pts = np.stack([self.points[(group, y)] for y in years])          # T × C
            drw = np.stack([self.draws[(group, y)] for y in years])           # T × D × C
            if method == "rolling":
                h = window // 2
                yr = np.array(years)
                sm_pts = np.empty_like(pts)
                sm_drw = np.empty_like(drw)
                n_win = np.empty(len(years))
                for i, y in enumerate(years):
                    w = n * (np.abs(yr - y) <= h)
                    n_win[i] = w.sum()
                    sm_pts[i] = w @ pts / w.sum()
                    sm_drw[i] = np.tensordot(w, drw, axes=1) / w.sum()
                thin = n_win < self.min_docs
            else:
                from statsmodels.nonparametric.smoothers_lowess import lowess

                x = np.array(years, dtype=np.float64)
                n_win = n.copy()
                thin = n < self.min_docs
                if len(years) < 3:  # LOWESS needs a neighbourhood; leave very short series raw
                    sm_pts, sm_drw = pts, drw
                else:
                    def fit(y: np.ndarray) -> np.ndarray:
                        return lowess(y, x, frac=frac, it=0, return_sorted=False)
                    sm_pts = np.column_stack([fit(pts[:, c]) for c in range(pts.shape[1])])
                    sm_drw = np.empty_like(drw)
                    for c in range(drw.shape[2]):
                        for d in range(drw.shape[1]):
                            sm_drw[:, d, c] = fit(drw[:, d, c])
            q = np.quantile(sm_drw, [lo, hi], axis=1)                          # 2 × T × C
            for i, y in enumerate(years):
                for c, cat in enumerate(self.categories):
                    rows.append({self.group_col: group, "year": y, "category": cat,
                                 "n_docs": int(n[i]), "n_window": int(n_win[i]),
                                 "mean": float(sm_pts[i, c]), "ci_low": float(q[0, i, c]),
                                 "ci_high": float(q[1, i, c]), "thin": bool(thin[i]),
                                 "n_runs": len(self.run_ids), "smoothing": method})
        return pd.DataFrame(rows)


def _frame_of(data: StrategyData | pd.DataFrame, categories, group_col: str):
    if isinstance(data, StrategyData):
        frame, cats = data.frame, list(categories or data.categories)
        run_ids, measure, excluded = data.run_ids, data.measure, dict(data.excluded)
    elif isinstance(data, pd.DataFrame):
        if not categories:
            raise UserError("pass categories=[...] with a DataFrame (the share columns)")
        frame, cats = data, list(categories)
        if "run_id" not in frame.columns:
            frame = frame.assign(run_id="run")
        run_ids = list(dict.fromkeys(frame["run_id"].astype(str)))
        measure, excluded = "given", {}
    else:
        raise UserError(f"expected StrategyData or a DataFrame, got {type(data).__name__}")
    need = ["doc_id", "year", group_col, *cats]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise UserError(f"the data has no column(s) {missing}: it needs doc_id, year, "
                        f"{group_col} and the category columns")
    return frame, cats, [str(r) for r in run_ids], measure, excluded


def compute_trajectories(data: StrategyData | pd.DataFrame, *, by: str = "level",
                         categories: Sequence[str] | None = None, groups: Sequence[str] | None = None,
                         n_boot: int = DEFAULT_N_BOOT, ci: float = 0.95,
                         min_docs: int = DEFAULT_MIN_DOCS, random_state: int = 0,
                         year_range: tuple[int, int] | None = None) -> Trajectories:
    """Prevalence of each category by ``by`` (default level) × year with bootstrap intervals.

    ``data``: a :class:`StrategyData` (``load_strategy_data``) or a DataFrame with run_id
    (optional), doc_id, year, the grouping column and one column per category.
    """
    _check_params(n_boot, ci, min_docs, random_state)
    frame, cats, run_ids, measure, excluded = _frame_of(data, categories, by)
    frame = frame[frame[by].notna() & frame["year"].notna()]
    if year_range is not None:
        frame = frame[(frame["year"] >= year_range[0]) & (frame["year"] <= year_range[1])]
    if frame.empty:
        raise UserError("no documents with a year and a level to compute trajectories from")
    present = [str(g) for g in pd.unique(frame[by].astype(str))]
    if groups is None:
        groups = [g for g in LEVELS if g in present] if by == "level" else sorted(present)
        groups += [g for g in sorted(present) if g not in groups]
    else:
        groups = [str(g) for g in groups]
    tail = (1 - ci) / 2
    draws: dict[tuple[str, int], np.ndarray] = {}
    points: dict[tuple[str, int], np.ndarray] = {}
    counts: dict[tuple[str, int], int] = {}
    rows = []
    run_index = {r: i for i, r in enumerate(run_ids)}
    values_all = frame[cats].to_numpy(dtype=np.float64)
    keys = pd.DataFrame({"g": frame[by].astype(str).to_numpy(), "y": frame["year"].astype(int).to_numpy(),
                         "r": frame["run_id"].astype(str).to_numpy(),
                         "d": frame["doc_id"].astype(str).to_numpy()})
    for (g, y), idx in keys.groupby(["g", "y"], sort=True).indices.items():
        if g not in groups:
            continue
        cell_keys = keys.iloc[idx]
        per_run_pts, per_run_draws = {}, {}
        for r, ridx in cell_keys.groupby("r", sort=False).indices.items():
            vals = values_all[idx[ridx]]
            # One generator per (group, year, run): a cell's draws do not depend on which other
            # cells exist, so adding documents elsewhere leaves this cell's interval unchanged.
            seed = np.random.SeedSequence([int(random_state), groups.index(g), int(y), run_index[r]])
            per_run_pts[r] = vals.mean(axis=0)
            per_run_draws[r] = bootstrap_means(vals, n_boot, np.random.default_rng(seed))
        have = [r for r in run_ids if r in per_run_draws]
        # A run without documents in this cell borrows the draws of the next run that has some,
        # so draw blocks stay aligned across cells (block r = run r wherever it exists).
        stacked = [per_run_draws[r] if r in per_run_draws else per_run_draws[have[i % len(have)]]
                   for i, r in enumerate(run_ids)]
        draws[(g, int(y))] = np.concatenate(stacked, axis=0)
        points[(g, int(y))] = np.mean([per_run_pts[r] for r in have], axis=0)
        n_docs = int(cell_keys["d"].nunique())
        counts[(g, int(y))] = n_docs
        q = np.quantile(draws[(g, int(y))], [tail, 1 - tail], axis=0)
        for c, cat in enumerate(cats):
            rows.append({by: g, "year": int(y), "category": cat, "n_docs": n_docs,
                         "mean": float(points[(g, int(y))][c]), "ci_low": float(q[0, c]),
                         "ci_high": float(q[1, c]), "thin": n_docs < min_docs,
                         "n_runs": len(have)})
    table = pd.DataFrame(rows)
    if not table.empty:
        table = (table.assign(_g=table[by].map({g: i for i, g in enumerate(groups)}),
                              _c=table["category"].map({c: i for i, c in enumerate(cats)}))
                 .sort_values(["_g", "year", "_c"]).drop(columns=["_g", "_c"])
                 .reset_index(drop=True))
    return Trajectories(table=table, draws=draws, points=points, counts=counts, categories=cats,
                        group_col=by, groups=[g for g in groups if any(k[0] == g for k in counts)],
                        run_ids=run_ids, n_boot=n_boot, ci=ci, min_docs=min_docs,
                        random_state=int(random_state), measure=measure, excluded=excluded)


def pre_post(traj: Trajectories, *, wto_year: int = WTO_YEAR) -> pd.DataFrame:
    """Document-weighted pre (≤ ``wto_year``) and post means per group × category, and the
    post − pre contrast with its bootstrap interval (from the trajectories' draws).

    Columns: group column, category, n_pre, n_post, mean_pre, mean_post, diff, ci_low, ci_high,
    p_boot (two-sided share of draws on the other side of zero, ×2, capped at 1), thin
    (either period has fewer than min_docs documents).
    """
    lo, hi = traj.quantiles
    rows = []
    for g in traj.groups:
        cells = {p: [(y, traj.counts[(gg, y)]) for (gg, y) in traj.counts
                     if gg == g and (is_post(y, wto_year) == (p == "post"))] for p in ("pre", "post")}
        agg = {}
        for p, cell in cells.items():
            if not cell:
                agg[p] = None
                continue
            n = np.array([c for _, c in cell], dtype=np.float64)
            pts = np.stack([traj.points[(g, y)] for y, _ in cell])
            drw = np.stack([traj.draws[(g, y)] for y, _ in cell])
            agg[p] = (int(n.sum()), n @ pts / n.sum(), np.tensordot(n, drw, axes=1) / n.sum())
        for c, cat in enumerate(traj.categories):
            row = {traj.group_col: g, "category": cat,
                   "n_pre": agg["pre"][0] if agg["pre"] else 0,
                   "n_post": agg["post"][0] if agg["post"] else 0,
                   "mean_pre": float(agg["pre"][1][c]) if agg["pre"] else np.nan,
                   "mean_post": float(agg["post"][1][c]) if agg["post"] else np.nan}
            if agg["pre"] and agg["post"]:
                diff_draws = agg["post"][2][:, c] - agg["pre"][2][:, c]
                row["diff"] = row["mean_post"] - row["mean_pre"]
                row["ci_low"], row["ci_high"] = (float(v) for v in np.quantile(diff_draws, [lo, hi]))
                row["p_boot"] = float(min(1.0, 2 * min((diff_draws <= 0).mean(), (diff_draws >= 0).mean())))
            else:
                row.update(diff=np.nan, ci_low=np.nan, ci_high=np.nan, p_boot=np.nan)
            row["thin"] = row["n_pre"] < traj.min_docs or row["n_post"] < traj.min_docs
            rows.append(row)
    return pd.DataFrame(rows, columns=[traj.group_col, "category", "n_pre", "n_post", "mean_pre",
                                       "mean_post", "diff", "ci_low", "ci_high", "p_boot", "thin"])


def thin_cells(traj: Trajectories) -> pd.DataFrame:
    """The (group, year) cells with fewer than ``min_docs`` documents."""
    rows = [{traj.group_col: g, "year": y, "n_docs": n} for (g, y), n in sorted(
        traj.counts.items(), key=lambda kv: (traj.groups.index(kv[0][0]), kv[0][1]))
        if n < traj.min_docs]
    return pd.DataFrame(rows, columns=[traj.group_col, "year", "n_docs"])
