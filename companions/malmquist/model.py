"""Malmquist total factor productivity index, DEA-based, with DEAP 2.1's decomposition.

Companion to Gitau & Gor, "Measuring factor productivity of the banking sector in Kenya"
(34 banks, 1999-2008, DEAP 2.1, output-oriented Malmquist DEA; Tables 1-3: annual, firm and
sub-section means of EFFCH, TECH, PECH, SECH, TFPCH).

Notation (Färe, Grosskopf, Norris & Zhang 1994, "FGNZ"; Coelli 1996, DEAP 2.1 guide). For firm
``k`` observed in adjacent periods ``s = t-1`` and ``t``, ``TE^a(b)`` is the Farrell efficiency of
its period-``b`` data ``(x^b, y^b)`` against the period-``a`` technology, in DEAP's convention
(≤ 1 when ``a = b``; the output distance ``d^a(x^b, y^b)`` in the paper's eq. 5 for output
orientation). Then

* ``effch = TE^t(t) / TE^s(s)``                                  (eq. 7, EFFCH)
* ``techch = [TE^s(t) / TE^t(t) × TE^s(s) / TE^t(s)]^{1/2}``     (eq. 8, TECH)
* ``tfpch = effch × techch``                                     (eq. 5/6, TFPCH, m(·))
* ``pech = TE_vrs^t(t) / TE_vrs^s(s)``, ``sech = effch / pech``  (PECH, SECH)

with CRS distances for effch/techch/tfpch and own-period VRS distances only to split effch —
exactly DEAP 2.1's Malmquist option. Values above 1 mean improvement in either orientation.
Annual, firm, sub-group and overall means are geometric means, as in DEAP.

``returns="vrs"`` is *not* DEAP: every distance (own and cross-period) is taken against a VRS
technology, so effch = pech and sech = 1 by construction. Such an index is not a TFP index when
technology is not CRS (Grifell-Tatjé & Lovell 1995); it is offered for comparison, and its
cross-period LPs can be infeasible (reported, never filled in).
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from zhengce.common.errors import UserError

from .bootstrap import simar_wilson
from .dea import ORIENTATIONS, RETURNS, STATUS_NAMES, Frontier
from .means import geometric_mean

COMPONENTS = ("effch", "techch", "pech", "sech", "tfpch")
CI_METHODS = ("percentile", "basic")


def _as_list(value: str | Sequence[str] | None, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",") if v.strip()]
    else:
        items = [str(v) for v in value]
    if len(set(items)) != len(items):
        raise UserError(f"{what} lists a column twice ({', '.join(items)}): name each column once")
    return items


def _row_label(panel: pd.DataFrame, pos: int) -> str:
    label = panel.index[pos]
    if "row_number" in panel.columns:
        return f"row {panel['row_number'].iloc[pos]}"
    return f"row {label}"


def validate_panel(panel: pd.DataFrame, *, firm: str, period: str, inputs: Sequence[str],
                   outputs: Sequence[str], groups: Sequence[str] = ()) -> pd.DataFrame:
    """Check a long panel and return a clean copy (firm, period, inputs, outputs, groups).

    Raises :class:`UserError` naming the column and row for: missing columns, non-numeric or
    non-positive inputs/outputs, empty firm/period, duplicate firm-period rows, fewer than two
    periods. Periods that all read as numbers are ordered numerically, otherwise as text.
    """
    if not isinstance(panel, pd.DataFrame):
        raise UserError(f"the panel must be a pandas DataFrame, not {type(panel).__name__}: "
                        "read your file with pandas or use load_panel()")
    inputs = _as_list(inputs, "inputs")
    outputs = _as_list(outputs, "outputs")
    groups = _as_list(groups, "groups")
    if not inputs or not outputs:
        raise UserError("name at least one input and one output column "
                        "(e.g. inputs=['deposits', 'labour'], outputs=['loans'])")
    both = sorted(set(inputs) & set(outputs))
    if both:
        raise UserError(f"column(s) {', '.join(both)} are listed as both input and output: "
                        "each DEA variable is either an input or an output")
    needed = [firm, period, *inputs, *outputs, *groups]
    missing = [c for c in dict.fromkeys(needed) if c not in panel.columns]
    if missing:
        raise UserError(f"panel is missing column(s) {', '.join(missing)}; it has "
                        f"{', '.join(map(str, panel.columns))} — pass the right names "
                        "(firm=, period=, inputs=, outputs=, groups=)")
    if len(panel) == 0:
        raise UserError("the panel has no rows: give at least two periods of data")
    for key in (firm, period):
        empty = panel[key].isna() | (panel[key].astype(str).str.strip() == "")
        if empty.any():
            pos = int(np.flatnonzero(empty.to_numpy())[0])
            raise UserError(f"column {key!r} is empty at {_row_label(panel, pos)} "
                            f"({int(empty.sum())} row(s) in all): every row needs a firm and a period")
    out = pd.DataFrame({"firm": panel[firm].to_numpy()}, index=panel.index)
    periods = panel[period]
    as_num = pd.to_numeric(periods, errors="coerce")
    if as_num.notna().all():
        as_num = as_num.astype(float)
        out["period"] = as_num.astype(np.int64) if (as_num == np.round(as_num)).all() else as_num
    else:
        out["period"] = periods.astype(str).str.strip()
    for col in [*inputs, *outputs]:
        raw = panel[col]
        num = pd.to_numeric(raw, errors="coerce")
        bad = num.isna() | ~np.isfinite(num.astype(float))
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise UserError(f"column {col!r} is not a finite number at {_row_label(panel, pos)} "
                            f"(firm {panel[firm].iloc[pos]}, period {periods.iloc[pos]}): "
                            f"{raw.iloc[pos]!r} — {int(bad.sum())} such value(s); fix or remove them")
        nonpos = num <= 0
        if nonpos.any():
            pos = int(np.flatnonzero(nonpos.to_numpy())[0])
            raise UserError(f"column {col!r} must be > 0 for DEA but is {num.iloc[pos]:g} at "
                            f"{_row_label(panel, pos)} (firm {panel[firm].iloc[pos]}, period "
                            f"{periods.iloc[pos]}) — {int(nonpos.sum())} such value(s); DEA radial "
                            "distances need strictly positive inputs and outputs")
        out[col] = num.astype(float)
    for col in groups:
        out[col] = panel[col].to_numpy()
    dup = out.duplicated(["firm", "period"], keep=False)
    if dup.any():
        positions = np.flatnonzero(dup.to_numpy())
        first = int(positions[0])
        same = positions[(out["firm"].iloc[positions] == out["firm"].iloc[first]).to_numpy()
                         & (out["period"].iloc[positions] == out["period"].iloc[first]).to_numpy()]
        where = ", ".join(_row_label(panel, int(p)) for p in same[:5])
        raise UserError(f"duplicate rows for firm {out['firm'].iloc[first]}, period "
                        f"{out['period'].iloc[first]} ({where}): "
                        "keep one row per firm and period")
    n_periods = out["period"].nunique()
    if n_periods < 2:
        raise UserError(f"the panel has a single period ({out['period'].iloc[0]}): the Malmquist "
                        "index compares adjacent periods and needs at least two")
    return out.reset_index(drop=True)


class MalmquistIndex:
    """Malmquist TFP index between adjacent periods, decomposed as DEAP 2.1 does.

    Parameters
    ----------
    orientation : "output" (default; the paper and DEAP's EG4) or "input".
    returns : "crs" (default; DEAP: CRS distances for the index, VRS only to split EFFCH into
        PECH × SECH) or "vrs" (every distance against VRS technology — see the module notes).
    n_bootstrap : replicates of the Simar–Wilson (1999) bootstrap run by ``fit`` (0 = none; call
        :meth:`bootstrap` later instead if you like).
    alpha : 1 − confidence level of the bootstrap intervals.
    ci : "percentile" (quantiles of the bootstrap replicates) or "basic" (Simar & Wilson 1999's
        interval ``[2M̂ − q_{1−α/2}, 2M̂ − q_{α/2}]``).
    random_state : seed of the bootstrap (the index itself is deterministic).

    Learned attributes (after ``fit``)
    ----------------------------------
    panel_ : the validated panel (firm, period, inputs, outputs, group columns).
    periods_, firms_ : ordered periods; firms in order of first appearance.
    results_ : one row per firm and period ``t`` with the firm also observed in ``t−1``:
        effch, techch, pech, sech, tfpch (index from ``t−1`` to ``t``), status.
    efficiency_ : one row per firm-period: crs_te, vrs_te, scale_efficiency = crs_te / vrs_te,
        crs_te_prev_tech = TE^{t−1}(t), crs_te_next_tech = TE^{t+1}(t) (DEAP's distance summary).
    annual_means_, firm_means_ : geometric means (DEAP's two summary tables).
    overall_mean_ : geometric mean of all firm-period indices (a Series).
    lp_status_ : every LP solved: firm, period, lp, reference_period, status, te.
    missing_ : firm-periods absent from an unbalanced panel (within the panel's periods).
    """

    def __init__(self, orientation: str = "output", returns: str = "crs", n_bootstrap: int = 0,
                 alpha: float = 0.05, ci: str = "percentile", random_state: int | None = None):
        self.orientation = orientation
        self.returns = returns
        self.n_bootstrap = n_bootstrap
        self.alpha = alpha
        self.ci = ci
        self.random_state = random_state

    # -- parameters ----------------------------------------------------------------------------
    def _check_params(self) -> None:
        if self.orientation not in ORIENTATIONS:
            raise UserError(f"orientation must be 'input' or 'output', not {self.orientation!r}")
        if self.returns not in RETURNS:
            raise UserError(f"returns must be 'crs' or 'vrs', not {self.returns!r}")
        if not isinstance(self.n_bootstrap, (int, np.integer)) or self.n_bootstrap < 0:
            raise UserError(f"n_bootstrap must be a whole number ≥ 0, not {self.n_bootstrap!r}")
        if not 0 < float(self.alpha) < 1:
            raise UserError(f"alpha must lie between 0 and 1 (0.05 gives 95% intervals), not {self.alpha!r}")
        if self.ci not in CI_METHODS:
            raise UserError(f"ci must be one of {', '.join(CI_METHODS)}, not {self.ci!r}")

    # -- fitting -------------------------------------------------------------------------------
    def fit(self, panel: pd.DataFrame, *, firm: str = "firm", period: str = "period",
            inputs: str | Sequence[str], outputs: str | Sequence[str],
            groups: str | Sequence[str] | None = None,
            progress: Callable[[str], None] | None = None) -> "MalmquistIndex":
        """Compute distances, indices and means for a long panel (one row per firm-period).

        ``progress`` (optional) receives one line per period solved, for long runs.
        """
        self._check_params()
        self.inputs_ = _as_list(inputs, "inputs")
        self.outputs_ = _as_list(outputs, "outputs")
        self.groups_ = _as_list(groups, "groups")
        clean = validate_panel(panel, firm=firm, period=period, inputs=self.inputs_,
                               outputs=self.outputs_, groups=self.groups_)
        self.firm_column_, self.period_column_ = firm, period
        self.periods_ = sorted(clean["period"].unique().tolist())
        self.firms_ = list(pd.unique(clean["firm"]))
        firm_rank = {f: i for i, f in enumerate(self.firms_)}
        period_rank = {p: i for i, p in enumerate(self.periods_)}
        clean = clean.assign(_p=clean["period"].map(period_rank), _f=clean["firm"].map(firm_rank))
        clean = clean.sort_values(["_p", "_f"], kind="stable").reset_index(drop=True)
        self.panel_ = clean.drop(columns=["_p", "_f"])
        self._period_idx = clean["_p"].to_numpy()
        self._firm_idx = clean["_f"].to_numpy()
        self._x = clean[self.inputs_].to_numpy(dtype=float)
        self._y = clean[self.outputs_].to_numpy(dtype=float)
        self._compute(progress)
        if self.n_bootstrap:
            self.bootstrap()
        return self

    def _rows_of(self, p: int) -> np.ndarray:
        return np.flatnonzero(self._period_idx == p)

    def _compute(self, progress: Callable[[str], None] | None = None) -> None:
        statuses = self._solve(progress)
        self.lp_status_ = self._lp_status_table(*statuses)
        self.efficiency_ = self._efficiency_table()
        self.results_ = self._index_table()
        n_periods = len(self.periods_)

        # -- missing firm-periods --------------------------------------------------------------
        present = set(zip(self._firm_idx.tolist(), self._period_idx.tolist()))
        missing = [(f, self.periods_[p]) for p in range(n_periods)
                   for i, f in enumerate(self.firms_) if (i, p) not in present]
        self.missing_ = pd.DataFrame(missing, columns=["firm", "period"])

        # -- means -------------------------------------------------------------------------------
        self.annual_means_ = self._means_by("period", "n_firms")
        self.firm_means_ = self._means_by("firm", "n_periods")
        self.overall_mean_ = pd.Series({c: geometric_mean(self.results_[c]) for c in COMPONENTS},
                                       name="overall_mean")

    def _solve(self, progress: Callable[[str], None] | None):
        """Every LP: own-period CRS and VRS distances, and cross-period distances of the firms
        observed in adjacent periods. Sets ``_own``, ``_prev``, ``_next`` (TE per row) and
        ``_pairs``; returns the LP status codes (own, prev, next; -1 where no LP was solved)."""
        n_rows, n_periods = len(self.panel_), len(self.periods_)
        kinds = ("crs", "vrs")
        own = {k: np.full(n_rows, np.nan) for k in kinds}
        own_status = {k: np.zeros(n_rows, dtype=np.int64) for k in kinds}
        # prev[k][row]: TE of the row's data against the previous period's technology, etc.
        prev = {k: np.full(n_rows, np.nan) for k in kinds}
        nxt = {k: np.full(n_rows, np.nan) for k in kinds}
        prev_status = {k: np.full(n_rows, -1, dtype=np.int64) for k in kinds}
        nxt_status = {k: np.full(n_rows, -1, dtype=np.int64) for k in kinds}
        cross_kinds = kinds if self.returns == "vrs" else ("crs",)
        frontiers = {}
        for p in range(n_periods):
            rows = self._rows_of(p)
            for k in kinds:
                frontiers[k, p] = Frontier(self._x[rows], self._y[rows],
                                           orientation=self.orientation, returns=k)
                te, st = frontiers[k, p].own()
                own[k][rows], own_status[k][rows] = te, st
            if progress is not None:
                progress(f"  period {self.periods_[p]}: {len(rows)} firms, own-period CRS and VRS "
                         f"LPs done")
        # Adjacent pairs: only firms observed in both periods get cross-period distances.
        self._pairs = []
        for p in range(n_periods - 1):
            ra, rb = self._rows_of(p), self._rows_of(p + 1)
            fa = dict(zip(self._firm_idx[ra], ra))
            rb = np.array([r for r in rb if self._firm_idx[r] in fa], dtype=np.int64)
            ra = np.array([fa[self._firm_idx[r]] for r in rb], dtype=np.int64)
            self._pairs.append((p, ra, rb))
            if not len(rb):
                continue
            for k in cross_kinds:
                prev[k][rb], prev_status[k][rb] = frontiers[k, p].evaluate(self._x[rb], self._y[rb])
                nxt[k][ra], nxt_status[k][ra] = frontiers[k, p + 1].evaluate(self._x[ra], self._y[ra])
        self._own, self._prev, self._next = own, prev, nxt
        return own_status, prev_status, nxt_status

    def _lp_status_table(self, own_status, prev_status, nxt_status) -> pd.DataFrame:
        """One row per LP: firm, period, which LP, the reference period, status and TE."""
        own, prev, nxt = self._own, self._prev, self._next
        n_periods = len(self.periods_)
        kinds = ("crs", "vrs")
        cross_kinds = kinds if self.returns == "vrs" else ("crs",)
        firms = self.panel_["firm"].to_numpy()
        periods = self.panel_["period"].to_numpy()
        parts = []
        for k in kinds:
            parts.append(pd.DataFrame({"firm": firms, "period": periods, "lp": f"{k}_own",
                                       "reference_period": periods, "status_code": own_status[k],
                                       "te": own[k]}))
        for k in cross_kinds:
            has_prev = prev_status[k] >= 0
            has_next = nxt_status[k] >= 0
            ref_prev = np.array([self.periods_[p - 1] if p > 0 else None for p in self._period_idx],
                                dtype=object)
            ref_next = np.array([self.periods_[p + 1] if p + 1 < n_periods else None
                                 for p in self._period_idx], dtype=object)
            parts.append(pd.DataFrame({"firm": firms[has_prev], "period": periods[has_prev],
                                       "lp": f"{k}_prev_tech", "reference_period": ref_prev[has_prev],
                                       "status_code": prev_status[k][has_prev], "te": prev[k][has_prev]}))
            parts.append(pd.DataFrame({"firm": firms[has_next], "period": periods[has_next],
                                       "lp": f"{k}_next_tech", "reference_period": ref_next[has_next],
                                       "status_code": nxt_status[k][has_next], "te": nxt[k][has_next]}))
        lp = pd.concat(parts, ignore_index=True)
        lp.insert(4, "status", lp["status_code"].map(lambda c: STATUS_NAMES.get(int(c), f"status_{c}")))
        return lp.drop(columns=["status_code"])

    def _efficiency_table(self) -> pd.DataFrame:
        """DEAP's distance summary: own-period CRS and VRS TE, scale efficiency, cross-period TE."""
        own, prev, nxt = self._own, self._prev, self._next
        firms = self.panel_["firm"].to_numpy()
        periods = self.panel_["period"].to_numpy()
        eff = pd.DataFrame({"firm": firms, "period": periods, "crs_te": own["crs"],
                            "vrs_te": own["vrs"]})
        eff["scale_efficiency"] = eff["crs_te"] / eff["vrs_te"]
        eff["crs_te_prev_tech"] = prev["crs"]
        eff["crs_te_next_tech"] = nxt["crs"]
        if self.returns == "vrs":
            eff["vrs_te_prev_tech"] = prev["vrs"]
            eff["vrs_te_next_tech"] = nxt["vrs"]
        for g in self.groups_:
            eff[g] = self.panel_[g].to_numpy()
        return eff

    def _index_table(self) -> pd.DataFrame:
        """The index per firm and adjacent pair of periods, naming the LPs that did not solve."""
        own, prev, nxt = self._own, self._prev, self._next
        firms = self.panel_["firm"].to_numpy()
        periods = self.panel_["period"].to_numpy()
        failed = self.lp_status_[self.lp_status_["status"] != "optimal"]
        failed_lp = {(r.firm, r.period, r.lp): r.status for r in failed.itertuples(index=False)}
        base = "vrs" if self.returns == "vrs" else "crs"
        own_lps = ("vrs_own",) if self.returns == "vrs" else ("crs_own", "vrs_own")
        frames = []
        for p, ra, rb in self._pairs:
            if not len(rb):
                continue
            te_aa, te_bb = own[base][ra], own[base][rb]
            te_ab, te_ba = prev[base][rb], nxt[base][ra]     # TE^s(t), TE^t(s)
            effch = te_bb / te_aa
            techch = np.sqrt((te_ab / te_bb) * (te_aa / te_ba))
            if self.returns == "crs":
                pech = own["vrs"][rb] / own["vrs"][ra]
                sech = effch / pech
            else:
                pech = effch.copy()
                sech = np.where(np.isfinite(effch), 1.0, np.nan)
            frame = pd.DataFrame({"firm": firms[rb], "period": periods[rb],
                                  "period_from": periods[ra], "effch": effch, "techch": techch,
                                  "pech": pech, "sech": sech, "tfpch": effch * techch})
            status = []
            if failed_lp:
                # Name the LPs this pair's index depends on that did not solve.
                for f, pa, pb in zip(firms[rb], periods[ra], periods[rb]):
                    notes = [f"{lp} {failed_lp[f, pa, lp]} (period {pa})"
                             for lp in (*own_lps, f"{base}_next_tech") if (f, pa, lp) in failed_lp]
                    notes += [f"{lp} {failed_lp[f, pb, lp]} (period {pb})"
                              for lp in (*own_lps, f"{base}_prev_tech") if (f, pb, lp) in failed_lp]
                    status.append("; ".join(notes) or "ok")
            else:
                status = ["ok"] * len(rb)
            frame["status"] = status
            for g in self.groups_:
                frame[g] = self.panel_[g].to_numpy()[rb]
            frames.append(frame)
        columns = ["firm", "period", "period_from", *COMPONENTS, "status", *self.groups_]
        results = (pd.concat(frames, ignore_index=True) if frames
                   else pd.DataFrame(columns=columns))
        if results.empty:
            raise UserError("no firm is observed in two adjacent periods, so no Malmquist index can "
                            "be computed: check the firm and period columns")
        return results

    def _means_by(self, key: str, count_name: str) -> pd.DataFrame:
        """Geometric means by period or firm (NaN components skipped, counted in n_failed)."""
        res = self.results_
        comps = list(COMPONENTS)
        values = res[comps].astype(float)
        logs = np.log(values.where(np.isfinite(values) & (values > 0)))
        by = res[key]
        present = set(by)
        order = [v for v in (self.periods_ if key == "period" else self.firms_) if v in present]
        out = np.exp(logs.groupby(by, sort=False).mean()).reindex(order)
        out.insert(0, count_name, by.value_counts().reindex(order).astype(int))
        out.insert(1, "n_failed", values.isna().any(axis=1).groupby(by).sum().reindex(order).astype(int))
        out.index.name = key
        return out.reset_index()

    # -- tables --------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "results_"):
            raise UserError("call fit(panel, inputs=..., outputs=...) before asking for results")

    def subgroup_means(self, by: str | Mapping | pd.Series, *, label: str | None = None) -> pd.DataFrame:
        """Geometric means of the indices by sub-group (the paper's Table 3).

        ``by`` is a column of the panel (its value in period ``t`` labels the index from ``t−1``
        to ``t``, so a bank that changes group is counted where it was) or a mapping firm → group.
        The first row, ``all firms``, is the whole sample. ``n_firms`` and ``n_periods`` count the
        distinct firms and index periods in each group, ``n_obs`` the firm-period indices.
        """
        self._check_fitted()
        res = self.results_
        if isinstance(by, str):
            if by not in self.panel_.columns or by in ("firm", "period"):
                available = [c for c in self.panel_.columns
                             if c not in ("firm", "period", *self.inputs_, *self.outputs_)]
                raise UserError(f"no group column {by!r} in the fitted panel; available: "
                                f"{', '.join(available) or 'none'} — pass groups=[...] to fit()")
            lookup = dict(zip(zip(self.panel_["firm"], self.panel_["period"]), self.panel_[by]))
            labels = [lookup[(f, p)] for f, p in zip(res["firm"], res["period"])]
            name = label or by
        else:
            mapping = dict(by.items()) if hasattr(by, "items") else dict(by)
            labels = [mapping.get(f) for f in res["firm"]]
            name = label or "group"
        labels = ["(missing)" if (v is None or (isinstance(v, float) and np.isnan(v))) else str(v)
                  for v in labels]
        res = res.assign(_group=labels)
        rows = []

        def summarise(group_label: str, sub: pd.DataFrame) -> dict:
            row = {name: group_label, "n_firms": sub["firm"].nunique(),
                   "n_periods": sub["period"].nunique(), "n_obs": len(sub),
                   "n_failed": int(sub[list(COMPONENTS)].isna().any(axis=1).sum())}
            row.update({c: geometric_mean(sub[c]) for c in COMPONENTS})
            return row

        rows.append(summarise("all firms", res))
        for value in sorted(set(labels)):
            rows.append(summarise(value, res[res["_group"] == value]))
        return pd.DataFrame(rows)

    def summary_line(self) -> str:
        self._check_fitted()
        m = self.overall_mean_
        n_bad = int((self.lp_status_["status"] != "optimal").sum())
        return (f"Malmquist ({self.orientation}-oriented, {self.returns.upper()}): "
                f"{len(self.firms_)} firms × {len(self.periods_)} periods, {len(self.results_)} indices; "
                f"mean TFPCH {m['tfpch']:.3f} = EFFCH {m['effch']:.3f} × TECHCH {m['techch']:.3f} "
                f"(PECH {m['pech']:.3f}, SECH {m['sech']:.3f}); {len(self.lp_status_)} LPs, "
                f"{n_bad} not optimal; {len(self.missing_)} firm-periods missing")

    # -- bootstrap -----------------------------------------------------------------------------
    def bootstrap(self, n_bootstrap: int | None = None, *, alpha: float | None = None,
                  ci: str | None = None, random_state: int | None = None,
                  bandwidth: float | None = None, progress=None) -> "MalmquistIndex":
        """Simar–Wilson (1999) smoothed bootstrap of tfpch, effch and techch (see ``bootstrap.py``).

        Arguments left as None take the estimator's parameters. Sets ``bootstrap_`` (firm-period
        intervals) and ``bootstrap_means_`` (annual and overall geometric means).
        """
        self._check_fitted()
        n = self.n_bootstrap if n_bootstrap is None else n_bootstrap
        if not isinstance(n, (int, np.integer)) or n < 2:
            raise UserError(f"the bootstrap needs n_bootstrap ≥ 2 replicates (200 or more for "
                            f"intervals), not {n!r}")
        alpha = self.alpha if alpha is None else alpha
        ci = self.ci if ci is None else ci
        if ci not in CI_METHODS:
            raise UserError(f"ci must be one of {', '.join(CI_METHODS)}, not {ci!r}")
        if not 0 < float(alpha) < 1:
            raise UserError(f"alpha must lie between 0 and 1, not {alpha!r}")
        seed = self.random_state if random_state is None else random_state
        self.bootstrap_, self.bootstrap_means_, self.bootstrap_info_ = simar_wilson(
            self, n_bootstrap=int(n), alpha=float(alpha), ci=ci, random_state=seed,
            bandwidth=bandwidth, progress=progress)
        return self
