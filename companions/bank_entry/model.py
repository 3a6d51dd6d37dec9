"""Pooled OLS of the subsidiary share on host-country conditions (Choi & Kim 2020, Tables 1-2).

The paper's model, estimated on 58 country-years (20 host countries × 2010/2012/2014)::

    PROS_i = β0 + β1·FDI_i + β2·UNIV_i + β3·BI_i + β4·TAX_i + ε_i

==========  ==========  ===================================================================
paper       here        meaning
==========  ==========  ===================================================================
PROS        ``pros``    subsidiaries / (subsidiaries + branches) of Korean banks in country i
FDI         ``fdi``     Korean FDI into i, USD thousands (``fdi_scale`` rescales / logs it)
UNIV        ``univ``    1 (universal banking allowed) .. 4 (bank activities restricted)
BI          ``bi``      TC/GDP: deposit-bank claims in % of GDP
TAX         ``tax``     host corporate tax rate − Korea's, percentage points
β0..β4      ``const``, ``fdi``, ``univ``, ``bi``, ``tax`` rows of ``table2_``
==========  ==========  ===================================================================

Table 1 of the paper is the Pearson correlation matrix of the four regressors ("the correlation
coefficients between independent variables"); Table 2 is the OLS estimate with the usual
(non-robust) standard errors, adjusted R² (0.133 in the paper), N and F. Beyond the paper this
class reports heteroskedasticity-robust (HC1, HC3) and country-clustered standard errors, the
VIF of each regressor, and notes on when those standard errors are not to be trusted.
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from zhengce.common.errors import UserError

from .loader import REGRESSORS, prepare_panel

COV_TYPES = ("nonrobust", "HC1", "HC3", "cluster")
FDI_SCALES = ("thousands", "millions", "log", "log1p")
TERMS = ("const", *REGRESSORS)
NOTATION = {"const": "β0", "fdi": "β1", "univ": "β2", "bi": "β3", "tax": "β4"}
VARIABLE_LABELS = {"fdi": "FDI", "univ": "UNIV", "bi": "BI", "tax": "TAX"}
FDI_LABELS = {"thousands": "FDI (USD thousands)", "millions": "FDI (USD millions)",
              "log": "ln FDI (USD thousands)", "log1p": "ln(1 + FDI) (USD thousands)"}

# What Choi & Kim (2020) report in the text (their Table 2 is an image): for comparison when the
# real data are rebuilt. The text says "PROS increased when ... UNIV was higher" but reports a
# negative UNIV coefficient; the coefficient is what is recorded here.
PAPER_REPORTED = {"n_obs": 58, "n_countries": 20, "adj_r2": 0.133, "fdi_sign": "+",
                  "fdi_p": 0.387, "univ_coef": -0.177, "univ_p": 0.31, "bi_sign": "-",
                  "bi_p": 0.01, "tax_coef": -0.014, "tax_significant": "p < 0.05"}


def vif_table(regressors: pd.DataFrame) -> pd.DataFrame:
    """Variance inflation factors of the columns of ``regressors`` (no constant column).

    A constant is added to the design before calling statsmodels'
    ``variance_inflation_factor``: that function regresses column j on the *other columns it is
    given*, so without the constant the auxiliary R² is uncentred and the VIF is wrong (it then
    changes when a regressor is shifted by a constant). VIF_j = 1 / (1 − R²_j).
    """
    import statsmodels.api as sm
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    frame = regressors.astype(float)
    if frame.shape[1] < 2:
        raise UserError("VIF needs at least two regressors: with one there is nothing to be "
                        "collinear with")
    exog = sm.add_constant(frame, has_constant="add").to_numpy()
    with warnings.catch_warnings():
        # statsmodels >= 0.15 warns on a poorly conditioned design; the VIF itself reports it.
        warnings.simplefilter("ignore", UserWarning)
        values = [float(variance_inflation_factor(exog, j + 1)) for j in range(frame.shape[1])]
    return pd.DataFrame({"variable": list(frame.columns), "vif": values})


def _stars(p: float) -> str:
    # The paper's Table 2 legend: *: p<0.05 **: p<0.01.
    if not np.isfinite(p):
        return ""
    return "**" if p < 0.01 else "*" if p < 0.05 else ""


class BankEntryOLS:
    """Pooled OLS of PROS on FDI, UNIV, BI and TAX with several covariance estimators.

    Parameters
    ----------
    cov_types : standard errors to compute, any of ``'nonrobust'`` (the paper's), ``'HC1'``,
        ``'HC3'`` (heteroskedasticity-robust) and ``'cluster'`` (clustered by ``cluster_col``,
        Stata-style small-sample factor, t with G − 1 degrees of freedom). Every type uses
        t-based p-values and intervals.
    fdi_scale : ``'thousands'`` (the paper's unit), ``'millions'`` (same fit, readable β1),
        ``'log'`` (ln of USD thousands; needs FDI > 0) or ``'log1p'`` (ln(1 + FDI)).
    cluster_col : column of the input panel that defines clusters (default: country).
    alpha : 1 − confidence level of the reported intervals.
    min_clusters : below this many clusters a note warns that cluster-robust inference is
        unreliable (Cameron & Miller 2015 put "few" at roughly 30-50).
    univ_average : accept a non-integer UNIV in [1, 4] (the paper's average of four answers).

    Attributes (after ``fit``)
    --------------------------
    table1_ : Pearson correlations of FDI, UNIV, BI, TAX (paper's Table 1); ``table1_pvalues_``
        the two-sided p-values of those correlations.
    table2_ : the Table 2 coefficients (``term``, notation, coef, se, t, p, CI, stars) under the
        first of ``cov_types`` in the order nonrobust, HC1, HC3, cluster.
    coef_table_ : the same for every covariance type, long format with its inference df.
    fit_stats_ : N, k, R², adjusted R², F (Wald F for robust types) and its p, df, clusters.
    vif_ : VIF of each regressor (constant in the design, not reported).
    results_ : dict cov_type → statsmodels results.
    notes_ : list of sentences on what limits the inference (few clusters, small N, ...).
    n_obs_, n_clusters_, design_ : N, G and the data the model was fitted on.
    """

    def __init__(self, cov_types: Sequence[str] = COV_TYPES, *, fdi_scale: str = "thousands",
                 cluster_col: str = "country", alpha: float = 0.05, min_clusters: int = 50,
                 univ_average: bool = False):
        self.cov_types = cov_types
        self.fdi_scale = fdi_scale
        self.cluster_col = cluster_col
        self.alpha = alpha
        self.min_clusters = min_clusters
        self.univ_average = univ_average

    # -- validation ---------------------------------------------------------------------------
    def _check_params(self) -> tuple[str, ...]:
        cov_types = (self.cov_types,) if isinstance(self.cov_types, str) else tuple(self.cov_types)
        unknown = [c for c in cov_types if c not in COV_TYPES]
        if unknown or not cov_types:
            raise UserError(f"cov_types {list(cov_types)!r} not understood: choose from "
                            f"{', '.join(COV_TYPES)}")
        if len(set(cov_types)) != len(cov_types):
            raise UserError(f"cov_types {list(cov_types)!r} lists a type twice: give each once")
        if self.fdi_scale not in FDI_SCALES:
            raise UserError(f"fdi_scale {self.fdi_scale!r} not understood: choose from "
                            f"{', '.join(FDI_SCALES)}")
        if not 0 < self.alpha < 1:
            raise UserError(f"alpha must be between 0 and 1 (0.05 for 95 % intervals), "
                            f"not {self.alpha!r}")
        if int(self.min_clusters) < 2:
            raise UserError("min_clusters must be at least 2")
        return tuple(c for c in COV_TYPES if c in cov_types)

    def _scale_fdi(self, data: pd.DataFrame) -> pd.Series:
        fdi = data["fdi"].astype(float)
        if self.fdi_scale == "thousands":
            return fdi
        if self.fdi_scale == "millions":
            return fdi / 1000.0
        if self.fdi_scale == "log":
            zero = data.loc[fdi <= 0, "row_number"].tolist()
            if zero:
                raise UserError(f"fdi_scale='log' needs FDI > 0 but rows "
                                f"{', '.join(map(str, zero[:10]))} have FDI = 0: use "
                                "fdi_scale='log1p' or fix those rows")
            return np.log(fdi)
        return np.log1p(fdi)

    def _cluster_labels(self, panel: pd.DataFrame, data: pd.DataFrame) -> pd.Series:
        """The cluster of each row: a validated panel column (so 'country' also matches its
        aliases) or, failing that, any column of the input, matched case-insensitively."""
        if self.cluster_col in data.columns:
            return data[self.cluster_col].reset_index(drop=True)
        lookup = {str(c).strip().lower(): c for c in panel.columns}
        column = lookup.get(str(self.cluster_col).strip().lower())
        if column is None:
            raise UserError(f"cluster_col {self.cluster_col!r} is not a column of the panel "
                            f"({', '.join(map(str, panel.columns))}): name one that is")
        return panel[column].reset_index(drop=True)

    @staticmethod
    def _check_design(design: pd.DataFrame) -> None:
        for col in design.columns:
            if design[col].nunique() < 2:
                raise UserError(
                    f"column {col!r} has the same value ({design[col].iloc[0]:g}) in all "
                    f"{len(design)} rows, so {NOTATION[col]} ({VARIABLE_LABELS[col]}) cannot be "
                    "estimated apart from the intercept; use data where it varies")
        centred = (design - design.mean()) / design.std(ddof=0)
        if np.linalg.matrix_rank(centred.to_numpy()) < design.shape[1]:
            culprits = []
            for col in design.columns:
                others = centred.drop(columns=col).to_numpy()
                coef, *_ = np.linalg.lstsq(others, centred[col].to_numpy(), rcond=None)
                if np.allclose(others @ coef, centred[col].to_numpy(), atol=1e-8):
                    culprits.append(VARIABLE_LABELS[col])
            raise UserError(f"the regressors {', '.join(culprits)} are perfectly collinear (one "
                            "is an exact linear function of the others): drop one or use data "
                            "where they vary independently")

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, panel: pd.DataFrame) -> "BankEntryOLS":
        """Validate ``panel`` (one row per country-year, see ``loader``) and fit."""
        import statsmodels.api as sm

        cov_types = self._check_params()
        data = prepare_panel(panel, univ_average=self.univ_average)
        groups_raw = self._cluster_labels(panel, data)
        if groups_raw.isna().any() or (groups_raw.astype(str).str.strip() == "").any():
            rows = [i + 2 for i in np.flatnonzero(groups_raw.isna()
                                                   | (groups_raw.astype(str).str.strip() == ""))]
            raise UserError(f"column {self.cluster_col!r} is empty in rows "
                            f"{', '.join(map(str, rows[:10]))}: every row needs a cluster")
        k = len(REGRESSORS)
        n = len(data)
        if n <= k + 1:
            raise UserError(
                f"too few rows for the regression: N = {n}, but PROS ~ FDI + UNIV + BI + TAX "
                f"estimates {k + 1} coefficients and needs N ≥ {k + 2} (N > k + 1) to leave a "
                "residual degree of freedom; add country-years")

        design = data[list(REGRESSORS)].astype(float).copy()
        design["fdi"] = self._scale_fdi(data)
        self._check_design(design)
        exog = sm.add_constant(design, has_constant="add")
        endog = data["pros"].astype(float)
        groups, uniques = pd.factorize(groups_raw.astype(str))
        n_clusters = len(uniques)
        if "cluster" in cov_types and n_clusters < 2:
            raise UserError(f"clustered standard errors need at least 2 clusters in "
                            f"{self.cluster_col!r}, the panel has {n_clusters}: drop 'cluster' "
                            "from cov_types")

        model = sm.OLS(endog, exog)
        results = {}
        for cov in cov_types:
            if cov == "nonrobust":
                results[cov] = model.fit()
            elif cov == "cluster":
                # use_t with the default df_correction: t(G − 1), Stata's convention.
                results[cov] = model.fit(cov_type="cluster", cov_kwds={"groups": groups},
                                         use_t=True)
            else:
                results[cov] = model.fit(cov_type=cov, use_t=True)

        self.results_ = results
        self.n_obs_ = n
        self.n_clusters_ = n_clusters
        self.design_ = pd.concat([data[["country", "year", "pros"]], design], axis=1)
        self.fdi_label_ = FDI_LABELS[self.fdi_scale]
        self.coef_table_ = pd.concat([self._coefs(cov, res) for cov, res in results.items()],
                                     ignore_index=True)
        self.table2_ = self.coef_table_[self.coef_table_["cov_type"] == cov_types[0]] \
            .drop(columns=["cov_type"]).reset_index(drop=True)
        self.fit_stats_ = pd.DataFrame([self._stats(cov, res) for cov, res in results.items()])
        self.table1_, self.table1_pvalues_ = self._correlations(design)
        self.vif_ = vif_table(design.rename(columns=VARIABLE_LABELS))
        self.notes_ = self._notes(data, design, groups_raw, results)
        return self

    def _coefs(self, cov: str, res) -> pd.DataFrame:
        ci = np.asarray(res.conf_int(alpha=self.alpha))
        df = float(getattr(res, "df_resid_inference", None) or res.df_resid)
        return pd.DataFrame({
            "cov_type": cov, "term": list(TERMS), "notation": [NOTATION[t] for t in TERMS],
            "coef": np.asarray(res.params, dtype=float), "se": np.asarray(res.bse, dtype=float),
            "t": np.asarray(res.tvalues, dtype=float), "p": np.asarray(res.pvalues, dtype=float),
            "ci_low": ci[:, 0], "ci_high": ci[:, 1], "df": df,
            "sig": [_stars(p) for p in np.asarray(res.pvalues, dtype=float)],
        })

    def _stats(self, cov: str, res) -> dict:
        df_inf = float(getattr(res, "df_resid_inference", None) or res.df_resid)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f_value = float(np.squeeze(res.fvalue))
            f_pvalue = float(np.squeeze(res.f_pvalue))
        return {"cov_type": cov, "n_obs": int(res.nobs), "k": int(res.df_model),
                "df_resid": float(res.df_resid), "df_inference": df_inf,
                "r2": float(res.rsquared), "adj_r2": float(res.rsquared_adj),
                "f_stat": f_value, "f_df_num": float(res.df_model), "f_df_denom": df_inf,
                "f_pvalue": f_pvalue,
                "n_clusters": self.n_clusters_ if cov == "cluster" else None}

    @staticmethod
    def _correlations(design: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        labels = [VARIABLE_LABELS[c] for c in design.columns]
        values = design.to_numpy()
        k = values.shape[1]
        r = np.eye(k)
        p = np.zeros((k, k))
        for i in range(k):
            for j in range(i + 1, k):
                res = stats.pearsonr(values[:, i], values[:, j])
                r[i, j] = r[j, i] = float(res.statistic)
                p[i, j] = p[j, i] = float(res.pvalue)
        index = pd.Index(labels, name="variable")
        return (pd.DataFrame(r, index=index, columns=labels),
                pd.DataFrame(p, index=index, columns=labels))

    def _notes(self, data, design, groups_raw, results) -> list[str]:
        notes: list[str] = []
        n, g = self.n_obs_, self.n_clusters_
        if "cluster" in results and g < int(self.min_clusters):
            notes.append(
                f"Only {g} clusters ({self.cluster_col}), fewer than {int(self.min_clusters)}: "
                "cluster-robust standard errors are biased downward and over-reject with fewer "
                "than about 30-50 clusters (Cameron & Miller 2015). The 'cluster' p-values use "
                f"t with G - 1 = {g - 1} df, which helps but does not cure this: read them as "
                "approximate, or use a wild cluster bootstrap.")
        if n < 250 and ({"HC1", "HC3"} & set(results)):
            notes.append(f"N = {n} is small for heteroskedasticity-robust inference: with fewer "
                         "than about 250 observations prefer HC3 to HC1 (Long & Ervin 2000).")
        if n < 50:
            notes.append(f"N = {n} leaves {n - len(TERMS)} residual degree(s) of freedom: "
                         "every standard error here is imprecise.")
        if "HC3" in results:
            leverage = results["HC3"].get_influence().hat_matrix_diag
            if np.any(leverage > 1 - 1e-8):
                rows = data.loc[leverage > 1 - 1e-8, "row_number"].tolist()
                notes.append(f"Rows {', '.join(map(str, rows))} have leverage 1 (fitted "
                             "exactly), so HC3 is undefined for them; do not use the HC3 column.")
        counts = groups_raw.value_counts()
        if counts.nunique() > 1:
            short = sorted(counts[counts < counts.max()].index.astype(str))
            notes.append(f"Unbalanced panel: {len(short)} of {g} {self.cluster_col} groups have "
                         f"fewer than {counts.max()} rows ({', '.join(short[:10])}"
                         f"{', ...' if len(short) > 10 else ''}).")
        notes.append(f"Pooled OLS as in the paper: the {n} rows come from {g} "
                     f"{self.cluster_col} groups, and the nonrobust and HC standard errors treat "
                     "repeated rows of the same group as independent; the clustered ones do not.")
        fitted = np.asarray(next(iter(results.values())).fittedvalues)
        outside = int(np.sum((fitted < 0) | (fitted > 1)))
        n0, n1 = int((data["pros"] == 0).sum()), int((data["pros"] == 1).sum())
        notes.append(f"PROS is a share in [0, 1] (rows at 0: {n0}, at 1: {n1}; fitted values "
                     f"outside [0, 1]: {outside}); the paper's linear model ignores the "
                     "bounds, a fractional logit (Papke & Wooldridge 1996) respects them.")
        high = self.vif_[self.vif_["vif"] > 10]
        if len(high):
            notes.append("VIF above 10 for " + ", ".join(
                f"{v} ({x:.1f})" for v, x in zip(high["variable"], high["vif"]))
                + ": collinearity inflates these standard errors.")
        if self.fdi_scale == "thousands":
            notes.append("FDI is in USD thousands (the paper's unit), so β1 is the change in "
                         "PROS per USD 1,000 and is tiny (order 1e-8 for plausible effects); "
                         "fdi_scale='millions' multiplies it by 1,000 with the same t and p.")
        notes.append("UNIV runs from 1 (universal banking allowed) to 4 (restricted): a "
                     "negative β2 means a higher subsidiary share where universal banking is "
                     "allowed.")
        return notes

    # -- convenience --------------------------------------------------------------------------
    def coefficient(self, term: str, cov_type: str | None = None) -> pd.Series:
        """One row of ``coef_table_`` (default: the Table 2 covariance type)."""
        if not hasattr(self, "coef_table_"):
            raise UserError("call fit(panel) before reading coefficients")
        cov = cov_type or self.coef_table_["cov_type"].iloc[0]
        rows = self.coef_table_[(self.coef_table_["cov_type"] == cov)
                                & (self.coef_table_["term"] == term)]
        if rows.empty:
            raise UserError(f"no coefficient {term!r} under cov_type {cov!r}: terms are "
                            f"{', '.join(TERMS)}, fitted types "
                            f"{', '.join(self.results_)}")
        return rows.iloc[0]

    def se_comparison(self) -> pd.DataFrame:
        """Coefficients with each type's SE and p side by side (one row per term)."""
        wide = pd.DataFrame({"term": list(TERMS), "notation": [NOTATION[t] for t in TERMS]})
        first = self.coef_table_["cov_type"].iloc[0]
        wide["coef"] = self.coef_table_.loc[self.coef_table_["cov_type"] == first,
                                            "coef"].to_numpy()
        for cov in self.results_:
            part = self.coef_table_[self.coef_table_["cov_type"] == cov]
            wide[f"se_{cov}"] = part["se"].to_numpy()
            wide[f"p_{cov}"] = part["p"].to_numpy()
        return wide
