"""Migration set ``zhengce.companions.malmquist``: the DEA panel and the Malmquist results of
:mod:`zhengce.companions.malmquist`."""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

from ._raw import create_raw_table

migrations = Migrations("zhengce.companions.malmquist")

TABLES = ("malmquist_panel", "malmquist_panel_raw", "malmquist_results", "malmquist_efficiency",
          "malmquist_means", "malmquist_lp_failures")


@migrations()
def m001_panel_and_results(db: sqlite_utils.Database) -> None:
    # if_not_exists: databases made before the migration sets created these on first use.
    # The panel's DEA inputs, outputs and sub-groups are the user's own columns: the loader
    # adds them (alter=True) to the key declared here.
    db["malmquist_panel"].create({"dataset": str, "firm": str, "period": str},
                                 pk=("dataset", "firm", "period"), if_not_exists=True)
    create_raw_table(db, "malmquist_panel")
    db["malmquist_results"].create(
        {"run_id": str, "firm": str, "period": int, "period_from": int, "effch": float,
         "techch": float, "pech": float, "sech": float, "tfpch": float, "status": str},
        pk=("run_id", "firm", "period"), if_not_exists=True)
    db["malmquist_efficiency"].create(
        {"run_id": str, "firm": str, "period": int, "crs_te": float, "vrs_te": float,
         "scale_efficiency": float, "crs_te_prev_tech": float, "crs_te_next_tech": float},
        pk=("run_id", "firm", "period"), if_not_exists=True)
    db["malmquist_means"].create(
        {"run_id": str, "n_failed": int, "effch": float, "techch": float, "pech": float,
         "sech": float, "tfpch": float, "scope": str, "key": str},
        pk=("run_id", "scope", "key"), if_not_exists=True)
    db["malmquist_lp_failures"].create(
        {"run_id": str, "firm": str, "period": int, "lp": str, "reference_period": int,
         "status": str, "te": float},
        pk=("run_id", "firm", "period", "lp"), if_not_exists=True)
