"""DEA distance functions by linear programming (``scipy.optimize.linprog``, HiGHS).

Notation (Färe, Grosskopf, Norris & Zhang 1994; Coelli 1996, DEAP 2.1). A period-``t``
technology is spanned by the ``K`` firms observed in ``t`` (inputs ``X`` K×N, outputs ``Y`` K×M).
For an evaluated point ``(x0, y0)`` the envelopment LPs are

* input orientation:  ``min θ``  s.t. ``Σ_k λ_k y_k ≥ y0``,  ``Σ_k λ_k x_k ≤ θ x0``;
* output orientation: ``max φ``  s.t. ``Σ_k λ_k y_k ≥ φ y0``, ``Σ_k λ_k x_k ≤ x0``;

with ``λ ≥ 0`` (CRS) and additionally ``Σ_k λ_k = 1`` (VRS). Every function here returns the
*Farrell technical efficiency* the way DEAP prints it ("crs te", "vrs te"): ``θ`` for input
orientation and ``1/φ`` for output orientation. That number equals the Shephard distance
``D^t(x0, y0)`` for output orientation and ``1/D^t(x0, y0)`` for input orientation; for the
firm's own period it is ≤ 1, against another period's technology it may exceed 1.

Speed. On small problems nearly all of a ``linprog`` call's time is per-call overhead, so the
LPs that share a reference technology are solved as one block-diagonal LP (the blocks share no
variable, so the optimum of the sum is the optimum of every block). A block that is infeasible or
unbounded spoils the joint LP; the batch is then halved, and halved again, until every failed LP
stands alone with its own status (NaN efficiency, never a made-up number).

Own-period LPs of more than :data:`DIRECT_LIMIT` firms are solved by column generation: each LP
starts from a few likely frontier firms, and the LP dual prices tell which further firms could
improve its objective; those are added until none can, so the result is the full-reference-set
optimum. Only firms with own efficiency 1 can carry the frontier (a firm with efficiency < 1 is
dominated by a combination of the others), so points evaluated against a technology afterwards
(cross-period distances) use just those frontier firms — the same technology, smaller LPs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

ORIENTATIONS = ("input", "output")
RETURNS = ("crs", "vrs")

#: linprog status codes as words (what ``lp_status_`` reports).
STATUS_NAMES = {0: "optimal", 1: "iteration_limit", 2: "infeasible", 3: "unbounded",
                4: "numerical_difficulty"}

#: Up to this many reference firms every LP uses the full reference set.
DIRECT_LIMIT = 60

#: Non-zeros per joint LP: keeps one HiGHS call at a few milliseconds.
_BATCH_NONZEROS = 30_000
_MAX_BATCH = 256

#: A firm whose own efficiency is at least 1 - this may be on the frontier (kept as support).
_SUPPORT_TOL = 1e-6
#: A column whose reduced cost is below -this could still improve an LP.
_PRICING_TOL = 1e-9
#: Presolve only costs time on these small block-diagonal LPs.
_HIGHS_OPTIONS = {"presolve": False}
#: Columns added per unfinished LP and column-generation round.
_COLUMNS_PER_ROUND = 4


@dataclass
class BlockSolution:
    """Efficiencies (Farrell, DEAP convention), linprog status codes and dual prices."""

    te: np.ndarray           # (B,) NaN where status != 0
    status: np.ndarray       # (B,) int
    mu_ub: np.ndarray        # (B, M + N) duals of the output rows then the input rows
    mu_eq: np.ndarray        # (B,) dual of Σλ = 1 (zeros under CRS)


def _batch_size(n_ref: int, n_rows: int) -> int:
    return int(max(1, min(_MAX_BATCH, _BATCH_NONZEROS // ((n_ref + 1) * (n_rows + 1)))))


def _solve_joint(ref_x: np.ndarray, ref_y: np.ndarray, ev_x: np.ndarray, ev_y: np.ndarray,
                 orientation: str, vrs: bool, self_column: bool = False):
    """One linprog call for B envelopment LPs.

    ``ref_x`` is ``K × N`` (every block uses the same reference firms) or ``B × K × N`` (each
    block its own reference set of the same size, e.g. one bootstrap replicate per block).
    ``self_column`` adds the evaluated point itself as one more reference column of its own
    block: right when the point belongs to the reference technology (own-period LPs under
    column generation), and it keeps a VRS LP against a subset of firms feasible.
    """
    n_ref, n_in = ref_x.shape[-2:]
    n_out = ref_y.shape[-1]
    n_blocks = ev_x.shape[0]
    n_lam = n_ref + int(self_column)
    n_vars, n_rows = n_lam + 1, n_out + n_in
    blk = np.arange(n_blocks)
    # λ part of each block: output rows -Σλy ≤ ..., input rows Σλx ≤ ...
    if ref_x.ndim == 2:
        lam = np.broadcast_to(np.vstack([-ref_y.T, ref_x.T]), (n_blocks, n_rows, n_ref))
    else:
        lam = np.concatenate([-ref_y.transpose(0, 2, 1), ref_x.transpose(0, 2, 1)], axis=1)
    if self_column:
        own = np.concatenate([-ev_y, ev_x], axis=1)[:, :, None]           # (B, n_rows, 1)
        lam = np.concatenate([lam, own], axis=2)
    rows = (blk[:, None, None] * n_rows + np.arange(n_rows)[None, :, None]
            + np.zeros((1, 1, n_lam), dtype=np.int64))
    cols = (blk[:, None, None] * n_vars + 1 + np.arange(n_lam)[None, None, :]
            + np.zeros((1, n_rows, 1), dtype=np.int64))
    vals = lam
    if orientation == "output":
        # φ·y0 - Σλy ≤ 0 ; Σλx ≤ x0 ; maximise φ
        score_rows = blk[:, None] * n_rows + np.arange(n_out)[None, :]
        score_vals = ev_y
        rhs = np.concatenate([np.zeros((n_blocks, n_out)), ev_x], axis=1)
        sign = -1.0
    else:
        # -Σλy ≤ -y0 ; Σλx - θ·x0 ≤ 0 ; minimise θ
        score_rows = blk[:, None] * n_rows + n_out + np.arange(n_in)[None, :]
        score_vals = -ev_x
        rhs = np.concatenate([-ev_y, np.zeros((n_blocks, n_in))], axis=1)
        sign = 1.0
    score_cols = np.repeat(blk * n_vars, score_rows.shape[1])
    a_ub = sparse.csc_matrix(
        (np.concatenate([vals.ravel(), score_vals.ravel()]),
         (np.concatenate([rows.ravel(), score_rows.ravel()]),
          np.concatenate([cols.ravel(), score_cols]))),
        shape=(n_blocks * n_rows, n_blocks * n_vars))
    c = np.zeros(n_blocks * n_vars)
    c[::n_vars] = sign
    kwargs = {}
    if vrs:
        eq_cols = (blk[:, None] * n_vars + 1 + np.arange(n_lam)[None, :]).ravel()
        kwargs = {"A_eq": sparse.csc_matrix((np.ones(eq_cols.size), (np.repeat(blk, n_lam), eq_cols)),
                                            shape=(n_blocks, n_blocks * n_vars)),
                  "b_eq": np.ones(n_blocks)}
    res = linprog(c, A_ub=a_ub, b_ub=rhs.ravel(), bounds=(0, None), method="highs",
                  options=_HIGHS_OPTIONS, **kwargs)
    return res, n_vars, n_rows


def solve_blocks(ref_x: np.ndarray, ref_y: np.ndarray, ev_x: np.ndarray, ev_y: np.ndarray, *,
                 orientation: str, vrs: bool, self_column: bool = False) -> BlockSolution:
    """Farrell efficiency of every row of ``(ev_x, ev_y)`` against the reference set.

    Inputs must already be scaled (see :class:`Frontier`). ``ref_x``/``ref_y`` are one
    reference set (``K × N``) or one per evaluated row (``n_eval × K × N``). Batches are sized so
    that one joint LP stays small; a batch whose joint LP is not optimal is halved until each
    failed LP has its own status.
    """
    n_eval = ev_x.shape[0]
    n_rows = ref_x.shape[-1] + ref_y.shape[-1]
    per_block = ref_x.ndim == 3
    te = np.full(n_eval, np.nan)
    status = np.zeros(n_eval, dtype=np.int64)
    mu_ub = np.zeros((n_eval, n_rows))
    mu_eq = np.zeros(n_eval)
    if n_eval == 0:
        return BlockSolution(te, status, mu_ub, mu_eq)
    step = _batch_size(ref_x.shape[-2], n_rows)
    for start in range(0, n_eval, step):
        part = slice(start, min(n_eval, start + step))
        rx, ry = (ref_x[part], ref_y[part]) if per_block else (ref_x, ref_y)
        res, n_vars, _ = _solve_joint(rx, ry, ev_x[part], ev_y[part], orientation, vrs, self_column)
        n_b = part.stop - part.start
        if res.status == 0:
            score = res.x[::n_vars][:n_b]
            te[part] = 1.0 / score if orientation == "output" else score
            mu_ub[part] = np.asarray(res.ineqlin.marginals).reshape(n_b, n_rows)
            if vrs:
                mu_eq[part] = np.asarray(res.eqlin.marginals)
        elif n_b == 1:
            status[part] = res.status
        else:
            # The joint LP only says that *some* block failed: halve the batch until each
            # failed LP stands alone with its own status (few failures cost few extra calls).
            for half in (slice(part.start, part.start + n_b // 2), slice(part.start + n_b // 2, part.stop)):
                hx, hy = (ref_x[half], ref_y[half]) if per_block else (ref_x, ref_y)
                sub = solve_blocks(hx, hy, ev_x[half], ev_y[half],
                                   orientation=orientation, vrs=vrs, self_column=self_column)
                te[half], status[half], mu_ub[half], mu_eq[half] = sub.te, sub.status, sub.mu_ub, sub.mu_eq
    return BlockSolution(te, status, mu_ub, mu_eq)


class Frontier:
    """The DEA technology of one period: the observed firms are the reference set.

    ``own()`` gives every reference firm's efficiency against its own technology (DEAP's "crs te"
    / "vrs te" for period ``t`` relative to technology ``t``); ``evaluate(x, y)`` gives the
    efficiency of other points (e.g. the same firms' period ``t±1`` data, DEAP's cross-period
    distances). Scores do not depend on the units of any input or output, so every column is
    divided by its reference mean first (better-conditioned LPs).
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, *, orientation: str, returns: str):
        if orientation not in ORIENTATIONS:
            raise ValueError(f"orientation must be one of {ORIENTATIONS}, not {orientation!r}")
        if returns not in RETURNS:
            raise ValueError(f"returns must be one of {RETURNS}, not {returns!r}")
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        self.orientation = orientation
        self.vrs = returns == "vrs"
        self._sx = x.mean(axis=0)
        self._sy = y.mean(axis=0)
        self.x = x / self._sx
        self.y = y / self._sy
        self.n = x.shape[0]
        self._own: BlockSolution | None = None
        self.support: np.ndarray | None = None   # indices of firms that can carry the frontier

    # -- own-period efficiency -----------------------------------------------------------------
    def own(self) -> tuple[np.ndarray, np.ndarray]:
        if self._own is None:
            if self.n <= DIRECT_LIMIT:
                self._own = solve_blocks(self.x, self.y, self.x, self.y,
                                         orientation=self.orientation, vrs=self.vrs)
            else:
                self._own = self._column_generation()
            te, status = self._own.te, self._own.status
            # Keep failed LPs' firms too: without a score we cannot prove them redundant.
            self.support = np.flatnonzero((status != 0) | (te >= 1.0 - _SUPPORT_TOL))
        return self._own.te.copy(), self._own.status.copy()

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Efficiency of arbitrary points (rows of ``x``, ``y`` in original units)."""
        self.own()
        ex = np.asarray(x, dtype=float) / self._sx
        ey = np.asarray(y, dtype=float) / self._sy
        sol = solve_blocks(self.x[self.support], self.y[self.support], ex, ey,
                           orientation=self.orientation, vrs=self.vrs)
        return sol.te, sol.status

    # -- column generation ---------------------------------------------------------------------
    def _initial_columns(self) -> np.ndarray:
        """Firms likely to span the frontier: the best on every output/input ratio and on an
        aggregate productivity ratio, plus (VRS) the smallest input and largest output users."""
        ratio = self.y.mean(axis=1) / self.x.mean(axis=1)
        picks = set(np.argsort(-ratio)[:8].tolist())
        for i in range(self.x.shape[1]):
            for r in range(self.y.shape[1]):
                picks.add(int(np.argmax(self.y[:, r] / self.x[:, i])))
        if self.vrs:
            picks.update(int(k) for k in np.argmin(self.x, axis=0))
            picks.update(int(k) for k in np.argmax(self.y, axis=0))
        return np.array(sorted(picks), dtype=np.int64)

    def _column_generation(self) -> BlockSolution:
        """Own-period LPs against a growing subset of reference firms.

        LPs are taken in chunks of growing size (64, 128, ...): the first chunks grow the shared
        column set to (nearly) the frontier firms, so later chunks mostly finish in one round
        with small LPs. Each chunk repeats until no firm outside the set has a negative reduced
        cost for any of its LPs, i.e. until every LP is optimal for the full reference set.
        """
        n = self.n
        in_set = np.zeros(n, dtype=bool)
        in_set[self._initial_columns()] = True
        out = BlockSolution(np.full(n, np.nan), np.zeros(n, dtype=np.int64),
                            np.zeros((n, self.x.shape[1] + self.y.shape[1])), np.zeros(n))
        # Most productive firms first: their LPs find frontier columns fastest.
        order = np.argsort(-(self.y.mean(axis=1) / self.x.mean(axis=1)), kind="stable")
        chunk, start = 64, 0
        while start < n:
            pending = order[start:start + chunk]
            start += chunk
            chunk *= 2
            while pending.size:
                pending = self._generation_round(pending, in_set, out)
        return out

    def _generation_round(self, pending: np.ndarray, in_set: np.ndarray,
                          out: BlockSolution) -> np.ndarray:
        """Solve ``pending`` LPs against the current columns; store the finished ones, add
        improving columns to ``in_set``; return the LPs that must be solved again."""
        n_out = self.y.shape[1]
        cols = np.flatnonzero(in_set)
        sol = solve_blocks(self.x[cols], self.y[cols], self.x[pending], self.y[pending],
                           orientation=self.orientation, vrs=self.vrs, self_column=True)
        # Reduced cost of column λ_k for each LP: y_k·μ_out - x_k·μ_in - μ_eq (≥ 0 at optimum).
        reduced = (sol.mu_ub[:, :n_out] @ self.y.T - sol.mu_ub[:, n_out:] @ self.x.T
                   - sol.mu_eq[:, None])
        reduced[:, in_set] = 0.0
        solved = sol.status == 0
        improvable = solved & (reduced < -_PRICING_TOL).any(axis=1)
        done = solved & ~improvable
        idx = pending[done]
        out.te[idx], out.status[idx] = sol.te[done], 0
        out.mu_ub[idx], out.mu_eq[idx] = sol.mu_ub[done], sol.mu_eq[done]
        failed = ~solved
        if failed.any():
            # Not optimal against a subset: ask the full reference set (own-period LPs are
            # always feasible, so this is only a numerical safety net).
            idx = pending[failed]
            full = solve_blocks(self.x, self.y, self.x[idx], self.y[idx],
                                orientation=self.orientation, vrs=self.vrs)
            out.te[idx], out.status[idx] = full.te, full.status
            out.mu_ub[idx], out.mu_eq[idx] = full.mu_ub, full.mu_eq
        if not improvable.any():
            return pending[:0]
        red = reduced[improvable]
        k = min(_COLUMNS_PER_ROUND, red.shape[1])
        worst = np.argpartition(red, k - 1, axis=1)[:, :k]
        candidates = np.unique(worst)
        # Only columns with a negative reduced cost for at least one LP are useful.
        useful = (red[:, candidates] < -_PRICING_TOL).any(axis=0)
        in_set[candidates[useful]] = True
        return pending[improvable]


def farrell_efficiency(ref_x, ref_y, eval_x=None, eval_y=None, *, orientation: str = "output",
                       returns: str = "crs") -> tuple[np.ndarray, np.ndarray]:
    """Farrell efficiency of ``(eval_x, eval_y)`` (default: the reference firms themselves)
    against the technology spanned by ``(ref_x, ref_y)``; returns ``(te, status)`` arrays.

    >>> te, status = farrell_efficiency([[2.0], [3.0]], [[1.0], [3.0]])
    >>> te.round(3).tolist(), status.tolist()
    ([0.5, 1.0], [0, 0])
    """
    frontier = Frontier(np.atleast_2d(np.asarray(ref_x, dtype=float)),
                        np.atleast_2d(np.asarray(ref_y, dtype=float)),
                        orientation=orientation, returns=returns)
    if eval_x is None:
        return frontier.own()
    return frontier.evaluate(np.atleast_2d(np.asarray(eval_x, dtype=float)),
                             np.atleast_2d(np.asarray(eval_y, dtype=float)))
