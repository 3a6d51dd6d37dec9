"""DMR covariates: a DataFrame aligned with the corpus turned into each document's cell,
features and numeric values (what tomotopy's ``metadata``, ``multi_metadata`` and
``numeric_metadata`` take)."""

from __future__ import annotations

import math

import numpy as np

from zhengce.common.errors import UserError

#: the one cell of a model without cell columns
ALL_CELL = "(all)"


def _is_missing(value) -> bool:
    """None/NaN/NA scalars; containers and strings are values (an empty list means 'none')."""
    if value is None:
        return True
    if isinstance(value, (str, bytes, list, tuple, set, dict, np.ndarray)):
        return False
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def encode_covariates(model, covariates, n_docs: int, what: str = "covariates"):
    """Per document: (cell string, feature list, numeric list)."""
    if not model._uses_covariates:
        if covariates is not None:
            raise UserError(f"{what} were given but cell_columns, feature_columns and "
                            "numeric_columns are all empty: name the columns to use")
        return [ALL_CELL] * n_docs, [[] for _ in range(n_docs)], [[] for _ in range(n_docs)]
    import pandas as pd

    if covariates is None:
        raise UserError(f"{type(model).__name__} needs {what}: pass a DataFrame with columns "
                        f"{[*model.cell_columns, *model.feature_columns, *model.numeric_columns]} "
                        "aligned with the corpus")
    if not isinstance(covariates, pd.DataFrame):
        raise UserError(f"{what} must be a pandas DataFrame (got {type(covariates).__name__})")
    if len(covariates) != n_docs:
        raise UserError(f"{what} has {len(covariates)} rows but the corpus has {n_docs} "
                        "documents: align them (one row per document, same order)")
    needed = [*model.cell_columns, *model.feature_columns, *model.numeric_columns]
    absent = [c for c in needed if c not in covariates.columns]
    if absent:
        raise UserError(f"{what} lacks column(s) {absent}: add them or change "
                        "cell_columns/feature_columns/numeric_columns")
    index = list(covariates.index)
    cells: list[str] = []
    features: list[list[str]] = []
    numerics: list[list[float]] = []
    cell_values = [covariates[c].tolist() for c in model.cell_columns]
    feature_values = [covariates[c].tolist() for c in model.feature_columns]
    numeric_values = [covariates[c].tolist() for c in model.numeric_columns]
    for i in range(n_docs):
        parts = []
        for col, values in zip(model.cell_columns, cell_values):
            v = values[i]
            if _is_missing(v):
                raise UserError(f"{what} row {index[i]!r}: column {col!r} is missing: fill "
                                "it (e.g. 'unknown') or drop the document before fitting")
            parts.append(f"{col}={v}")
        cells.append("|".join(parts) if parts else ALL_CELL)
        feats: list[str] = []
        for col, values in zip(model.feature_columns, feature_values):
            v = values[i]
            items = list(v) if isinstance(v, (list, tuple, set, np.ndarray)) else [v]
            for item in items:
                if _is_missing(item):
                    raise UserError(f"{what} row {index[i]!r}: column {col!r} is missing: "
                                    "use an empty list for 'no value' or fill it")
                name = f"{col}={item}"
                if name not in feats:
                    feats.append(name)
        features.append(feats)
        nums: list[float] = []
        for col, values in zip(model.numeric_columns, numeric_values):
            v = values[i]
            try:
                x = float(v)
            except (TypeError, ValueError):
                x = float("nan")
            if not math.isfinite(x):
                raise UserError(f"{what} row {index[i]!r}: numeric column {col!r} has "
                                f"{v!r}: fill or drop it before fitting")
            nums.append(x)
        numerics.append(nums)
    return cells, features, numerics
