"""Migration set ``zhengce.companions.coup``: REIGN and Powell & Thyne inputs and the coup
forecast results of :mod:`zhengce.companions.coup`."""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

from ._raw import create_raw_table

migrations = Migrations("zhengce.companions.coup")

TABLES = ("coup_reign", "coup_reign_raw", "coup_country_year", "coup_country_year_raw",
          "coup_ptcoups", "coup_ptcoups_raw", "coup_pt_country_year", "coup_pt_country_year_raw",
          "coup_metrics", "coup_thresholds", "coup_league")

# REIGN's election-event flags (0/1), in the codebook's order
_ELECTION_FLAGS = (
    "anticipation", "ref_ant", "leg_ant", "exec_ant", "irreg_lead_ant", "election_now",
    "election_recent", "leg_recent", "exec_recent", "lead_recent", "ref_recent",
    "direct_recent", "indirect_recent", "victory_recent", "defeat_recent", "change_recent",
    "nochange_recent", "delayed",
)
_LEADER = {"elected": int, "age": float, "male": int, "militarycareer": int,
           "tenure_months": float, "government": str}
_ELECTIONS = {**{flag: int for flag in _ELECTION_FLAGS}, "lastelection": float}

# Monthly REIGN as the 2019-2020 schema has it; loading a 2021 file adds its three columns
# (gov_democracy, dem_duration, political_violence) through the loader's alter=True.
_REIGN_MONTHLY = {
    "ccode": int, "country": str, "leader": str, "year": int, "month": int, **_LEADER,
    **_ELECTIONS, "prev_conflict": int, "pt_suc": int, "pt_attempt": int, "precip": float,
    "couprisk": float, "pctile_risk": float, "loss": float, "irregular": float,
    "reign_version": str,
}
_REIGN_COUNTRY_YEAR = {"gwcode": int, "year": int, **_LEADER, **_ELECTIONS, "loss": float,
                       "irregular": float, "prev_conflict": int}
_PTCOUPS_EVENTS = {"country": str, "ccode": int, "year": int, "month": int, "day": int,
                   "coup": int, "version": str}
_PTCOUPS_COUNTRY_YEAR = {"gwcode": int, "year": int, "pt_attempt": int, "pt_coup": int,
                         "pt_failed": int, "pt_attempt_num": int}


@migrations()
def m001_inputs_and_results(db: sqlite_utils.Database) -> None:
    # if_not_exists: databases made before the migration sets created these on first use
    for table, columns, key in (
        ("coup_reign", _REIGN_MONTHLY, ("reign_version", "ccode", "year", "month", "leader")),
        ("coup_country_year", _REIGN_COUNTRY_YEAR, ("gwcode", "year")),
        ("coup_ptcoups", _PTCOUPS_EVENTS, ("ccode", "year", "month", "day")),
        ("coup_pt_country_year", _PTCOUPS_COUNTRY_YEAR, ("gwcode", "year")),
    ):
        db[table].create(columns, pk=key, if_not_exists=True)
        create_raw_table(db, table)
    db["coup_metrics"].create({"run_id": str, "model": str, "metric": str, "value": float},
                              pk=("run_id", "model", "metric"), if_not_exists=True)
    db["coup_thresholds"].create(
        {"run_id": str, "model": str, "choice": str, "threshold": float, "precision": float,
         "recall": float, "f1": float, "tp": int, "fp": int, "tn": int, "fn": int},
        pk=("run_id", "model", "choice"), if_not_exists=True)
    db["coup_league"].create(
        {"run_id": str, "model": str, "unit": int, "country": str, "rank": int, "risk": float},
        pk=("run_id", "model", "unit"), if_not_exists=True)
