"""Migration set ``zhengce.companions.bank_entry``: the foreign-bank entry panel and the OLS
results of :mod:`zhengce.companions.bank_entry`."""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

from ._raw import create_raw_table

migrations = Migrations("zhengce.companions.bank_entry")

TABLES = ("bank_entry_panel", "bank_entry_panel_raw", "bank_entry_results", "bank_entry_fit")


@migrations()
def m001_panel_and_results(db: sqlite_utils.Database) -> None:
    # if_not_exists: databases made before the migration sets created these on first use.
    # Declared types: sqlite-utils would infer ``pros`` from the first upsert, where it is empty
    # (TEXT), and store numbers as text.
    db["bank_entry_panel"].create(
        {"country": str, "year": int, "subsidiaries": int, "branches": int, "fdi": float,
         "univ": float, "bi": float, "tax": float, "pros": float},
        pk=("country", "year"), if_not_exists=True)
    create_raw_table(db, "bank_entry_panel")
    db["bank_entry_results"].create(
        {"cov_type": str, "term": str, "notation": str, "coef": float, "se": float, "t": float,
         "p": float, "ci_low": float, "ci_high": float, "df": float, "sig": str, "run_id": str},
        pk=("run_id", "cov_type", "term"), if_not_exists=True)
    db["bank_entry_fit"].create(
        {"cov_type": str, "n_obs": int, "k": int, "df_resid": float, "df_inference": float,
         "r2": float, "adj_r2": float, "f_stat": float, "f_df_num": float,
         "f_df_denom": float, "f_pvalue": float, "n_clusters": float, "run_id": str},
        pk=("run_id", "cov_type"), if_not_exists=True)
