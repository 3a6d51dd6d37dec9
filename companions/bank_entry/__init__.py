"""Bank foreign-entry companion: the organizational form of Korean banks abroad.

Replicates the design of Choi & Kim (2020), *A Study on Organizational Forms in Foreign Expansion
of Korean Banks* (JAFEB 7(7)): pooled OLS of the subsidiary share
PROS = subsidiaries / (subsidiaries + branches) on FDI, UNIV, BI and TAX over host-country
years, with the paper's Table 1 (correlations) and Table 2 (OLS), plus robust and
country-clustered standard errors, VIF and notes on small-sample inference.

    >>> from companions.bank_entry import BankEntryOLS, generate_sample
    >>> model = BankEntryOLS(fdi_scale="millions").fit(generate_sample())  # SYNTHETIC data
    >>> model.n_obs_, model.n_clusters_
    (58, 20)
"""

from .loader import (PANEL_TABLE, PanelLoad, load_panel, panel_columns, prepare_panel,
                     sample_path)
from .model import (COV_TYPES, FDI_SCALES, PAPER_REPORTED, BankEntryOLS, vif_table)
from .report import coefficient_figure, store_results, write_report
from .sample import (SAMPLE_RANDOM_STATE, TRUE_COEFFICIENTS, generate_sample, write_sample)

__all__ = [
    "BankEntryOLS", "COV_TYPES", "FDI_SCALES", "PANEL_TABLE", "PAPER_REPORTED", "PanelLoad",
    "SAMPLE_RANDOM_STATE", "TRUE_COEFFICIENTS", "coefficient_figure", "generate_sample",
    "load_panel", "panel_columns", "prepare_panel", "sample_path", "store_results",
    "vif_table", "write_report", "write_sample",
]
