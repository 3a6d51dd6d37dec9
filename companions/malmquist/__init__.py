"""Malmquist productivity companion (Gitau & Gor, factor productivity of Kenyan banks).

DEA distance functions by linear programming, the Malmquist TFP index between adjacent periods
(Färe, Grosskopf, Norris & Zhang 1994) decomposed as in DEAP 2.1 (Coelli 1996), DEAP-style
tables, sub-group means (the paper's Table 3) and Simar-Wilson (1999) bootstrap intervals.

>>> from companions.malmquist import MalmquistIndex, load_sample
>>> panel = load_sample()
>>> m = MalmquistIndex(orientation="output").fit(
...     panel, firm="bank", period="year",
...     inputs=["deposits", "labour_costs", "fixed_assets"],
...     outputs=["loans", "other_earning_assets"], groups=["ownership", "size", "listing"])
>>> sorted(m.annual_means_.columns)[:3]
['effch', 'n_failed', 'n_firms']
"""

from .dea import Frontier, farrell_efficiency
from .loader import load_panel, read_deap, read_deap_data, read_deap_instructions, store_results
from .means import geometric_mean
from .model import COMPONENTS, MalmquistIndex, validate_panel


def load_sample():
    """The bundled SYNTHETIC 34-bank × 10-year panel as a DataFrame (see ``sample.py``)."""
    import pandas as pd

    from .sample import sample_path

    return pd.read_csv(sample_path())


__all__ = ["COMPONENTS", "Frontier", "MalmquistIndex", "farrell_efficiency", "geometric_mean",
           "load_panel", "load_sample", "read_deap", "read_deap_data", "read_deap_instructions",
           "store_results", "validate_panel"]
