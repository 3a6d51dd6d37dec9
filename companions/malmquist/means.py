"""Geometric means, as DEAP 2.1 averages Malmquist indices (annual, firm, sub-group, overall).

Its own module because the index (``model.py``) and its bootstrap (``bootstrap.py``) both average
this way, and the model runs the bootstrap.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd


def geometric_mean(values: Iterable[float]) -> float:
    """Geometric mean of the finite values (NaN when there are none)."""
    if not isinstance(values, (np.ndarray, pd.Series, list, tuple)):
        values = list(values)
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return float("nan")
    return float(np.exp(np.mean(np.log(arr))))
