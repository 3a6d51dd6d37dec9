"""The bundled SYNTHETIC bank panel (``data/kenya_banks_synthetic.csv``).

It has the shape of Gitau & Gor's Kenyan panel — 34 commercial banks × 10 years (1999-2008),
three inputs (deposits, labour costs, fixed assets; KSh million), two outputs (net loans, other
earning assets; KSh million) and the paper's three sub-section variables with its group sizes
(size: 9 small / 14 medium / 11 large; ownership: 9 foreign / 21 local private / 4 public;
listing: 4 listed on the NSE / 30 not listed). **Every number is simulated**: bank ids are
SYN01..SYN34 and no value comes from Central Bank of Kenya or bank reports. Use it to try the
method and the command, never as evidence about Kenyan banks.

Data-generating process (so tests can reason about it): a Cobb-Douglas output-distance frontier
``Y* = A_t · deposits^0.60 · labour^0.20 · fixed^0.15`` (slightly decreasing returns), shared
between the two outputs by a bank-specific loan share; ``A_t`` falls by about 2.5% a year with
year shocks (the paper reports TECH ≈ 0.967); each bank's outputs sit ``exp(−u)`` below the
frontier, ``u = |u_k + trend_k·(t − 4.5)| + |transitory|`` (half-normal persistent part, a
bank-specific efficiency trend, half-normal transitory part). Regenerate with
``python -m companions.malmquist.sample`` (same seed → byte-identical file).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20100401
FILENAME = "kenya_banks_synthetic.csv"
YEARS = tuple(range(1999, 2009))
N_BANKS = 34
INPUTS = ("deposits", "labour_costs", "fixed_assets")
OUTPUTS = ("loans", "other_earning_assets")
GROUPS = ("ownership", "size", "listing")
FIRM, PERIOD = "bank", "year"

# Group sizes of the paper's Table 3.
SIZE_COUNTS = {"small": 9, "medium": 14, "large": 11}
OWNERSHIP_COUNTS = {"foreign": 9, "local private": 21, "public": 4}
N_LISTED = 4
# Median deposits (KSh million, 1999) by size class.
SIZE_SCALE = {"small": 2_000.0, "medium": 9_000.0, "large": 45_000.0}


def generate_sample(seed: int = SEED) -> pd.DataFrame:
    """Simulate the panel (long format, one row per bank-year)."""
    rng = np.random.default_rng(seed)
    sizes = np.repeat(list(SIZE_COUNTS), list(SIZE_COUNTS.values()))
    ownership = rng.permutation(np.repeat(list(OWNERSHIP_COUNTS), list(OWNERSHIP_COUNTS.values())))
    # Listed banks are the largest ones, as on the NSE.
    listing = np.full(N_BANKS, "not listed", dtype=object)
    listing[np.flatnonzero(sizes == "large")[:N_LISTED]] = "listed"

    scale = np.array([SIZE_SCALE[s] for s in sizes]) * rng.lognormal(0.0, 0.35, N_BANKS)
    labour_share = rng.uniform(0.015, 0.035, N_BANKS)
    fixed_share = rng.uniform(0.02, 0.06, N_BANKS)
    loan_share = rng.uniform(0.45, 0.70, N_BANKS)
    persistent_u = np.abs(rng.normal(0.0, 0.25, N_BANKS))
    # Bank-specific efficiency trends: some banks catch up, others fall behind.
    u_trend = rng.normal(-0.008, 0.035, N_BANKS)
    growth = rng.normal(0.08, 0.04, (len(YEARS), N_BANKS))
    log_tech = np.cumsum(np.concatenate([[0.0], rng.normal(-0.025, 0.03, len(YEARS) - 1)]))

    rows = []
    for t, year in enumerate(YEARS):
        deposits = scale * np.exp(growth[: t + 1].sum(axis=0) - growth[0])
        labour = deposits * labour_share * rng.lognormal(0.0, 0.08, N_BANKS)
        fixed = deposits * fixed_share * rng.lognormal(0.0, 0.10, N_BANKS)
        frontier = np.exp(0.9 + log_tech[t]) * deposits ** 0.60 * labour ** 0.20 * fixed ** 0.15
        u = np.abs(persistent_u + u_trend * (t - 4.5)) + np.abs(rng.normal(0.0, 0.04, N_BANKS))
        total = frontier * np.exp(-u)
        share = np.clip(loan_share + rng.normal(0.0, 0.03, N_BANKS), 0.2, 0.9)
        for k in range(N_BANKS):
            rows.append({FIRM: f"SYN{k + 1:02d}", PERIOD: year,
                         "deposits": deposits[k], "labour_costs": labour[k],
                         "fixed_assets": fixed[k], "loans": total[k] * share[k],
                         "other_earning_assets": total[k] * (1.0 - share[k]),
                         "ownership": ownership[k], "size": sizes[k], "listing": listing[k]})
    frame = pd.DataFrame(rows)
    for col in (*INPUTS, *OUTPUTS):
        frame[col] = frame[col].round(1)
    return frame


def write_sample(path: str | Path, seed: int = SEED) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    generate_sample(seed).to_csv(path, index=False, float_format="%.1f", lineterminator="\n")
    return path


def sample_path() -> Path:
    from zhengce.companions.common import bundled

    return bundled("zhengce.companions.malmquist", FILENAME)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "data" / FILENAME
    print(write_sample(target))


def simulate_panel(n_firms: int, n_periods: int, seed: int = 0, *, n_inputs: int = 3,
                   n_outputs: int = 2) -> pd.DataFrame:
    """A larger SYNTHETIC panel with the same kind of process (for benchmarks and tests):
    columns firm, period, x1.., y1..; Cobb-Douglas frontier, ~2.5% technical regress a period,
    half-normal inefficiency with firm-specific trends."""
    rng = np.random.default_rng(seed)
    scale = rng.lognormal(8.0, 1.0, n_firms)
    mix = rng.dirichlet(np.ones(n_inputs) * 4, n_firms)
    out_share = rng.dirichlet(np.ones(n_outputs) * 4, n_firms)
    elasticity = np.full(n_inputs, 0.95 / n_inputs)
    u0 = np.abs(rng.normal(0.0, 0.25, n_firms))
    trend = rng.normal(-0.008, 0.035, n_firms)
    log_tech = np.cumsum(np.concatenate([[0.0], rng.normal(-0.025, 0.03, n_periods - 1)]))
    frames = []
    for t in range(n_periods):
        size = scale * np.exp(0.06 * t + rng.normal(0.0, 0.05, n_firms))
        x = size[:, None] * mix * rng.lognormal(0.0, 0.1, (n_firms, n_inputs))
        total = np.exp(log_tech[t]) * np.prod(x ** elasticity, axis=1)
        u = np.abs(u0 + trend * (t - n_periods / 2)) + np.abs(rng.normal(0.0, 0.04, n_firms))
        shares = np.clip(out_share + rng.normal(0.0, 0.02, (n_firms, n_outputs)), 0.05, None)
        y = (total * np.exp(-u))[:, None] * shares / shares.sum(axis=1, keepdims=True)
        frame = pd.DataFrame(x, columns=[f"x{i + 1}" for i in range(n_inputs)])
        for r in range(n_outputs):
            frame[f"y{r + 1}"] = y[:, r]
        frame.insert(0, "period", t + 1)
        frame.insert(0, "firm", [f"F{k + 1:04d}" for k in range(n_firms)])
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
