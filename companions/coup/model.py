"""Coup-attempt models: the paper's variable-threshold random forest, and an honest forecaster.

:class:`PaperCoupModel` reproduces Schultz (2019), "A machine learning analysis of coup attempts
in Python using a variable threshold Random Forest Regressor model":

1. drop the three columns the paper calls undefined — ``irregular``, ``couprisk``,
   ``pctile_risk`` — (38 -> 35 columns);
2. one-hot encode ``government`` (35 -> 50 columns);
3. drop rows with missing values (the paper found none);
4. ``X`` = every remaining column except identifiers and outcomes, ``y`` = ``pt_attempt``
   (same month); a random ``train_test_split`` (the paper's test set, 39,858 of 132,866 rows,
   is ``test_size=0.3``);
5. a :class:`~sklearn.ensemble.RandomForestRegressor` (the paper: 10,000 trees, OOB score) whose
   prediction p̂ is read as a probability;
6. a sweep over 1,000 thresholds τ = ``np.linspace(0, 1, 1000)`` with ŷ = 1[p̂ > τ], keeping the
   τ with the best precision, the best recall, the best F1, and the "default" τ = 0.500501
   (the first grid value >= 0.5), each with its confusion matrix (FN, TP, TN, FP);
7. impurity feature importances, and a league table of the latest month's p̂ by country.

The paper does not list ``X``; its counts (50 columns including the target) and its importance
ranking (``month`` ranked, no ``year`` or ``ccode``; at τ = 0.5 no true positives, impossible if
``pt_suc`` — a subset of attempts — were a feature) imply ``X`` excludes ``ccode``, ``country``,
``leader``, ``year``, ``pt_suc`` and ``pt_attempt``. That is what :data:`PAPER_EXCLUDED` holds.

:class:`HonestCoupModel` is what the same question needs to be a forecast: split by time, predict
*next* period's attempt from this period's features, choose thresholds on a validation window,
class weights for the rare class, and proper scores (PR-AUC, ROC-AUC, Brier, calibration,
permutation importances on the test window). ``pt_suc``, ``couprisk`` and ``pctile_risk`` are
never features: the first is an outcome, the other two are CoupCast's own model outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from zhengce.common.errors import UserError

TARGET = "pt_attempt"
# Columns the paper removes as "undefined".
PAPER_UNDEFINED = ("irregular", "couprisk", "pctile_risk")
# Identifiers, bookkeeping and outcomes: never features in either model (the honest model
# also drops ``year``, which a forest cannot extrapolate to later years).
PAPER_EXCLUDED = ("ccode", "gwcode", "country", "leader", "year", "pt_suc", TARGET,
                  "row_number", "reign_version", "n_leaders")
# Never allowed as honest features: an outcome and CoupCast's own (full-sample) risk estimates.
FORBIDDEN_FEATURES = ("pt_suc", "couprisk", "pctile_risk")
THRESHOLD_CHOICES = ("precision", "recall", "f1", "default")
HISTORY_FEATURES = ("attempt_now", "years_since_attempt", "attempts_past_window")


# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------

def _row_label(frame: pd.DataFrame, index) -> str:
    if "row_number" in frame.columns:
        return f"row {int(frame.at[index, 'row_number'])}"
    return f"row with index {index!r}"


def check_target(frame: pd.DataFrame, target: str = TARGET) -> pd.Series:
    """The 0/1 target as integers; UserError if absent, non-binary or never 1."""
    if target not in frame.columns:
        raise UserError(f"the data has no {target!r} column (the coup-attempt indicator); "
                        f"columns are {', '.join(map(str, frame.columns))}")
    values = pd.to_numeric(frame[target], errors="coerce")
    bad = values.isna() | ~values.isin([0, 1])
    if bad.any():
        idx = frame.index[bad.to_numpy()][0]
        raise UserError(f"{_row_label(frame, idx)}: column {target!r} must be 0 or 1, got "
                        f"{frame.at[idx, target]!r}; fix the value")
    if values.sum() == 0:
        raise UserError(f"column {target!r} is 0 in all {len(frame)} rows: there is no coup attempt "
                        "to learn from; check the target column or the join with the coup list")
    if values.sum() == len(values):
        raise UserError(f"column {target!r} is 1 in all {len(frame)} rows: a model needs both "
                        "attempts and non-attempts")
    return values.astype(int)


def numeric_features(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The feature columns as floats; UserError naming the first non-numeric cell."""
    out = {}
    for col in columns:
        series = frame[col]
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            out[col] = series.astype(float)
            continue
        converted = pd.to_numeric(series, errors="coerce")
        bad = converted.isna() & series.notna() & (series.astype(str).str.strip() != "")
        if bad.any():
            idx = frame.index[bad.to_numpy()][0]
            raise UserError(f"{_row_label(frame, idx)}: column {col!r} is not a number: "
                            f"{series.at[idx]!r}; fix the value or leave the column out")
        out[col] = converted.astype(float)
    return pd.DataFrame(out, index=frame.index)


def one_hot_government(frame: pd.DataFrame, column: str = "government") -> pd.DataFrame:
    """``government`` -> ``government_<type>`` 0/1 columns (the paper's 16 dummies)."""
    if column not in frame.columns:
        return frame
    if frame[column].isna().any():
        idx = frame.index[frame[column].isna().to_numpy()][0]
        raise UserError(f"{_row_label(frame, idx)}: column {column!r} is empty; every row needs "
                        "a regime type")
    return pd.get_dummies(frame, columns=[column], prefix=column, dtype=float)


def align_columns(X: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Reorder to the training columns; a regime type unseen in training is all-zero dummies."""
    return X.reindex(columns=list(columns), fill_value=0.0)


def threshold_grid(n_thresholds: int = 1000) -> np.ndarray:
    """The paper's grid: ``np.linspace(0, 1, n)`` (0.0, 0.001001, ..., 0.127127, ..., 1.0)."""
    if n_thresholds < 2:
        raise UserError(f"n_thresholds must be at least 2, got {n_thresholds}")
    return np.linspace(0.0, 1.0, n_thresholds)


def threshold_sweep(y_true, scores, n_thresholds: int = 1000,
                    thresholds: Sequence[float] | None = None) -> pd.DataFrame:
    """Precision, recall and F1 of ŷ = 1[p̂ > τ] for every τ on the grid.

    Strictly greater, as in the paper: at τ = 0 rows scored exactly 0 stay negative, which is
    why its best-recall threshold 0.0 recalls 81%, not 100%. Precision with no predicted
    positives, and F1 with precision + recall = 0, are 0.
    """
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(scores, dtype=float)
    if y.shape != p.shape:
        raise UserError(f"y_true has {y.size} values but scores has {p.size}")
    grid = np.asarray(thresholds, dtype=float) if thresholds is not None else threshold_grid(n_thresholds)
    predicted = p[None, :] > grid[:, None]
    positive = (y == 1)[None, :]
    tp = (predicted & positive).sum(axis=1)
    fp = (predicted & ~positive).sum(axis=1)
    fn = (~predicted & positive).sum(axis=1)
    tn = (~predicted & ~positive).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), 0.0)
        recall = np.where(tp + fn > 0, tp / np.maximum(tp + fn, 1), 0.0)
        f1 = np.where(precision + recall > 0,
                      2 * precision * recall / np.where(precision + recall > 0, precision + recall, 1),
                      0.0)
    return pd.DataFrame({"threshold": grid, "precision": precision, "recall": recall, "f1": f1,
                         "tp": tp, "fp": fp, "tn": tn, "fn": fn})


def pick_thresholds(sweep: pd.DataFrame) -> pd.DataFrame:
    """The paper's four thresholds: best precision, best recall, best F1 (the lowest τ among
    ties, as ``idxmax`` picks) and the default, the first grid τ >= 0.5."""
    rows = []
    for choice in ("precision", "recall", "f1"):
        rows.append({"choice": choice, **sweep.loc[sweep[choice].idxmax()].to_dict()})
    at_least_half = sweep.index[sweep["threshold"] >= 0.5]
    default_idx = at_least_half[0] if len(at_least_half) else sweep.index[-1]
    rows.append({"choice": "default", **sweep.loc[default_idx].to_dict()})
    out = pd.DataFrame(rows)
    for col in ("tp", "fp", "tn", "fn"):
        out[col] = out[col].astype(int)
    return out


def confusion_at(y_true, scores, threshold: float) -> dict[str, int]:
    """Confusion counts of ŷ = 1[p̂ > τ] in the paper's order (FN, TP, TN, FP)."""
    y = np.asarray(y_true, dtype=int)
    pred = np.asarray(scores, dtype=float) > threshold
    return {"fn": int(((~pred) & (y == 1)).sum()), "tp": int((pred & (y == 1)).sum()),
            "tn": int(((~pred) & (y == 0)).sum()), "fp": int((pred & (y == 0)).sum())}


def score_metrics(y_true, scores) -> dict[str, float]:
    """ROC-AUC, PR-AUC (average precision), Brier score and the base rate."""
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    y = np.asarray(y_true, dtype=int)
    p = np.clip(np.asarray(scores, dtype=float), 0.0, 1.0)
    return {"n": int(y.size), "positives": int(y.sum()), "base_rate": float(y.mean()),
            "roc_auc": float(roc_auc_score(y, p)), "pr_auc": float(average_precision_score(y, p)),
            "brier": float(brier_score_loss(y, p))}


def calibration_table(y_true, scores, n_bins: int = 10) -> pd.DataFrame:
    """Reliability table: mean predicted vs observed rate in quantile bins of p̂ (quantile bins,
    because with a 1% base rate most equal-width bins would be empty)."""
    y = np.asarray(y_true, dtype=int)
    p = np.clip(np.asarray(scores, dtype=float), 0.0, 1.0)
    frame = pd.DataFrame({"y": y, "p": p})
    bins = pd.qcut(frame["p"].rank(method="first"), q=min(n_bins, len(frame)), labels=False)
    grouped = frame.groupby(bins)
    return pd.DataFrame({"bin": grouped.size().index.astype(int) + 1, "n": grouped.size().to_numpy(),
                         "mean_predicted": grouped["p"].mean().to_numpy(),
                         "observed_rate": grouped["y"].mean().to_numpy(),
                         "positives": grouped["y"].sum().to_numpy().astype(int)})


def permutation_importances(model, X: pd.DataFrame, y, n_repeats: int = 5,
                            random_state: int | None = None) -> pd.DataFrame:
    """Drop in PR-AUC (average precision) when one feature is shuffled, ``n_repeats`` times.

    Same definition as :func:`sklearn.inspection.permutation_importance` with
    ``scoring="average_precision"``, but all repeats of a feature are scored in one
    ``predict_proba`` call (a forest's per-call overhead dominates on a few thousand rows), and a
    feature that is constant on these rows is 0 without scoring (shuffling cannot change it).
    """
    from sklearn.metrics import average_precision_score

    rng = np.random.RandomState(random_state)
    y = np.asarray(y, dtype=int)
    values = X.to_numpy(dtype=float)
    n = len(values)
    baseline = average_precision_score(y, model.predict_proba(X)[:, 1])
    rows = []
    for j, name in enumerate(X.columns):
        orders = [rng.permutation(n) for _ in range(n_repeats)]
        if np.all(values[:, j] == values[0, j]):
            drops = np.zeros(n_repeats)
        else:
            stacked = np.tile(values, (n_repeats, 1))
            for r, order in enumerate(orders):
                stacked[r * n:(r + 1) * n, j] = values[order, j]
            scores = model.predict_proba(pd.DataFrame(stacked, columns=X.columns))[:, 1]
            drops = np.array([baseline - average_precision_score(y, scores[r * n:(r + 1) * n])
                              for r in range(n_repeats)])
        rows.append({"feature": name, "importance_mean": float(drops.mean()),
                     "importance_std": float(drops.std())})
    return (pd.DataFrame(rows).sort_values("importance_mean", ascending=False, kind="mergesort")
            .reset_index(drop=True))


def _unit_column(frame: pd.DataFrame, unit: str | None) -> str:
    if unit is not None:
        if unit not in frame.columns:
            raise UserError(f"unit column {unit!r} is not in the data; columns are "
                            f"{', '.join(map(str, frame.columns))}")
        return unit
    for candidate in ("ccode", "gwcode"):
        if candidate in frame.columns:
            return candidate
    raise UserError("the data has neither 'ccode' nor 'gwcode': name the country column with unit=")


def _is_monthly(frame: pd.DataFrame) -> bool:
    return "month" in frame.columns


def _period_index(frame: pd.DataFrame) -> pd.Series:
    """Integer time index: the year, or year*12 + month - 1 for monthly data."""
    year = pd.to_numeric(frame["year"], errors="raise").astype(int)
    if _is_monthly(frame):
        return year * 12 + pd.to_numeric(frame["month"], errors="raise").astype(int) - 1
    return year


def latest_by_unit(frame: pd.DataFrame, unit: str) -> pd.DataFrame:
    """The latest period's rows, one per country (REIGN leader-months collapsed first)."""
    from .loader import country_months

    work = frame
    if _is_monthly(work) and work.duplicated([unit, "year", "month"]).any():
        work = country_months(work, unit=unit)
    period = _period_index(work)
    return work[period == period.max()]


# ---------------------------------------------------------------------------------------------
# The paper's model
# ---------------------------------------------------------------------------------------------

def paper_design(frame: pd.DataFrame, target: str = TARGET) -> tuple[pd.DataFrame, list[str]]:
    """The paper's feature frame: undefined columns and identifiers/outcomes dropped, then
    ``government`` one-hot encoded. Returns (X as floats, names of the dropped columns)."""
    dropped = [c for c in (*PAPER_UNDEFINED, *PAPER_EXCLUDED, target) if c in frame.columns]
    X = one_hot_government(frame.drop(columns=list(dict.fromkeys(dropped))))
    return numeric_features(X, list(X.columns)), list(dict.fromkeys(dropped))


class PaperCoupModel:
    """Schultz (2019): random-forest regressor on ``pt_attempt`` with a swept threshold.

    Parameters (paper notation)
    ---------------------------
    n_estimators : number of trees (the paper: 10,000; default 500 so it runs in minutes).
    test_size : share of rows in the random test split (the paper: 0.3).
    n_thresholds : size of the τ grid ``np.linspace(0, 1, n_thresholds)`` (the paper: 1,000).
    oob_score : compute the out-of-bag R² the paper relies on instead of cross-validation.
    random_state : seeds the split and the forest.

    Learned attributes
    ------------------
    feature_names_in_, model_ (the fitted regressor), n_dropped_missing_,
    test_index_, y_test_, test_scores_ (p̂ on the test rows), sweep_ (all τ),
    thresholds_ (the four chosen τ with precision, recall, F1 and FN/TP/TN/FP),
    feature_importances_ (impurity), metrics_ (ROC-AUC, PR-AUC, Brier, OOB R² on the test split).
    """

    def __init__(self, n_estimators: int = 500, test_size: float = 0.3, n_thresholds: int = 1000,
                 oob_score: bool = True, target: str = TARGET, n_jobs: int = 2,
                 random_state: int | None = None):
        self.n_estimators = n_estimators
        self.test_size = test_size
        self.n_thresholds = n_thresholds
        self.oob_score = oob_score
        self.target = target
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _validate_params(self) -> None:
        if int(self.n_estimators) < 1:
            raise UserError(f"n_estimators must be >= 1, got {self.n_estimators}")
        if not 0.0 < float(self.test_size) < 1.0:
            raise UserError(f"test_size must be between 0 and 1, got {self.test_size}")

    def fit(self, frame: pd.DataFrame) -> "PaperCoupModel":
        from sklearn.ensemble import RandomForestRegressor
        from sklearn.model_selection import train_test_split

        self._validate_params()
        y = check_target(frame, self.target)
        X, dropped = paper_design(frame, self.target)
        complete = X.notna().all(axis=1)
        self.n_dropped_missing_ = int((~complete).sum())
        X, y = X[complete], y[complete]
        if y.sum() == 0:
            raise UserError(f"every row with {self.target} = 1 has a missing feature value: "
                            "fill the gaps or leave those columns out")
        # report the data columns the method drops, not the loader's bookkeeping
        self.dropped_columns_ = [c for c in dropped if c not in ("row_number", "reign_version",
                                                                  "n_leaders")]
        self.feature_names_in_ = np.array(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=self.test_size, random_state=self.random_state)
        if y_test.sum() == 0 or y_test.sum() == len(y_test):
            raise UserError(f"the random test split ({len(y_test)} rows) has "
                            f"{int(y_test.sum())} attempts: use more data, another random_state "
                            "or a larger test_size")
        # bootstrap=True is needed for the OOB estimate; sklearn's default max_features=1.0
        # (all features per split) is what RandomForestRegressor used in 2019 too.
        self.model_ = RandomForestRegressor(
            n_estimators=int(self.n_estimators), oob_score=bool(self.oob_score),
            n_jobs=self.n_jobs, random_state=self.random_state).fit(X_train, y_train)
        self.n_train_ = int(len(y_train))
        self.test_index_ = X_test.index
        self.y_test_ = y_test.to_numpy()
        self.test_scores_ = self.model_.predict(X_test)
        self.sweep_ = threshold_sweep(self.y_test_, self.test_scores_, self.n_thresholds)
        self.thresholds_ = pick_thresholds(self.sweep_)
        self.feature_importances_ = pd.Series(self.model_.feature_importances_,
                                              index=self.feature_names_in_,
                                              name="impurity_importance").sort_values(ascending=False)
        metrics = score_metrics(self.y_test_, self.test_scores_)
        metrics["n_train"] = self.n_train_
        metrics["n_dropped_missing"] = self.n_dropped_missing_
        if self.oob_score:
            metrics["oob_r2"] = float(self.model_.oob_score_)
        self.metrics_ = metrics
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise UserError("this PaperCoupModel is not fitted yet: call fit(frame) first")

    def predict_risk(self, frame: pd.DataFrame) -> np.ndarray:
        """p̂ for new rows (same columns as the training frame)."""
        self._check_fitted()
        X, _ = paper_design(frame, self.target)
        X = align_columns(X, self.feature_names_in_)
        if X.isna().any().any():
            col = X.columns[X.isna().any()][0]
            idx = X.index[X[col].isna().to_numpy()][0]
            raise UserError(f"{_row_label(frame, idx)}: column {col!r} is empty; the model "
                            "needs a value")
        return self.model_.predict(X)

    def league_table(self, frame: pd.DataFrame, unit: str | None = None) -> pd.DataFrame:
        """The paper's league table: p̂ for the latest month (year) by country, highest first,
        with whether it clears the best-F1 threshold. As in the paper these rows may have been
        in the training split, so this is not a forecast."""
        self._check_fitted()
        unit = _unit_column(frame, unit)
        latest = latest_by_unit(frame, unit)
        risk = self.predict_risk(latest)
        f1_threshold = float(self.thresholds_.set_index("choice").at["f1", "threshold"])
        out = pd.DataFrame({unit: latest[unit].to_numpy()})
        if "country" in latest.columns:
            out["country"] = latest["country"].to_numpy()
        out["year"] = latest["year"].to_numpy()
        if "month" in latest.columns:
            out["month"] = latest["month"].to_numpy()
        out["predicted_risk"] = risk
        out["above_f1_threshold"] = risk > f1_threshold
        out = out.sort_values(["predicted_risk", unit], ascending=[False, True], kind="mergesort")
        out.insert(0, "rank", range(1, len(out) + 1))
        return out.reset_index(drop=True)


def noise_probe(frame: pd.DataFrame, *, n_estimators: int = 500, test_size: float = 0.3,
                random_state: int | None = None, n_jobs: int = 2,
                target: str = TARGET) -> dict[str, float | int]:
    """Refit the paper's model with one extra column of pure N(0, 1) noise and report where the
    noise lands in the impurity ranking (1 = most important).

    Mean decrease in impurity favours continuous, many-valued columns whatever their effect; a
    noise column ranked near the top shows how much of the paper's importance ranking (headed by
    the continuous ``precip``) that bias alone can produce.
    """
    rng = np.random.default_rng(random_state)
    probe = frame.copy()
    name = "noise_probe"
    while name in probe.columns:
        name += "_"
    probe[name] = rng.normal(size=len(probe))
    model = PaperCoupModel(n_estimators=n_estimators, test_size=test_size, oob_score=False,
                           target=target, n_jobs=n_jobs, random_state=random_state).fit(probe)
    ranking = list(model.feature_importances_.index)
    return {"rank": ranking.index(name) + 1, "n_features": len(ranking),
            "importance": float(model.feature_importances_[name]),
            "top_feature": ranking[0] if ranking[0] != name else ranking[1]}


# ---------------------------------------------------------------------------------------------
# The honest model
# ---------------------------------------------------------------------------------------------

def lagged_panel(frame: pd.DataFrame, unit: str, target: str = TARGET) -> pd.DataFrame:
    """Add ``target_next`` = the target in the unit's *next* period and ``target_period`` = that
    period's year (the year the forecast is about).

    The next period must be exactly one step later (next year, or next month for monthly data);
    after a gap or in a unit's last observed period ``target_next`` is NaN — those rows cannot
    be scored, and the last ones are the rows a forecast is made from.
    """
    work = frame.copy()
    work["_period"] = _period_index(work)
    work = work.sort_values([unit, "_period"], kind="mergesort")
    nxt_period = work.groupby(unit)["_period"].shift(-1)
    nxt_target = work.groupby(unit)[target].shift(-1)
    consecutive = nxt_period == work["_period"] + 1
    work["target_next"] = nxt_target.where(consecutive)
    step_year = (work["_period"] + 1) // 12 if _is_monthly(work) else work["_period"] + 1
    work["target_period"] = step_year.astype(int)
    return work


def history_features(panel: pd.DataFrame, unit: str, target: str = TARGET,
                     window_years: int = 5) -> pd.DataFrame:
    """Coup history known at period t (predicting t+1 may use it):

    - ``attempt_now``: an attempt in period t;
    - ``years_since_attempt``: years since the unit's latest attempt at or before t, counted from
      the period before its first observation when it has none (left-censored);
    - ``attempts_past_window``: attempts in the ``window_years`` years up to and including t.
    """
    periods_per_year = 12 if _is_monthly(panel) else 1
    window = window_years * periods_per_year
    out = pd.DataFrame(index=panel.index, columns=list(HISTORY_FEATURES), dtype=float)
    for _, group in panel.groupby(unit, sort=False):
        group = group.sort_values("_period", kind="mergesort")
        t = group["_period"].to_numpy()
        a = group[target].to_numpy().astype(int)
        last = np.full(len(t), np.nan)
        current = t[0] - 1  # before the first observation: counts as "last seen" for censoring
        for i in range(len(t)):
            if a[i] == 1:
                current = t[i]
            last[i] = current
        attempt_times = t[a == 1]
        cum = np.searchsorted(attempt_times, t, side="right")
        before = np.searchsorted(attempt_times, t - window, side="right")
        out.loc[group.index, "attempt_now"] = a.astype(float)
        out.loc[group.index, "years_since_attempt"] = (t - last) / periods_per_year
        out.loc[group.index, "attempts_past_window"] = (cum - before).astype(float)
    return out.astype(float)


@dataclass(frozen=True)
class TimeSplit:
    """Boundaries of the three windows, in target years (the year being forecast)."""

    train: tuple[int, int]
    validation: tuple[int, int]
    test: tuple[int, int]

    def masks(self, target_year: pd.Series) -> dict[str, pd.Series]:
        return {name: target_year.between(*getattr(self, name))
                for name in ("train", "validation", "test")}


def time_split(target_years: Sequence[int], validation_start: int | None = None,
               test_start: int | None = None, share: float = 0.2) -> TimeSplit:
    """Train on earlier years, validate on the next ones, test on the latest.

    Without explicit starts the latest ``share`` of the distinct years (at least one) is the test
    window and the ``share`` before it (at least one) the validation window. Needs three distinct
    years; raises :class:`UserError` otherwise.
    """
    years = sorted({int(y) for y in target_years})
    if len(years) < 3:
        shown = ", ".join(map(str, years)) or "none"
        raise UserError(f"a time split needs at least 3 distinct years to forecast (train, "
                        f"validation, test); the data gives only {shown}: use a longer panel")
    n = len(years)
    k = max(1, int(round(share * n)))
    if test_start is None:
        test_start = years[max(2, n - k)]
    if validation_start is None:
        earlier = [y for y in years if y < test_start]
        if len(earlier) < 2:
            raise UserError(f"test_start={test_start} leaves fewer than 2 earlier years for "
                            "training and validation: choose a later test_start")
        validation_start = earlier[max(1, len(earlier) - k)]
    if not years[0] < validation_start < test_start <= years[-1]:
        raise UserError(f"need first year {years[0]} < validation_start {validation_start} < "
                        f"test_start {test_start} <= last year {years[-1]}: adjust the split")
    return TimeSplit(train=(years[0], validation_start - 1),
                     validation=(validation_start, test_start - 1),
                     test=(test_start, years[-1]))


class HonestCoupModel:
    """A forecast of next period's coup attempt, validated out of time.

    Design (versus the paper): the target is ``pt_attempt`` in period t+1 and the features are
    period t's (the forecast is made before the outcome); windows are split by the year being
    forecast (train < ``validation_start`` <= validation < ``test_start`` <= test); the
    thresholds τ are chosen on the validation window and only *applied* to the test window; a
    :class:`~sklearn.ensemble.RandomForestClassifier` with ``class_weight`` handles the ~1% base
    rate; the test window is scored with PR-AUC (average precision; no-skill = base rate),
    ROC-AUC, Brier score, a reliability table and permutation importances (ΔPR-AUC when a
    feature is shuffled on the test window).

    Monthly REIGN leader-months are collapsed to country-months first (see
    :func:`companions.coup.loader.country_months`).

    Parameters
    ----------
    features : explicit feature columns; default = the paper's feature set (its undefined
        columns, identifiers, ``year`` and outcomes dropped; ``government`` one-hot) plus the
        coup-history features when ``history_features``. ``pt_suc``, ``couprisk`` and
        ``pctile_risk`` raise :class:`UserError`.
    history_features : add ``attempt_now``, ``years_since_attempt``, ``attempts_past_window``.
    history_years : window of ``attempts_past_window``.
    validation_start, test_start : first target year of the validation / test windows
        (default: the latest 20% of years for each, see :func:`time_split`).
    refit : after choosing τ on the validation window, refit on train + validation before
        scoring the test window (a forecaster uses all the data it has).
    n_estimators, min_samples_leaf, max_features, class_weight : the forest.
    permutation_repeats : shuffles per feature for permutation importances (0 skips them).
    n_thresholds : size of the τ grid, as in the paper.
    random_state : seeds the forests and the permutations.

    Learned attributes
    ------------------
    split_, n_windows_ (rows and attempts per window), feature_names_in_, model_ (scores the
    test window), forecast_model_ (fit on every labelled row), validation_sweep_, thresholds_
    (τ chosen on validation, with validation and test precision/recall/F1 and confusion counts),
    test_scores_, y_test_, metrics_, calibration_, permutation_importances_,
    feature_importances_ (impurity), forecast_ (next-period risk by country from the latest
    period), n_unlabelled_ (rows with no next period in the data).
    """

    def __init__(self, n_estimators: int = 500, min_samples_leaf: int = 10,
                 max_features: str | float | int = "sqrt",
                 class_weight: str | dict | None = "balanced_subsample",
                 features: Sequence[str] | None = None, history_features: bool = True,
                 history_years: int = 5, validation_start: int | None = None,
                 test_start: int | None = None, refit: bool = True, n_thresholds: int = 1000,
                 permutation_repeats: int = 5, target: str = TARGET, unit: str | None = None,
                 n_jobs: int = 2, random_state: int | None = None):
        self.n_estimators = n_estimators
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.class_weight = class_weight
        self.features = features
        self.history_features = history_features
        self.history_years = history_years
        self.validation_start = validation_start
        self.test_start = test_start
        self.refit = refit
        self.n_thresholds = n_thresholds
        self.permutation_repeats = permutation_repeats
        self.target = target
        self.unit = unit
        self.n_jobs = n_jobs
        self.random_state = random_state

    # -- design --------------------------------------------------------------------------------
    def _check_features(self, frame: pd.DataFrame) -> list[str] | None:
        if self.features is None:
            return None
        requested = list(self.features)
        forbidden = [f for f in requested if f in FORBIDDEN_FEATURES]
        if forbidden:
            raise UserError(f"feature(s) {', '.join(forbidden)} would leak the outcome: pt_suc is "
                            "a coup outcome and couprisk/pctile_risk are CoupCast's own risk "
                            "estimates; remove them from features")
        if self.target in requested:
            raise UserError(f"{self.target!r} is the outcome; its current value is already the "
                            "history feature 'attempt_now' — remove it from features")
        available = set(frame.columns) | set(HISTORY_FEATURES)
        missing = [f for f in requested if f not in available]
        if missing:
            raise UserError(f"feature(s) {', '.join(missing)} are not in the data; columns are "
                            f"{', '.join(map(str, frame.columns))}")
        return requested

    def _design(self, panel: pd.DataFrame, history: pd.DataFrame | None,
                requested: list[str] | None) -> pd.DataFrame:
        if requested is None:
            drop = [c for c in (*PAPER_UNDEFINED, *PAPER_EXCLUDED, *FORBIDDEN_FEATURES, self.target,
                                "_period", "target_next", "target_period") if c in panel.columns]
            base = panel.drop(columns=list(dict.fromkeys(drop)))
            # everything the paper keeps, but no calendar year: a forest cannot extrapolate it
            X = one_hot_government(base)
            X = numeric_features(X, list(X.columns))
            if history is not None:
                X = pd.concat([X, history], axis=1)
            return X
        plain = [f for f in requested if f not in HISTORY_FEATURES]
        X = one_hot_government(panel[plain])
        X = numeric_features(X, list(X.columns))
        wanted_history = [f for f in requested if f in HISTORY_FEATURES]
        if wanted_history:
            X = pd.concat([X, history[wanted_history]], axis=1)
        return X

    def _forest(self):
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(
            n_estimators=int(self.n_estimators), min_samples_leaf=int(self.min_samples_leaf),
            max_features=self.max_features, class_weight=self.class_weight, n_jobs=self.n_jobs,
            random_state=self.random_state)

    # -- fit -----------------------------------------------------------------------------------
    def fit(self, frame: pd.DataFrame) -> "HonestCoupModel":
        if int(self.n_estimators) < 1:
            raise UserError(f"n_estimators must be >= 1, got {self.n_estimators}")
        for col in ("year",):
            if col not in frame.columns:
                raise UserError(f"the data has no {col!r} column; a time split needs it")
        unit = _unit_column(frame, self.unit)
        requested = self._check_features(frame)
        check_target(frame, self.target)
        work = self._one_row_per_period(frame, unit)
        panel = lagged_panel(work, unit, self.target)
        history = (history_features(panel, unit, self.target, self.history_years)
                   if self.history_features or (requested and set(requested) & set(HISTORY_FEATURES))
                   else None)
        X_all = self._design(panel, history, requested)
        labelled = panel["target_next"].notna()
        self.n_unlabelled_ = int((~labelled).sum())
        complete = X_all.notna().all(axis=1)
        self.n_dropped_missing_ = int((labelled & ~complete).sum())
        use = labelled & complete
        X, y = X_all[use], panel.loc[use, "target_next"].astype(int)
        masks = self._split(panel.loc[use, "target_period"], y)
        self.feature_names_in_ = np.array(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        self.unit_ = unit
        self._fit_and_test(X, y, masks)
        # The forecast: a model fit on every labelled row, applied to each country's latest period.
        self.forecast_model_ = self._forest().fit(X, y)
        self.forecast_ = self._forecast(panel, X_all, unit)
        return self

    def _one_row_per_period(self, frame: pd.DataFrame, unit: str) -> pd.DataFrame:
        """The panel with one row per country and period, a clean index and checked years."""
        from .loader import country_months

        work = frame
        if _is_monthly(work) and work.duplicated([unit, "year", "month"]).any():
            # REIGN leader-months: a month with a leader change has two rows
            work = country_months(work, unit=unit)
        elif work.duplicated([unit, "year"] + (["month"] if _is_monthly(work) else [])).any():
            dup = work[work.duplicated([unit, "year"], keep=False)].iloc[0]
            raise UserError(f"two rows for {unit} {dup[unit]} in {dup['year']}: keep one row per "
                            "country and period")
        # a clean 0..n-1 index: the lag and history steps align rows by index label
        work = work.reset_index(drop=True)
        work[self.target] = check_target(work, self.target)
        years = pd.to_numeric(work["year"], errors="coerce")
        if years.isna().any():
            idx = work.index[years.isna().to_numpy()][0]
            raise UserError(f"{_row_label(work, idx)}: column 'year' is not a number: "
                            f"{work.at[idx, 'year']!r}")
        if years.nunique() < 2:
            raise UserError(f"the data covers only {int(years.iloc[0])}: forecasting next "
                            "period's attempt out of time needs several years (train, "
                            "validation, test); use a longer panel")
        return work

    def _split(self, target_year: pd.Series, y: pd.Series) -> dict[str, pd.Series]:
        """Train / validation / test masks by target period; every window needs attempts."""
        self.split_ = time_split(target_year, self.validation_start, self.test_start)
        masks = self.split_.masks(target_year)
        self.n_windows_ = {name: {"rows": int(m.sum()), "attempts": int(y[m].sum())}
                           for name, m in masks.items()}
        for name, counts in self.n_windows_.items():
            if counts["attempts"] == 0 or counts["attempts"] == counts["rows"]:
                first, last = getattr(self.split_, name)
                raise UserError(f"the {name} window ({first}-{last}, {counts['rows']} rows) has "
                                f"{counts['attempts']} next-period attempts: move "
                                "validation_start/test_start so every window has attempts")
        return masks

    def _fit_and_test(self, X: pd.DataFrame, y: pd.Series, masks: dict[str, pd.Series]) -> None:
        """Fit on train, pick thresholds on validation (refit on both if asked), score on test."""
        train, val, test = masks["train"], masks["validation"], masks["test"]
        model = self._forest().fit(X[train], y[train])
        val_scores = model.predict_proba(X[val])[:, 1]
        self.validation_sweep_ = threshold_sweep(y[val], val_scores, self.n_thresholds)
        chosen = pick_thresholds(self.validation_sweep_)
        if self.refit:
            model = self._forest().fit(X[train | val], y[train | val])
        self.model_ = model
        self.y_test_ = y[test].to_numpy()
        self.test_scores_ = model.predict_proba(X[test])[:, 1]
        self.test_index_ = X[test].index
        self.test_sweep_ = threshold_sweep(self.y_test_, self.test_scores_, self.n_thresholds)
        rows = []
        for rec in chosen.to_dict(orient="records"):
            tau = rec["threshold"]
            test_row = threshold_sweep(self.y_test_, self.test_scores_, thresholds=[tau]).iloc[0]
            rows.append({"choice": rec["choice"], "threshold": tau,
                         "validation_precision": rec["precision"], "validation_recall": rec["recall"],
                         "validation_f1": rec["f1"], "precision": test_row["precision"],
                         "recall": test_row["recall"], "f1": test_row["f1"],
                         **confusion_at(self.y_test_, self.test_scores_, tau)})
        self.thresholds_ = pd.DataFrame(rows)
        metrics = score_metrics(self.y_test_, self.test_scores_)
        metrics["n_train"] = int((train | val).sum()) if self.refit else int(train.sum())
        metrics["n_validation"] = int(val.sum())
        metrics["n_unlabelled"] = self.n_unlabelled_
        metrics["n_dropped_missing"] = self.n_dropped_missing_
        self.metrics_ = metrics
        self.calibration_ = calibration_table(self.y_test_, self.test_scores_)
        self.feature_importances_ = pd.Series(model.feature_importances_, index=self.feature_names_in_,
                                              name="impurity_importance").sort_values(ascending=False)
        if int(self.permutation_repeats) > 0:
            self.permutation_importances_ = permutation_importances(
                model, X[test], self.y_test_, n_repeats=int(self.permutation_repeats),
                random_state=self.random_state)
        else:
            self.permutation_importances_ = None

    def _forecast(self, panel: pd.DataFrame, X_all: pd.DataFrame, unit: str) -> pd.DataFrame:
        """Next-period risk of each country observed in the latest period, ranked."""
        last = panel.groupby(unit)["_period"].transform("max")
        latest = (panel["_period"] == panel["_period"].max()) & (panel["_period"] == last)
        X_latest = X_all[latest]
        ok = X_latest.notna().all(axis=1)
        latest_rows = panel[latest][ok.to_numpy()]
        risk = self.forecast_model_.predict_proba(X_latest[ok])[:, 1] if ok.any() else np.array([])
        f1_tau = float(self.thresholds_.set_index("choice").at["f1", "threshold"])
        forecast = pd.DataFrame({unit: latest_rows[unit].to_numpy()})
        if "country" in latest_rows.columns:
            forecast["country"] = latest_rows["country"].to_numpy()
        forecast["from_year"] = latest_rows["year"].to_numpy()
        if _is_monthly(latest_rows):
            forecast["from_month"] = latest_rows["month"].to_numpy()
        forecast["risk_next_period"] = risk
        forecast["above_f1_threshold"] = risk > f1_tau
        forecast = forecast.sort_values(["risk_next_period", unit], ascending=[False, True],
                                        kind="mergesort")
        forecast.insert(0, "rank", range(1, len(forecast) + 1))
        return forecast.reset_index(drop=True)


def compare_metrics(paper: PaperCoupModel, honest: HonestCoupModel) -> pd.DataFrame:
    """The two protocols side by side on the same data (rows = metrics)."""
    def at_f1(thresholds: pd.DataFrame) -> pd.Series:
        return thresholds.set_index("choice").loc["f1"]

    p_f1, h_f1 = at_f1(paper.thresholds_), at_f1(honest.thresholds_)
    pm, hm = paper.metrics_, honest.metrics_
    rows = [
        ("training rows", pm["n_train"], hm["n_train"]),
        ("test rows", pm["n"], hm["n"]),
        ("test attempts", pm["positives"], hm["positives"]),
        ("test base rate", pm["base_rate"], hm["base_rate"]),
        ("ROC-AUC", pm["roc_auc"], hm["roc_auc"]),
        ("PR-AUC (average precision)", pm["pr_auc"], hm["pr_auc"]),
        ("PR-AUC / base rate", pm["pr_auc"] / pm["base_rate"], hm["pr_auc"] / hm["base_rate"]),
        ("Brier score", pm["brier"], hm["brier"]),
        ("best-F1 threshold", p_f1["threshold"], h_f1["threshold"]),
        ("precision at that threshold (test)", p_f1["precision"], h_f1["precision"]),
        ("recall at that threshold (test)", p_f1["recall"], h_f1["recall"]),
        ("F1 at that threshold (test)", p_f1["f1"], h_f1["f1"]),
    ]
    return pd.DataFrame(rows, columns=["metric", "paper", "honest"]).astype(
        {"paper": float, "honest": float})
