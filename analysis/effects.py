"""Effect estimates: how each level's strategy mix changed at WTO entry.

Two estimators.

1. :func:`fit_effects` — regressions of one category's share on level × post-2001 with a linear
   trend, on the per-document shares (averaged over pooled restarts):

       s_dc = g⁻¹( β₀ + β_L·level + β_P·post + β_LP·level × post + β_T·(year − 2001) )

   * fractional logit (Papke & Wooldridge 1996): GLM, Binomial family, logit link, on shares in
     [0, 1] (quasi-likelihood, so shares need not be counts);
   * OLS (g = identity).
   Standard errors are cluster-robust by issuer (``cov_type='cluster'``, ``use_t=True``: t with
   G − 1 degrees of freedom). The issuer is the resolved central agency (``agency_id``), else the
   issuer as written (``issuer_raw``), else the document alone. Besides the coefficients,
   ``post_effects`` gives, per level, the average change in the expected share when ``post`` goes
   from 0 to 1 at the documents' own covariates (for OLS β_P + β_LP; for the logit an average
   marginal effect), with intervals from 2,000 draws of β ~ N(β̂, V̂).

2. :func:`estimate_effect` — the STM ``estimateEffect`` logic (Roberts, Stewart & Tingley 2019):
   uncertainty from the topic model is carried into the regression by the *method of
   composition*. For m = 1..M (``n_draws``):
     a. pick run r = m mod R among the pooled restarts;
     b. draw each document's target share from its approximate posterior. LDA's variational
        posterior is θ_d ~ Dirichlet(γ_d) with Σ_k γ_dk = α₀ + N_d (α₀ = Σ_k α_k, N_d = the
        document's token count); we use γ_d = κ_d·θ̂_d with κ_d = α₀ + N_d. By the aggregation
        property of the Dirichlet, a category share Σ_{k∈c} θ_dk — or one topic's θ_dk — is then
        Beta(κ_d·ŝ_dc, κ_d·(1 − ŝ_dc)), which is what is drawn (exact, and needs no θ matrix);
     c. fit OLS of the drawn shares on the design (cluster-robust V̂ by issuer);
     d. draw β̃_m ~ N(β̂_m, V̂_m).
   The M draws β̃ are combined: mean, SD and the 2.5 / 97.5 percentiles. Level contrasts
   (post − pre per level) are computed on every β̃_m. ``method='bootstrap'`` replaces (b) by a
   resample of documents (with the run still cycling), for measures without a posterior (the
   dictionary measure) or as a robustness check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from zhengce.common.errors import UserError
from zhengce.common.periods import WTO_YEAR, is_post

from .data import LEVELS, StrategyData, has_table, load_strategy_data, restrict, topic_runs
from .defaults import DEFAULT_FORMULA, DEFAULT_N_DRAWS

MODELS = ("fraclogit", "ols")
CHARS_PER_TOKEN = 1.5  # Chinese policy text: about 1.5 characters per jieba word (fallback only)
_N_SIM = 2000


def _design_frame(data: StrategyData | pd.DataFrame, column: str) -> pd.DataFrame:
    if isinstance(data, StrategyData):
        frame = data.per_document()
        if column not in data.categories:
            raise UserError(f"category {column!r} is not in this measure: choose from "
                            f"{', '.join(data.categories)}")
    else:
        frame = data.copy()
        if column not in frame.columns:
            raise UserError(f"the data has no column {column!r}")
    for need in ("level", "year"):
        if need not in frame.columns:
            raise UserError(f"the data needs a {need!r} column")
    frame = frame[frame["level"].notna() & frame["year"].notna()].copy()
    present = [lv for lv in LEVELS if lv in set(frame["level"].astype(str))]
    others = sorted(set(frame["level"].astype(str)) - set(LEVELS))
    # central first: the reference level of every contrast
    frame["level"] = pd.Categorical(frame["level"].astype(str), categories=present + others)
    frame["year"] = frame["year"].astype(int)
    if "post" not in frame.columns:
        frame["post"] = is_post(frame["year"]).astype(int)
    frame["year_c"] = frame["year"] - WTO_YEAR
    if "issuer" not in frame.columns:
        frame["issuer"] = frame["doc_id"].astype(str) if "doc_id" in frame.columns else \
            np.arange(len(frame)).astype(str)
    frame["share"] = frame[column].astype(float)
    bad = ~frame["share"].between(0.0, 1.0)
    if bad.any():
        raise UserError(f"{int(bad.sum())} shares of {column!r} are outside [0, 1] (first at "
                        f"doc {frame.loc[bad].iloc[0].get('doc_id', '?')}): shares must be proportions")
    return frame.reset_index(drop=True)


def _rhs(formula: str) -> str:
    formula = formula.strip()
    if not formula.startswith("~"):
        if "~" in formula:
            raise UserError(f"formula {formula!r}: give the right-hand side only, e.g. "
                            f"'{DEFAULT_FORMULA}' (the response is the chosen share)")
        formula = "~ " + formula
    return formula


def _build_design(rhs: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The design matrix of ``rhs`` (patsy), with its ``design_info`` for counterfactual rows."""
    import patsy

    try:
        design = patsy.dmatrix(rhs, frame, return_type="dataframe", NA_action="raise")
    except Exception as exc:  # PatsyError / NameError carry a useful message
        raise UserError(f"formula {rhs!r} cannot be built: {exc}; use the columns level, post, "
                        "year, year_c, province, issuer, n_chars") from None
    rank = np.linalg.matrix_rank(design.to_numpy(dtype=float))
    if rank < design.shape[1]:
        raise UserError(f"formula {rhs!r} is not identified on these data (rank {rank} < "
                        f"{design.shape[1]} columns): a level has no pre- or post-2001 documents, "
                        "or terms are collinear; simplify the formula or widen the data")
    return design


def _tidy(result, model: str, category: str, n_clusters: int | None, cov_type: str) -> pd.DataFrame:
    ci = result.conf_int(alpha=0.05)
    ci = np.asarray(ci)
    names = list(result.model.exog_names)
    return pd.DataFrame({
        "model": model, "category": category, "term": names,
        "estimate": np.asarray(result.params, dtype=float),
        "std_error": np.asarray(result.bse, dtype=float),
        "statistic": np.asarray(result.tvalues, dtype=float),
        "p_value": np.asarray(result.pvalues, dtype=float),
        "conf_low": ci[:, 0], "conf_high": ci[:, 1],
        "n_obs": int(result.nobs), "n_clusters": n_clusters, "cov_type": cov_type})


def _contrast_rows(design_info, frame: pd.DataFrame, beta_draws: np.ndarray, link: str,
                   var: str = "post") -> pd.DataFrame:
    """Per level: average change in the expected share when ``var`` goes 0 → 1, for each row of
    ``beta_draws`` (M × K). Rows of the design are collapsed to their distinct values first."""
    import patsy

    rows = []
    for level in frame["level"].cat.categories:
        sub = frame[frame["level"] == level]
        if sub.empty:
            continue
        x1 = np.asarray(patsy.build_design_matrices([design_info], sub.assign(**{var: 1}))[0])
        x0 = np.asarray(patsy.build_design_matrices([design_info], sub.assign(**{var: 0}))[0])
        both = np.hstack([x1, x0])
        uniq, counts = np.unique(both, axis=0, return_counts=True)
        w = counts / counts.sum()
        u1, u0 = uniq[:, :x1.shape[1]], uniq[:, x1.shape[1]:]
        eta1, eta0 = u1 @ beta_draws.T, u0 @ beta_draws.T          # U × M
        if link == "logit":
            effect = w @ (_expit(eta1) - _expit(eta0))
        else:
            effect = w @ (eta1 - eta0)
        rows.append({"level": str(level), "n_docs": int(len(sub)), "draws": effect})
    return rows


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _summarise_draws(values: np.ndarray) -> dict:
    lo, hi = np.quantile(values, [0.025, 0.975])
    return {"mean": float(np.mean(values)), "sd": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
            "ci_low": float(lo), "ci_high": float(hi)}


@dataclass
class EffectFit:
    """Output of :func:`fit_effects`: ``coefficients`` (tidy, both models) and ``post_effects``
    (per model × level: the post − pre change in the expected share, with a 95% interval)."""

    coefficients: pd.DataFrame
    post_effects: pd.DataFrame
    category: str
    formula: str
    results: dict = field(default_factory=dict, repr=False)
    #: the runs whose measure was modelled (topic runs, or a dictionary_scores run)
    run_ids: list[str] = field(default_factory=list)

    def write(self, out_dir, name: str | None = None) -> dict[str, dict[str, Path]]:
        """The two tables, each naming the run(s) whose measure it models (``runs`` column)."""
        from zhengce.common.outputs import write_table

        base = name or f"effects_{self.category}"
        runs = ", ".join(self.run_ids)
        return {
            "coefficients": write_table(self.coefficients.assign(runs=runs), out_dir, base,
                                        caption=f"Share of {self.category} on level × post-2001 "
                                                f"({self.formula}); SEs clustered by issuer; "
                                                f"run(s) {runs}"),
            "post_effects": write_table(self.post_effects.assign(runs=runs), out_dir, f"{base}_post",
                                        caption=f"Change in the expected {self.category} share "
                                                f"after WTO entry, by level; run(s) {runs}"),
        }


def _cluster_codes(frame: pd.DataFrame, cluster: str | None) -> tuple[np.ndarray | None, int | None]:
    if cluster is None:
        return None, None
    if cluster not in frame.columns:
        raise UserError(f"cluster column {cluster!r} is not in the data: use 'issuer', "
                        "'agency_id', 'issuer_raw', 'province' or None")
    values = frame[cluster].astype("string").fillna("doc:" + frame.get("doc_id", pd.Series(
        np.arange(len(frame)).astype(str), index=frame.index)).astype(str))
    codes, uniques = pd.factorize(values)
    if len(uniques) < 2:
        raise UserError(f"cluster-robust standard errors need at least 2 clusters, but every "
                        f"document has the same {cluster!r}: use cluster=None (HC1)")
    return codes, int(len(uniques))


def fit_effects(data: StrategyData | pd.DataFrame, category: str = "regulatory", *,
                formula: str = DEFAULT_FORMULA, cluster: str | None = "issuer",
                models: Sequence[str] = MODELS, random_state: int = 0) -> EffectFit:
    """Fractional-logit and OLS regressions of ``category``'s share (see the module docstring).

    ``formula``: right-hand side in patsy syntax over the columns level (reference: central),
    post (1 from 2002), year, year_c (= year − 2001), province, issuer, n_chars.
    ``cluster``: column whose values are the clusters (default the issuer), or None for HC1.
    """
    import statsmodels.api as sm

    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise UserError(f"unknown model(s) {unknown}: use {', '.join(MODELS)}")
    frame = _design_frame(data, category)
    if len(frame) < 3:
        raise UserError(f"only {len(frame)} documents with a year and level: too few to regress")
    rhs = _rhs(formula)
    groups, n_clusters = _cluster_codes(frame, cluster)
    fit_kw = ({"cov_type": "cluster", "cov_kwds": {"groups": groups}} if groups is not None
              else {"cov_type": "HC1"})
    cov_name = f"cluster({cluster})" if groups is not None else "HC1"
    rng = np.random.default_rng(random_state)
    tables, effects, results = [], [], {}
    design = _build_design(rhs, frame)
    design_info = design.design_info
    for model in models:
        if model == "ols":
            res = sm.OLS(frame["share"], design).fit(use_t=True, **fit_kw)
            link = "identity"
        else:
            res = sm.GLM(frame["share"], design, family=sm.families.Binomial()).fit(
                use_t=True, **fit_kw)
            link = "logit"
        results[model] = res
        tables.append(_tidy(res, model, category, n_clusters, cov_name))
        beta = np.asarray(res.params, dtype=float)
        cov = np.asarray(res.cov_params(), dtype=float)
        sims = rng.multivariate_normal(beta, cov, size=_N_SIM, method="svd")
        # row 0 is the point estimate β̂, rows 1.. the simulated coefficients
        for row in _contrast_rows(design_info, frame, np.vstack([beta, sims]), link):
            summary = _summarise_draws(row["draws"][1:])
            effects.append({"model": model, "category": category, "level": row["level"],
                            "n_docs": row["n_docs"], "effect": float(row["draws"][0]),
                            "sd": summary["sd"], "ci_low": summary["ci_low"],
                            "ci_high": summary["ci_high"]})
    return EffectFit(coefficients=pd.concat(tables, ignore_index=True),
                     post_effects=pd.DataFrame(effects), category=category, formula=rhs,
                     results=results, run_ids=list(getattr(data, "run_ids", None) or []))


# ---------------------------------------------------------------------------------------------
# Method of composition
# ---------------------------------------------------------------------------------------------

def ols_cluster(x: np.ndarray, y: np.ndarray, groups: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """OLS β̂ and its covariance: cluster-robust with the Stata / statsmodels small-sample factor
    G/(G−1)·(N−1)/(N−K) when ``groups`` is given, else HC1 (N/(N−K))."""
    n, k = x.shape
    xtx_inv = np.linalg.pinv(x.T @ x)
    beta = xtx_inv @ (x.T @ y)
    resid = y - x @ beta
    scores = x * resid[:, None]
    if groups is None:
        meat = scores.T @ scores
        factor = n / (n - k)
    else:
        n_groups = int(groups.max()) + 1
        summed = np.zeros((n_groups, k))
        np.add.at(summed, groups, scores)
        meat = summed.T @ summed
        factor = n_groups / (n_groups - 1) * (n - 1) / (n - k)
    return beta, factor * xtx_inv @ meat @ xtx_inv


def _alpha_total(run: dict, n_topics: int | None) -> tuple[float, str]:
    """α₀ = Σ_k α_k of a topic run, from the model parameters recorded in its summary."""
    model = (run.get("summary") or {}).get("model") or {}
    params = model.get("params") or run.get("params") or {}
    alpha = params.get("alpha")
    k = model.get("n_topics") or n_topics
    if isinstance(alpha, (int, float)) and not isinstance(alpha, bool) and k:
        return float(alpha) * int(k), f"alpha={alpha} × K={k}"
    if isinstance(alpha, list) and alpha:
        return float(np.sum(alpha)), "sum of the alpha vector"
    if alpha in ("symmetric", "asymmetric"):
        return 1.0, f"gensim alpha='{alpha}' (normalized to sum 1)"
    return 1.0, f"alpha {alpha!r} not recorded as a number: α₀ = 1 assumed"


def document_lengths(store, doc_ids: Sequence[str], run: dict | None = None) -> tuple[np.ndarray, str]:
    """N_d for the posterior concentration: the token cache of the run's segmenter configuration
    when present, else any token cache, else the word count of the full-text index, else
    n_chars / 1.5. Returns the lengths (aligned with ``doc_ids``) and which source was used."""
    ids = list(doc_ids)
    config = None
    if run:
        params = run.get("params") or {}
        config = params.get("config_hash") or (run.get("summary") or {}).get("config_hash")
    series = None
    source = ""
    if has_table(store, "tokens"):
        if config:
            rows = store.db.execute("select doc_id, n_tokens from tokens where config_hash = ?",
                                    [config]).fetchall()
            if rows:
                series, source = dict(rows), f"tokens (config {config})"
        if series is None:
            first = store.db.execute("select config_hash, count(*) from tokens group by config_hash "
                                     "order by count(*) desc limit 1").fetchone()
            if first:
                rows = store.db.execute("select doc_id, n_tokens from tokens where config_hash = ?",
                                        [first[0]]).fetchall()
                series, source = dict(rows), f"tokens (config {first[0]})"
    if series is None and has_table(store, "search_index"):
        rows = store.db.execute(
            "select doc_id, length(body) - length(replace(body, ' ', '')) + 1 from search_index "
            "where body is not null and body != ''").fetchall()
        if rows:
            series, source = dict(rows), "full-text index word count"
    chars = dict(store.db.execute("select doc_id, n_chars from documents").fetchall())
    out = np.empty(len(ids))
    n_fallback = 0
    for i, d in enumerate(ids):
        value = series.get(d) if series else None
        if value is None:
            n_fallback += 1
            value = (chars.get(d) or 0) / CHARS_PER_TOKEN
        out[i] = max(float(value), 1.0)
    if not series:
        source = f"n_chars / {CHARS_PER_TOKEN}"
    elif n_fallback:
        source += f"; n_chars / {CHARS_PER_TOKEN} for {n_fallback} documents without it"
    return out, source


@dataclass
class EffectEstimate:
    """Output of :func:`estimate_effect` (method of composition).

    ``coefficients``: term, mean, sd, ci_low, ci_high over the M composed draws.
    ``contrasts``: per level, the post − pre change in the expected target share.
    ``draws``: the M × K matrix of β̃; ``terms``: its column names.
    """

    coefficients: pd.DataFrame
    contrasts: pd.DataFrame
    draws: np.ndarray
    terms: list[str]
    target: str
    formula: str
    method: str
    run_ids: list[str]
    n_docs: int
    n_draws: int
    details: dict = field(default_factory=dict)

    def write(self, out_dir, name: str | None = None) -> dict[str, dict[str, Path]]:
        from zhengce.common.outputs import write_table

        base = name or f"estimate_effect_{self.target}"
        runs = ", ".join(self.run_ids)
        cap = (f"{self.target}: method of composition ({self.method}, {self.n_draws} draws, "
               f"run(s) {runs}), {self.formula}")
        return {"coefficients": write_table(self.coefficients.assign(runs=runs), out_dir, base,
                                            caption=cap),
                "contrasts": write_table(self.contrasts.assign(runs=runs), out_dir,
                                         f"{base}_contrasts",
                                         caption=f"Post − pre change in {self.target} by level "
                                                 f"({self.method}; run(s) {runs})")}


def _target_values(store, data: StrategyData, target) -> tuple[str, dict[str, pd.Series]]:
    """Per run: the target share of each document (a category's share, or one topic's θ_dk)."""
    frame = data.frame
    if isinstance(target, (int, np.integer)) or (isinstance(target, str) and target.isdigit()):
        topic = int(target)
        if not has_table(store, "doc_topics"):
            raise UserError("topic targets need the doc_topics table (the topic stage writes it): "
                            "use a category name instead, e.g. 'regulatory'")
        out = {}
        for run_id in data.run_ids:
            rows = store.db.execute("select doc_id, weight from doc_topics where run_id = ? and topic = ?",
                                    [run_id, topic]).fetchall()
            if not rows:
                raise UserError(f"run {run_id} has no topic {topic} in doc_topics: pick a topic id "
                                f"from the topics table")
            out[run_id] = pd.Series(dict(rows), dtype=float)
        return f"topic {topic}", out
    if target not in data.categories:
        raise UserError(f"target {target!r} is neither a category ({', '.join(data.categories)}) "
                        "nor a topic id")
    return str(target), {r: frame.loc[frame["run_id"] == r].set_index("doc_id")[target]
                         for r in data.run_ids}


def _target_by_run(values: dict, doc_ids: list[str], label: str) -> dict[str, np.ndarray]:
    """Each run's target share per document of the design, in ``doc_ids`` order."""
    y_by_run = {}
    for r, series in values.items():
        y = series.reindex(doc_ids).to_numpy(dtype=float)
        if np.isnan(y).any():
            missing = doc_ids[int(np.flatnonzero(np.isnan(y))[0])]
            raise UserError(f"run {r} has no {label} value for document {missing}: the pooled runs "
                            "must cover the same documents (pass one run id)")
        y_by_run[r] = y
    return y_by_run


def _concentrations(store, data: StrategyData, doc_ids: list[str], concentration: float | None,
                    details: dict) -> dict[str, np.ndarray]:
    """κ_d per run and document for the Beta draws: α₀ + N_d, or the fixed ``concentration``.
    Records the length source, α₀ per run and the median κ in ``details``."""
    runs_meta = topic_runs(store).set_index("run_id")
    lengths, length_source = document_lengths(store, doc_ids, runs_meta.loc[data.run_ids[0]].to_dict())
    details["length_source"] = length_source
    kappa_by_run = {}
    for r in data.run_ids:
        meta = runs_meta.loc[r].to_dict()
        n_topics = store.db.execute("select count(*) from topics where run_id = ?", [r]).fetchone()[0] \
            if has_table(store, "topics") else None
        a0, how = _alpha_total(meta, n_topics)
        details.setdefault("alpha_total", {})[r] = {"alpha0": a0, "how": how}
        kappa_by_run[r] = np.full(len(doc_ids), float(concentration)) if concentration \
            else a0 + lengths
    details["kappa_median"] = float(np.median(kappa_by_run[data.run_ids[0]]))
    return kappa_by_run


def _composed_draws(x: np.ndarray, groups, y_by_run: dict[str, np.ndarray],
                    kappa_by_run: dict[str, np.ndarray], run_ids: Sequence[str], *, method: str,
                    n_draws: int, random_state: int) -> np.ndarray:
    """``n_draws`` coefficient vectors β̃_m: (a) a composed outcome (Beta draws around each
    document's share, or a bootstrap resample of documents), runs cycled; (b) OLS with
    cluster-robust covariance on it; β̃_m ~ N(β̂_m, V̂_m)."""
    rng = np.random.default_rng(random_state)
    draws = np.empty((n_draws, x.shape[1]))
    eps = 1e-9
    for m in range(n_draws):
        r = run_ids[m % len(run_ids)]
        y = np.clip(y_by_run[r], eps, 1 - eps)
        if method == "dirichlet":
            kappa = kappa_by_run[r]
            y_m = rng.beta(kappa * y, kappa * (1 - y))
            x_m, g_m = x, groups
        else:
            idx = rng.integers(0, len(y), size=len(y))
            y_m, x_m = y[idx], x[idx]
            g_m = None if groups is None else pd.factorize(groups[idx])[0]
        beta, cov = ols_cluster(x_m, y_m, g_m)
        draws[m] = rng.multivariate_normal(beta, cov, method="svd")
    return draws


def estimate_effect(store, run_ids: str | Sequence[str] | None = None, target="regulatory", *,
                    formula: str = DEFAULT_FORMULA, n_draws: int = DEFAULT_N_DRAWS,
                    method: str = "auto", cluster: str | None = "issuer",
                    concentration: float | None = None, measure: str = "auto",
                    random_state: int = 0, years: tuple[int, int] | None = None,
                    levels=None) -> EffectEstimate:
    """STM-style effect estimation with topic-model uncertainty (method of composition).

    ``target``: a category ('regulatory', ...) or a topic id (int). ``formula``: right-hand side
    over level, post, year, year_c, province, issuer. ``method``: 'dirichlet' (Beta draws from
    each document's approximate posterior), 'bootstrap' (resample documents), or 'auto'
    (dirichlet for topic runs, bootstrap for the dictionary measure). ``concentration``: a fixed
    κ for every document instead of α₀ + N_d (sensitivity checks). Pooled runs (restarts) are
    cycled through the draws. ``years`` (first, last) and ``levels`` restrict the documents
    (:func:`~zhengce.analysis.data.restrict`).
    """

    if not isinstance(n_draws, (int, np.integer)) or n_draws < 2:
        raise UserError(f"n_draws must be an integer >= 2 (got {n_draws!r})")
    if method not in ("auto", "dirichlet", "bootstrap"):
        raise UserError(f"method={method!r}: use 'dirichlet', 'bootstrap' or 'auto'")
    if concentration is not None and not concentration > 0:
        raise UserError(f"concentration must be positive (got {concentration!r})")
    data = restrict(load_strategy_data(store, run_ids, measure=measure), years=years, levels=levels)
    if method == "auto":
        method = "dirichlet" if data.measure == "topics" else "bootstrap"
    if method == "dirichlet" and data.measure != "topics":
        raise UserError("method='dirichlet' needs a topic run (the dictionary measure has no "
                        "posterior): use method='bootstrap'")
    label, values = _target_values(store, data, target)
    docs = data.per_document()
    docs = docs.assign(target=0.0)
    frame = _design_frame(docs, "target")
    rhs = _rhs(formula)
    design = _build_design(rhs, frame)
    x = design.to_numpy(dtype=float)
    terms = list(design.columns)
    groups, n_clusters = _cluster_codes(frame, cluster)
    doc_ids = frame["doc_id"].astype(str).tolist()
    y_by_run = _target_by_run(values, doc_ids, label)
    details: dict = {"n_clusters": n_clusters, "cluster": cluster}
    kappa_by_run = (_concentrations(store, data, doc_ids, concentration, details)
                    if method == "dirichlet" else {})
    draws = _composed_draws(x, groups, y_by_run, kappa_by_run, data.run_ids, method=method,
                            n_draws=n_draws, random_state=random_state)
    coef_rows = [{"term": t, **_summarise_draws(draws[:, j]), "n_draws": n_draws}
                 for j, t in enumerate(terms)]
    design_info = design.design_info
    contrast_rows = []
    for row in _contrast_rows(design_info, frame, draws, "identity"):
        contrast_rows.append({"level": row["level"], "n_docs": row["n_docs"],
                              **_summarise_draws(row["draws"])})
    details.update(measure=data.measure, excluded=data.excluded, random_state=random_state)
    return EffectEstimate(coefficients=pd.DataFrame(coef_rows), contrasts=pd.DataFrame(contrast_rows),
                          draws=draws, terms=terms, target=label, formula=rhs, method=method,
                          run_ids=list(data.run_ids), n_docs=len(doc_ids), n_draws=n_draws,
                          details=details)
