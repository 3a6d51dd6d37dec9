"""Benchmark of the analysis stage at Tan's corpus size (not collected by pytest).

    python tests/bench/bench_analysis.py [--n 43000] [--runs 3] [--json OUT]

Builds a store of ``--n`` documents (central / provincial / local, 1990–2015, growing volume) whose
strategy shares are drawn around the demo corpus's planted means, θ_d ~ Dirichlet(20·μ(level,
year)) (corpus.demo), for ``--runs`` topic-run restarts, with NDRC / MIIT / SASAC lineage issuers
and automotive / semiconductor sectors. Then, each step in a fresh process, it measures wall time
and peak memory of

1. loading the pooled shares + yearly trajectories with 500 bootstrap resamples per cell;
2. fractional-logit and OLS regressions for the three strategies;
3. ``estimate_effect`` with 100 method-of-composition draws;
4. the whole HTML report (300 resamples, 50 composition draws, Chinese labels);

and checks the recovered post − pre regulatory contrast for central documents against the
planted one.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import measure, memory_columns, print_table, record  # noqa: E402

CATS = ("directive", "developmental", "regulatory")


def build_store(path: Path, n: int, runs: int, random_state: int = 0) -> dict:
    """Write the benchmark store; return the planted central regulatory contrast."""
    from zhengce.corpus.demo import CONCENTRATION, planted_mean
    from zhengce.corpus.store import Store

    rng = np.random.default_rng(random_state)
    years = np.arange(1990, 2016)
    weights = 1.11 ** (years - 1990)
    year_of = rng.choice(years, size=n, p=weights / weights.sum())
    level_of = rng.choice(["central", "provincial", "local"], size=n, p=[0.3, 0.35, 0.35])
    store = Store.open(path)
    docs, sectors, theta = [], [], np.empty((n, 3))
    for i in range(n):
        level, year = str(level_of[i]), int(year_of[i])
        mu = planted_mean(level, year)
        theta[i] = rng.dirichlet(CONCENTRATION * np.array([mu[c] for c in CATS]))
        agency = None
        if level == "central":
            k = i % 4
            agency = (["spc", "sdpc", "ndrc"][0 if year < 1998 else 1 if year < 2003 else 2] if k == 0
                      else ("mii" if year < 2008 else "miit") if k == 1
                      else ("sasac" if year >= 2003 else None) if k == 2 else "mof")
        docs.append({"doc_id": f"b{i:06d}", "source": "bench", "text": "字" * 1500, "title": f"文件{i}",
                     "level": level, "year": year, "agency_id": agency,
                     "agency_ids": json.dumps([agency]) if agency else None,
                     "issuer_raw": agency or f"{level}-{i % 300}", "n_chars": 1500})
        sectors.append({"doc_id": f"b{i:06d}", "sector_code": ("36", "3973", "26", "31")[i % 4],
                        "matched_terms": "[]", "n_matches": 2})
    with store.db.conn:
        store.db["documents"].insert_all(docs, batch_size=5000)
        store.db["document_sectors"].insert_all(sectors, batch_size=5000)
    for r in range(runs):
        with store.run("topics", {"n_topics": 30, "random_state": r, "alpha": "symmetric"}) as run:
            # a restart recovers θ with its own noise, and puts 10% of each document in 'other'
            noisy = np.vstack([rng.dirichlet(200 * t + 0.01) * 0.9 for t in theta])   # n × 3
            rows = []
            for i in range(n):
                for c, cat in enumerate(CATS):
                    rows.append((run.run_id, f"b{i:06d}", cat, float(noisy[i, c])))
                rows.append((run.run_id, f"b{i:06d}", "other", 0.1))
            with store.db.conn:
                store.db.conn.executemany("insert into strategy_shares values (?, ?, ?, ?)", rows)
            run.summary["model"] = {"params": {"alpha": "symmetric"}, "n_topics": 30}
    store.close()
    pre = planted_mean("central", 1995)["regulatory"]
    post = planted_mean("central", 2008)["regulatory"]
    central = level_of == "central"
    planted = (theta[central & (year_of > 2001), 2].mean() - theta[central & (year_of <= 2001), 2].mean())
    return {"planted_diff_central_regulatory": float(0.9 * planted),
            "asymptotic_diff": float(0.9 * (post - pre))}


STEPS = {
    "trajectories (500 resamples)": """
from zhengce.corpus.store import Store
from zhengce.analysis.data import load_strategy_data
from zhengce.analysis.trajectories import compute_trajectories, pre_post
s = Store.open({db!r})
data = load_strategy_data(s)
traj = compute_trajectories(data, n_boot=500)
pp = pre_post(traj).set_index(["level", "category"])
result["runs_pooled"] = len(data.run_ids)
result["cells"] = len(traj.counts)
result["diff"] = float(pp.loc[("central", "regulatory"), "diff"])
row = pp.loc[("central", "regulatory")]
result["ci"] = [float(row["ci_low"]), float(row["ci_high"])]
""",
    "fit_effects (3 strategies)": """
from zhengce.corpus.store import Store
from zhengce.analysis.data import load_strategy_data
from zhengce.analysis.effects import fit_effects
s = Store.open({db!r})
data = load_strategy_data(s)
for cat in ("directive", "developmental", "regulatory"):
    fit = fit_effects(data, cat)
    if cat == "regulatory":
        e = fit.post_effects.set_index(["model", "level"])
        result["diff"] = float(e.loc[("fraclogit", "central"), "effect"])
        row = e.loc[("fraclogit", "central")]
        result["ci"] = [float(row["ci_low"]), float(row["ci_high"])]
""",
    "estimate_effect (100 draws)": """
from zhengce.corpus.store import Store
from zhengce.analysis.effects import estimate_effect
s = Store.open({db!r})
est = estimate_effect(s, None, "regulatory", n_draws=100)
c = est.contrasts.set_index("level")
result["diff"] = float(c.loc["central", "mean"])
result["ci"] = [float(c.loc["central", "ci_low"]), float(c.loc["central", "ci_high"])]
result["kappa_median"] = est.details["kappa_median"]
""",
    "build_report": """
from zhengce.corpus.store import Store
from zhengce.analysis.report import build_report
s = Store.open({db!r})
p = build_report(s, {out!r}, n_boot=300, n_draws=50)
result["report_mb"] = p.stat().st_size / 1e6
""",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=43_000, help="documents (default 43,000)")
    parser.add_argument("--runs", type=int, default=3, help="topic-run restarts to pool")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        truth = build_store(db, args.n, args.runs)
        build_s = time.perf_counter() - t0
        print(f"store: {args.n:,} documents × {args.runs} runs in {build_s:.1f} s; planted central "
              f"regulatory post − pre = {truth['planted_diff_central_regulatory']:+.3f} "
              f"(asymptotic {truth['asymptotic_diff']:+.3f})")
        rows = []
        for name, code in STEPS.items():
            res = measure(code.format(db=str(db), out=str(Path(tmp) / "report")))
            r = res["result"]
            rows.append({"step": name, "n_docs": args.n, "wall_s": res["wall_s"],
                         **memory_columns(res),
                         "central_reg_diff": r.get("diff"),
                         "ci": "" if "ci" not in r else f"[{r['ci'][0]:+.3f}, {r['ci'][1]:+.3f}]",
                         "extra": {k: v for k, v in r.items() if k not in ("diff", "ci")}})
    print_table("Analysis stage", rows, ["step", "n_docs", "wall_s", "main_mb", "workers_mb", "all_processes_mb",
                                         "central_reg_diff", "ci"])
    out = record("analysis", [{**row, **truth, "runs": args.runs, "build_s": build_s} for row in rows])
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, default=str), encoding="utf-8")
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
