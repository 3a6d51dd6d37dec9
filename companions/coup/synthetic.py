"""Synthetic monthly REIGN files for offline runs and tests (both schema versions).

The bundled samples in ``companions/coup/data/`` were written by :func:`write_samples`. The
countries are fictional (codes 991-998, unused by COW/GW), the leaders are called "Synthetic
leader ...", and coup attempts are drawn from a made-up hazard so that a model has something to
find: military and personalist regimes, a recent civil conflict, extreme precipitation and a
new leader raise the monthly risk. The attempt rate (about 4% of country-months) is roughly ten
times REIGN's, so that a few hundred rows contain attempts in every year. Nothing here is
evidence about real countries.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .loader import REIGN_2019, REIGN_2021, SAMPLE_FILES, ReignVersion

COUNTRIES = (
    # ccode, name, regime type, fragility (extra log-odds of an attempt)
    (991, "Borduria", "Military", 0.6),
    (992, "Elbonia", "Personal Dictatorship", 0.5),
    (993, "Freedonia", "Presidential Democracy", 0.0),
    (994, "Genovia", "Parliamentary Democracy", -0.8),
    (995, "Latveria", "Party-Personal", 0.3),
    (996, "Ruritania", "Dominant Party", 0.0),
    (997, "Syldavia", "Monarchy", -0.2),
    (998, "Zubrowka", "Military-Personal", 0.7),
)
DEMOCRACIES = ("Presidential Democracy", "Parliamentary Democracy")
MILITARY = ("Military", "Military-Personal", "Provisional - Military")
ELECTORAL = (*DEMOCRACIES, "Dominant Party", "Party-Personal")

COLUMNS_2019 = (
    "ccode", "country", "leader", "year", "month", "elected", "age", "male", "militarycareer",
    "tenure_months", "government", "anticipation", "ref_ant", "leg_ant", "exec_ant",
    "irreg_lead_ant", "election_now", "election_recent", "leg_recent", "exec_recent",
    "lead_recent", "ref_recent", "direct_recent", "indirect_recent", "victory_recent",
    "defeat_recent", "change_recent", "nochange_recent", "delayed", "lastelection", "loss",
    "irregular", "prev_conflict", "pt_suc", "pt_attempt", "precip", "couprisk", "pctile_risk",
)
COLUMNS_2021 = (
    "ccode", "country", "leader", "year", "month", "elected", "age", "male", "militarycareer",
    "tenure_months", "government", "gov_democracy", "dem_duration", "anticipation", "ref_ant",
    "leg_ant", "exec_ant", "irreg_lead_ant", "election_now", "election_recent", "leg_recent",
    "exec_recent", "lead_recent", "ref_recent", "direct_recent", "indirect_recent",
    "victory_recent", "defeat_recent", "change_recent", "nochange_recent", "delayed",
    "lastelection", "political_violence", "prev_conflict", "pt_suc", "pt_attempt", "precip",
    "couprisk", "pctile_risk",
)
# Random states for which every year of the bundled samples has attempts (checked by a test).
SAMPLE_SEEDS = {REIGN_2019: 18, REIGN_2021: 7}
SAMPLE_SPANS = {REIGN_2019: ((2017, 1), (2019, 12)), REIGN_2021: ((2019, 1), (2021, 8))}


def _months(start: tuple[int, int], end: tuple[int, int]) -> list[tuple[int, int]]:
    out = []
    y, m = start
    while (y, m) <= end:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _log_months(n: int) -> float:
    """REIGN's logged "months since" clocks: ln(months), 0 in the month itself."""
    return round(float(np.log(max(n, 1))), 6)


def make_reign_monthly_sample(version: ReignVersion = REIGN_2019, random_state: int | None = None,
                              start: tuple[int, int] | None = None,
                              end: tuple[int, int] | None = None) -> pd.DataFrame:
    """A synthetic monthly REIGN table in the 2019-2020 (38 columns) or 2021 (39) schema.

    Leader-month rows, as in REIGN: a month with a successful coup has the ousted leader's row
    (``pt_attempt = pt_suc = 1``) and the new leader's row (``tenure_months = 1``).
    """
    # long: one simulation loop over a dozen state variables (leader, regime, election clock,
    # conflict, rainfall); its order of random draws fixes the bundled samples byte for byte, and
    # helpers would have to pass all that state back and forth
    if version not in SAMPLE_SEEDS:
        raise ValueError(f"unknown REIGN version {version!r}")
    seed = SAMPLE_SEEDS[version] if random_state is None else random_state
    rng = np.random.default_rng(seed)
    span = _months(start or SAMPLE_SPANS[version][0], end or SAMPLE_SPANS[version][1])
    rows: list[dict] = []
    for ccode, name, regime, fragility in COUNTRIES:
        leader_no = 1
        leader = {"age": int(rng.integers(45, 75)), "male": int(rng.random() < 0.92),
                  "military": int(regime in MILITARY or rng.random() < 0.1),
                  "elected": int(regime in ELECTORAL), "tenure": int(rng.integers(6, 160))}
        government = regime
        cycle = int(rng.integers(48, 61)) if regime in ELECTORAL else 0
        since_election = int(rng.integers(1, cycle)) if cycle else int(rng.integers(60, 240))
        since_loss = int(rng.integers(20, 300))
        since_irregular = int(rng.integers(30, 400))
        democracy_months = int(rng.integers(100, 500)) if regime in DEMOCRACIES else 0
        conflict = int(rng.random() < 0.2 + 0.2 * (fragility > 0.4))
        precip = float(rng.normal())
        last_outcome = "victory"
        for year, month in span:
            if month == 1 and rows and rows[-1]["ccode"] == ccode:
                leader["age"] += 1
                if leader["age"] > 84:
                    # an old leader hands over at the turn of the year (long spans only; the
                    # bundled three-year samples never reach it)
                    leader_no += 1
                    leader = {"age": int(rng.integers(45, 66)), "male": int(rng.random() < 0.92),
                              "military": int(government in MILITARY),
                              "elected": int(government in ELECTORAL),
                              "tenure": 1}
            precip = 0.6 * precip + 0.8 * float(rng.normal())
            conflict = int(rng.random() < (0.85 if conflict else 0.05 + 0.05 * (fragility > 0.4)))
            months_to_election = (cycle - since_election) if cycle else 999
            election_now = int(cycle > 0 and months_to_election == 0)
            if election_now:
                won = rng.random() < (0.6 if government in DEMOCRACIES else 0.95)
                last_outcome = "victory" if won else "defeat"
                since_election = 0
                if not won:
                    since_loss = 0
            recent = int(cycle > 0 and 0 < since_election <= 6)
            anticipation = int(0 < months_to_election <= 6)
            parliamentary = government == "Parliamentary Democracy"
            logit = (-4.9 + fragility + 1.1 * (government in MILITARY) + 1.0 * conflict
                     + 0.8 * (abs(precip) > 1.2) + 0.9 * (leader["tenure"] <= 12)
                     - 0.7 * (government in DEMOCRACIES))
            hazard = 1.0 / (1.0 + np.exp(-logit))
            attempt = int(rng.random() < hazard)
            success = int(attempt and rng.random() < 0.5)
            couprisk = 1.0 / (1.0 + np.exp(-(logit + rng.normal(0, 0.3))))
            base = {
                "ccode": ccode, "country": name, "year": year, "month": month,
                "government": government, "anticipation": anticipation, "ref_ant": 0,
                "leg_ant": int(anticipation and parliamentary),
                "exec_ant": int(anticipation and not parliamentary), "irreg_lead_ant": 0,
                "election_now": election_now, "election_recent": recent,
                "leg_recent": int(recent and parliamentary), "exec_recent": int(recent and not parliamentary),
                "lead_recent": recent, "ref_recent": 0,
                "direct_recent": int(recent and government in DEMOCRACIES),
                "indirect_recent": int(recent and government not in DEMOCRACIES),
                "victory_recent": int(recent and last_outcome == "victory"),
                "defeat_recent": int(recent and last_outcome == "defeat"),
                "change_recent": int(recent and last_outcome == "defeat"),
                "nochange_recent": int(recent and last_outcome == "victory"),
                "delayed": int(anticipation and rng.random() < 0.03),
                "lastelection": _log_months(since_election), "loss": _log_months(since_loss),
                "irregular": _log_months(since_irregular), "prev_conflict": conflict,
                "precip": round(precip, 3), "couprisk": round(float(couprisk), 4),
                "gov_democracy": int(government in DEMOCRACIES),
                "dem_duration": _log_months(democracy_months) if government in DEMOCRACIES else 0.0,
                "political_violence": round(float(np.log1p(rng.gamma(1.0 + 3 * conflict, 1.5))), 3),
            }
            rows.append({**base, "leader": f"Synthetic leader {name[:3].upper()}-{leader_no}",
                         "elected": leader["elected"], "age": leader["age"], "male": leader["male"],
                         "militarycareer": leader["military"], "tenure_months": leader["tenure"],
                         "pt_suc": success, "pt_attempt": attempt})
            if success:
                # the junta's leader takes over in the same month: REIGN's second leader-month row
                leader_no += 1
                leader = {"age": int(rng.integers(38, 62)), "male": 1, "military": 1, "elected": 0,
                          "tenure": 1}
                government = "Military" if rng.random() < 0.6 else "Provisional - Military"
                since_irregular = 0
                cycle = 0
                rows.append({**base, "government": government, "gov_democracy": 0, "dem_duration": 0.0,
                             "leader": f"Synthetic leader {name[:3].upper()}-{leader_no}",
                             "elected": 0, "age": leader["age"], "male": 1, "militarycareer": 1,
                             "tenure_months": 1, "pt_suc": 0, "pt_attempt": 0,
                             "irregular": 0.0})
            leader["tenure"] += 1
            since_election += 1
            since_loss += 1
            since_irregular += 1
            if government in DEMOCRACIES:
                democracy_months += 1
    frame = pd.DataFrame(rows)
    # CoupCast's percentile: rank of couprisk among the month's rows
    frame["pctile_risk"] = frame.groupby(["year", "month"])["couprisk"].rank(pct=True).round(4)
    columns = COLUMNS_2019 if version == REIGN_2019 else COLUMNS_2021
    return frame[list(columns)]


def write_samples(folder: str | Path) -> dict[str, Path]:
    """Write both bundled samples into ``folder`` (how ``companions/coup/data`` was made)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for version, filename in SAMPLE_FILES.items():
        path = out / filename
        make_reign_monthly_sample(version).to_csv(path, index=False)
        paths[version] = path
    return paths
