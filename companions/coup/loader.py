"""Validating loaders for the coup companion: REIGN (monthly, two schema versions), the REIGN
country-year aggregate, and Powell & Thyne coup attempts (event list or country-year).

Everything goes through :func:`companions.common.load_table`, so each input row is kept in
``<table>_raw``, good rows are upserted into the table, and bad rows land in ``rejects`` with
the row and column named.

REIGN's unit of observation is the **leader-month**, not the country-month: a month in which
the leader changed has one row for the outgoing and one for the incoming leader (REIGN codes
``tenure_months = 1`` in the inauguration month). Anything that needs one row per country and
month goes through :func:`country_months`.

Store tables
------------
``coup_reign``
    REIGN monthly rows, key ``(reign_version, ccode, year, month, leader)``. ``reign_version``
    ("2019-2020" or "2021") is detected from the header and added to every row so the two
    schemas never overwrite each other.
``coup_country_year``
    The REIGN country-year aggregate (one row per ``gwcode`` and ``year``).
``coup_ptcoups``
    The Powell & Thyne event list (one row per attempt, key ``ccode, year, month, day``).
``coup_pt_country_year``
    Powell & Thyne attempts aggregated to country-years (``gwcode``, ``year``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Sequence

import pandas as pd

from zhengce.companions.common import ColumnSpec, LoadReport, bundled, load_table, read_frame
from zhengce.common.errors import UserError
from zhengce.corpus.store import Run, Store

PACKAGE = "zhengce.companions.coup"
SOURCE = "coup"

REIGN_2019 = "2019-2020"
REIGN_2021 = "2021"
ReignVersion = Literal["2019-2020", "2021"]

# The 16 regime types REIGN's ``government`` takes (used to name the one-hot columns and to
# document the sample; the loader does not reject other spellings, later releases renamed some).
GOVERNMENT_TYPES = (
    "Parliamentary Democracy", "Presidential Democracy", "Dominant Party",
    "Personal Dictatorship", "Monarchy", "Party-Personal", "Military", "Military-Personal",
    "Party-Personal-Military Hybrid", "Foreign/Occupied", "Party-Military",
    "Provisional - Civilian", "Oligarchy", "Warlordism", "Indirect Military",
    "Provisional - Military",
)

_FLAG = dict(kind="int", allowed=(0, 1))

# Election-event columns (codebook section "Election Events"), all 0/1 flags except the two
# logged "months since" clocks handled separately.
ELECTION_FLAGS = (
    "anticipation", "ref_ant", "leg_ant", "exec_ant", "irreg_lead_ant", "election_now",
    "election_recent", "leg_recent", "exec_recent", "lead_recent", "ref_recent",
    "direct_recent", "indirect_recent", "victory_recent", "defeat_recent", "change_recent",
    "nochange_recent", "delayed",
)


def _leader_and_regime_specs() -> list[ColumnSpec]:
    return [
        ColumnSpec("elected", **_FLAG, description="leader ever elected to the office"),
        ColumnSpec("age", "float", min=0, max=120, description="leader's age (year - birth year)"),
        ColumnSpec("male", **_FLAG),
        ColumnSpec("militarycareer", **_FLAG),
        ColumnSpec("tenure_months", "float", min=0, description="months in office, inauguration = 1"),
        ColumnSpec("government", "str", description="one of REIGN's 16 regime types"),
    ]


def _election_specs() -> list[ColumnSpec]:
    return [ColumnSpec(name, **_FLAG) for name in ELECTION_FLAGS] + [
        ColumnSpec("lastelection", "float", min=0, description="(logged) months since last election"),
    ]


# Columns both monthly versions share, in REIGN's order.
REIGN_MONTHLY_COMMON: tuple[ColumnSpec, ...] = (
    ColumnSpec("ccode", "int", min=0, description="country code (COW-style)"),
    ColumnSpec("country", "str"),
    ColumnSpec("leader", "str"),
    ColumnSpec("year", "int", min=1900, max=2100),
    ColumnSpec("month", "int", min=1, max=12),
    *_leader_and_regime_specs(),
    *_election_specs(),
    ColumnSpec("prev_conflict", "int", min=0, description="civil conflict in the previous month"),
    ColumnSpec("pt_suc", **_FLAG, description="successful coup against the leader this month"),
    ColumnSpec("pt_attempt", **_FLAG, description="coup attempt against the leader this month"),
    ColumnSpec("precip", "float", required=False, description="SPI precipitation index"),
    # CoupCast's own model outputs; empty in early years of some releases.
    ColumnSpec("couprisk", "float", required=False, min=0, max=1),
    ColumnSpec("pctile_risk", "float", required=False, min=0, max=1),
)

# Columns only the 2019-2020 releases have (38 columns in all).
REIGN_2019_ONLY: tuple[ColumnSpec, ...] = (
    ColumnSpec("loss", "float", min=0, description="(logged) months since the incumbent last lost"),
    ColumnSpec("irregular", "float", min=0, description="undefined in the paper; dropped by it"),
)

# Columns only the 2021 release has (39 columns in all: it drops loss and irregular).
REIGN_2021_ONLY: tuple[ColumnSpec, ...] = (
    ColumnSpec("gov_democracy", **_FLAG, description="regime type is a democracy"),
    ColumnSpec("dem_duration", "float", min=0, description="(logged) months of democracy"),
    ColumnSpec("political_violence", "float", description="political violence index"),
)

REIGN_VERSION_SPEC = ColumnSpec("reign_version", "str", allowed=(REIGN_2019, REIGN_2021))

REIGN_COUNTRY_YEAR: tuple[ColumnSpec, ...] = (
    ColumnSpec("gwcode", "int", min=0, description="Gleditsch-Ward country code"),
    ColumnSpec("year", "int", min=1900, max=2100),
    *_leader_and_regime_specs(),
    *_election_specs(),
    ColumnSpec("loss", "float", min=0),
    ColumnSpec("irregular", "float", min=0),
    ColumnSpec("prev_conflict", "int", min=0, description="months with civil conflict"),
)

PTCOUPS_EVENTS: tuple[ColumnSpec, ...] = (
    ColumnSpec("country", "str"),
    ColumnSpec("ccode", "int", min=0),
    ColumnSpec("year", "int", min=1900, max=2100),
    ColumnSpec("month", "int", min=1, max=12),
    ColumnSpec("day", "int", min=1, max=31),
    ColumnSpec("coup", "int", allowed=(1, 2), description="1 = failed, 2 = successful"),
    ColumnSpec("version", "str", required=False),
)

PTCOUPS_COUNTRY_YEAR: tuple[ColumnSpec, ...] = (
    ColumnSpec("gwcode", "int", min=0),
    ColumnSpec("year", "int", min=1900, max=2100),
    ColumnSpec("pt_attempt", **_FLAG),
    ColumnSpec("pt_coup", **_FLAG),
    ColumnSpec("pt_failed", **_FLAG),
    ColumnSpec("pt_attempt_num", "int", min=0),
)

SAMPLE_FILES = {REIGN_2019: "reign_monthly_2019_sample.csv",
                REIGN_2021: "reign_monthly_2021_sample.csv"}


def reign_monthly_specs(version: ReignVersion) -> list[ColumnSpec]:
    """The column specs of one monthly REIGN schema (38 or 39 columns)."""
    if version == REIGN_2019:
        return [*REIGN_MONTHLY_COMMON, *REIGN_2019_ONLY]
    if version == REIGN_2021:
        return [*REIGN_MONTHLY_COMMON, *REIGN_2021_ONLY]
    raise UserError(f"unknown REIGN version {version!r}: use {REIGN_2019!r} or {REIGN_2021!r}")


def detect_reign_version(columns: Sequence[str], path: str | Path = "<frame>") -> ReignVersion:
    """Say which monthly REIGN schema a header belongs to.

    2021 has ``gov_democracy``, ``dem_duration`` and ``political_violence`` (39 columns);
    2019-2020 has ``loss`` and ``irregular`` instead (38 columns). Matching ignores case, as the
    loader does. Raises :class:`UserError` naming the missing columns of the closer version.
    """
    header = {str(c).strip().lower() for c in columns}
    candidates = {REIGN_2021: reign_monthly_specs(REIGN_2021),
                  REIGN_2019: reign_monthly_specs(REIGN_2019)}
    missing = {v: [s.name for s in specs if s.required and s.name not in header]
               for v, specs in candidates.items()}
    if {s.name for s in REIGN_2021_ONLY} <= header and not missing[REIGN_2021]:
        return REIGN_2021
    if {s.name for s in REIGN_2019_ONLY} <= header and not missing[REIGN_2019]:
        return REIGN_2019
    closer = min(missing, key=lambda v: (len(missing[v]), v != REIGN_2021))
    if "gwcode" in header and "month" not in header:
        raise UserError(f"{path}: this is a country-year file (gwcode, year), not monthly REIGN: "
                        "use `zhengce coup real --reign` for country-years")
    raise UserError(
        f"{path}: not a monthly REIGN file — as REIGN {closer} it lacks column(s) "
        f"{', '.join(missing[closer])}; 2019-2020 files have loss and irregular, 2021 files have "
        f"gov_democracy, dem_duration and political_violence (check the header row)"
    )


@dataclass
class ReignLoad:
    """A loaded monthly REIGN file: the typed leader-month rows and which schema it was."""

    frame: pd.DataFrame
    version: ReignVersion
    report: LoadReport

    def line(self) -> str:
        return f"{self.report.line()} (REIGN {self.version} schema, leader-month rows)"


def sample_path(version: ReignVersion = REIGN_2019) -> Path:
    """The bundled synthetic monthly REIGN sample of one schema version."""
    if version not in SAMPLE_FILES:
        raise UserError(f"unknown REIGN version {version!r}: use {REIGN_2019!r} or {REIGN_2021!r}")
    return bundled(PACKAGE, SAMPLE_FILES[version])


def load_reign_monthly(store: Store, path: str | Path | None = None, *, run: Run | None = None,
                       on_error: Literal["raise", "reject"] = "raise") -> ReignLoad:
    """Load a monthly REIGN CSV (either schema) into ``coup_reign``.

    ``path=None`` loads the bundled synthetic 2019-2020 sample. The version is detected from the
    header; every row gets ``reign_version`` so both schemas can share the table.
    """
    path = Path(path) if path is not None else sample_path(REIGN_2019)
    frame = read_frame(path)
    version = detect_reign_version(frame.columns, path)
    if frame.empty:
        raise UserError(f"{path} has a header but no rows: give the full monthly REIGN file")
    frame = frame.copy()
    frame["reign_version"] = version
    report = load_table(store, path, table="coup_reign",
                        columns=[*reign_monthly_specs(version), REIGN_VERSION_SPEC],
                        key=("reign_version", "ccode", "year", "month", "leader"),
                        source=SOURCE, run=run, on_error=on_error, frame=frame)
    return ReignLoad(frame=report.frame, version=version, report=report)


def load_reign_country_year(store: Store, path: str | Path, *, run: Run | None = None,
                            on_error: Literal["raise", "reject"] = "raise") -> LoadReport:
    """Load the REIGN country-year aggregate (``gwcode``, ``year``, ...) into ``coup_country_year``."""
    return load_table(store, path, table="coup_country_year", columns=REIGN_COUNTRY_YEAR,
                      key=("gwcode", "year"), source=SOURCE, run=run, on_error=on_error)


PtcoupsKind = Literal["events", "country_year"]


def detect_ptcoups_kind(columns: Sequence[str], path: str | Path = "<frame>") -> PtcoupsKind:
    """``events`` for Powell & Thyne's event list (``coup`` = 1 failed / 2 successful, with a
    ``day``), ``country_year`` for the aggregated file (``gwcode``, ``pt_attempt``)."""
    header = {str(c).strip().lower() for c in columns}
    if {"coup", "day", "ccode"} <= header:
        return "events"
    if {"gwcode", "pt_attempt"} <= header:
        return "country_year"
    raise UserError(
        f"{path}: not a Powell & Thyne file — expected the event list (columns country, ccode, "
        f"year, month, day, coup) or the country-year file (gwcode, year, pt_attempt, ...); "
        f"the header has {', '.join(map(str, columns))}"
    )


@dataclass
class PtcoupsLoad:
    kind: PtcoupsKind
    frame: pd.DataFrame
    report: LoadReport


def load_ptcoups(store: Store, path: str | Path, *, run: Run | None = None,
                 on_error: Literal["raise", "reject"] = "raise") -> PtcoupsLoad:
    """Load Powell & Thyne coups: the event list into ``coup_ptcoups``, or the country-year
    aggregate into ``coup_pt_country_year`` (the kind is detected from the header)."""
    frame = read_frame(path)
    kind = detect_ptcoups_kind(frame.columns, path)
    if kind == "events":
        report = load_table(store, path, table="coup_ptcoups", columns=PTCOUPS_EVENTS,
                            key=("ccode", "year", "month", "day"), source=SOURCE, run=run,
                            on_error=on_error, frame=frame)
    else:
        report = load_table(store, path, table="coup_pt_country_year",
                            columns=PTCOUPS_COUNTRY_YEAR, key=("gwcode", "year"), source=SOURCE,
                            run=run, on_error=on_error, frame=frame)
    return PtcoupsLoad(kind=kind, frame=report.frame, report=report)


# ---------------------------------------------------------------------------------------------
# Reshaping
# ---------------------------------------------------------------------------------------------

# Columns that record an event during the month: a country-month has the event if any of its
# leader rows has it.
MONTH_EVENT_COLUMNS = ("pt_attempt", "pt_suc")


def country_months(frame: pd.DataFrame, unit: str = "ccode") -> pd.DataFrame:
    """One row per country-month from REIGN's leader-month rows.

    In a month with a leader change REIGN has a row for each leader. The country-month keeps the
    row of the leader in office at the end of the month — the one with the smallest
    ``tenure_months`` (the newcomer has 1; file order breaks ties, later wins) — and sets the
    event columns (``pt_attempt``, ``pt_suc``) to 1 when any of the month's rows has them, so an
    attempt against the outgoing leader is not lost. ``n_leaders`` counts the month's rows.
    """
    for col in (unit, "year", "month", "tenure_months"):
        if col not in frame.columns:
            raise UserError(f"country_months needs column {col!r}; the frame has "
                            f"{', '.join(map(str, frame.columns))}")
    work = frame.copy()
    work["_order"] = range(len(work))
    keys = [unit, "year", "month"]
    work = work.sort_values([*keys, "tenure_months", "_order"], ascending=[True, True, True, True, False],
                            kind="mergesort")
    end_of_month = work.drop_duplicates(keys, keep="first").set_index(keys)
    grouped = work.groupby(keys)
    end_of_month["n_leaders"] = grouped.size()
    for col in MONTH_EVENT_COLUMNS:
        if col in work.columns:
            end_of_month[col] = grouped[col].max()
    out = end_of_month.drop(columns="_order").reset_index()
    return out.sort_values(keys, kind="mergesort").reset_index(drop=True)


@dataclass
class CountryYearPanel:
    """REIGN country-year features joined to Powell & Thyne attempts."""

    frame: pd.DataFrame
    n_events: int
    unmatched_events: pd.DataFrame  # events with no REIGN country-year row (reported, not used)
    ptcoups_kind: PtcoupsKind


def join_country_year(reign: pd.DataFrame, ptcoups: pd.DataFrame, kind: PtcoupsKind, *,
                      store: Store | None = None, run: Run | None = None) -> CountryYearPanel:
    """Attach ``pt_attempt`` (any Powell & Thyne attempt that year) to REIGN country-years.

    The event list's ``ccode`` is matched to REIGN's ``gwcode``; for Powell & Thyne's
    2019-04-22 list this reproduces their own country-year file exactly. Events without a REIGN
    row (e.g. Sudan 1955, before independence) are listed in ``unmatched_events`` and recorded in
    ``rejects`` when a store is given — never silently dropped. A REIGN country-year missing from
    a country-year P&T file is an error (its outcome would be unknown).
    """
    base = reign.drop(columns=[c for c in ("row_number",) if c in reign.columns])
    if kind == "events":
        events = ptcoups.rename(columns={"ccode": "gwcode"})
        counts = events.groupby(["gwcode", "year"]).size().rename("pt_attempt_num").reset_index()
        merged = base.merge(counts, on=["gwcode", "year"], how="left")
        merged["pt_attempt"] = (merged["pt_attempt_num"].fillna(0) > 0).astype(int)
        merged = merged.drop(columns="pt_attempt_num")
        keys = base[["gwcode", "year"]].drop_duplicates()
        matched = events.merge(keys, on=["gwcode", "year"], how="left", indicator=True)
        unmatched = matched[matched["_merge"] == "left_only"].drop(columns="_merge")
        unmatched = unmatched.rename(columns={"gwcode": "ccode"})
        n_events = len(events)
    else:
        pt = ptcoups[["gwcode", "year", "pt_attempt"]]
        merged = base.merge(pt, on=["gwcode", "year"], how="left")
        lacking = merged[merged["pt_attempt"].isna()]
        if len(lacking):
            shown = ", ".join(f"gwcode {int(g)} {int(y)}" for g, y in
                              lacking[["gwcode", "year"]].head(5).itertuples(index=False))
            raise UserError(f"the Powell & Thyne country-year file has no row for {len(lacking)} "
                            f"REIGN country-year(s) ({shown}); use a P&T file covering the same "
                            "years, or the event list")
        merged["pt_attempt"] = merged["pt_attempt"].astype(int)
        unmatched = pd.DataFrame(columns=["gwcode", "year"])
        n_events = int(ptcoups["pt_attempt"].sum())
    if store is not None and len(unmatched):
        for row in unmatched.to_dict(orient="records"):
            store.reject(stage="join:coup_country_year", source=SOURCE,
                         record_ref=f"ptcoups {row.get('country', '')} {row.get('ccode')} "
                                    f"{row.get('year')}-{row.get('month')}-{row.get('day')}",
                         reason="no REIGN country-year row for this country and year; the "
                                "attempt is not in the modelled panel",
                         run_id=run.run_id if run else None)
    merged = merged.sort_values(["gwcode", "year"], kind="mergesort").reset_index(drop=True)
    return CountryYearPanel(frame=merged, n_events=n_events, unmatched_events=unmatched,
                            ptcoups_kind=kind)
