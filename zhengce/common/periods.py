"""The study period's one fixed date: China's WTO accession, and the pre/post rule built on it.

China joined the WTO on 11 December 2001. Tan (2021) compares each level's strategy mix before
and after entry; a document belongs to the *post* period when its analysis year is after
:data:`WTO_YEAR` (documents of 2001 itself are *pre*: the accession came in the year's last
weeks, and most of that year's documents were drafted before it).
"""

from __future__ import annotations

import datetime as _dt

import numpy as np

WTO_ACCESSION_DATE = _dt.date(2001, 12, 11)
WTO_YEAR = WTO_ACCESSION_DATE.year
PERIOD_LABELS = ("pre", "post")


def is_post(year, cutoff: int = WTO_YEAR):
    """True where ``year`` is after ``cutoff`` (scalar, array or pandas Series; missing -> False)."""
    if np.isscalar(year) or year is None:
        return year is not None and year == year and year > cutoff  # year == year: not NaN
    return np.asarray(year, dtype=float) > cutoff


def period_of(year, cutoff: int = WTO_YEAR) -> str | None:
    """``"pre"`` / ``"post"`` for one year, ``None`` when the year is unknown."""
    if year is None or year != year:
        return None
    return PERIOD_LABELS[int(year > cutoff)]
