"""Benchmark of the Malmquist companion (not a unit test).

    python tests/bench/bench_malmquist.py [results.jsonl] [--max-firms N] [--boot B]

Each case runs in its own Python process so its peak RSS is its own:
  1. the bundled SYNTHETIC sample, 34 banks × 10 years (the paper's size), whole index;
  2. simulated panels of 200 and 1,000 firms × 10 periods (3 inputs, 2 outputs), whole index;
  3. the Simar–Wilson bootstrap on the bundled sample (``--boot`` replicates, default 50).
Prints a table (wall time, LPs, peak RSS) and, given a path, appends one JSON line.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def peak_rss_mb() -> float:
    """This process's own peak (VmHWM; zhengce.common.memory): ru_maxrss would include the RSS of the
    process that started this one."""
    from zhengce.common.memory import peak_rss_mb as vmhwm

    return vmhwm()


def one_case(kind: str, n_firms: int, n_periods: int, n_boot: int) -> dict:
    from zhengce.companions.malmquist import MalmquistIndex, load_sample
    from zhengce.companions.malmquist import sample as sample_mod

    if kind == "sample" or kind == "bootstrap":
        panel = load_sample()
        cols = dict(firm="bank", period="year", inputs=list(sample_mod.INPUTS),
                    outputs=list(sample_mod.OUTPUTS))
    else:
        panel = sample_mod.simulate_panel(n_firms, n_periods, seed=1)
        cols = dict(inputs="x1,x2,x3", outputs="y1,y2")
    rss_before = peak_rss_mb()
    t0 = time.perf_counter()
    model = MalmquistIndex().fit(panel, **cols)
    t1 = time.perf_counter()
    row = {"case": kind, "firms": len(model.firms_), "periods": len(model.periods_),
           "lps": len(model.lp_status_), "fit_s": round(t1 - t0, 3),
           "ms_per_lp": round(1000 * (t1 - t0) / len(model.lp_status_), 3),
           "tfpch": round(float(model.overall_mean_["tfpch"]), 6)}
    if kind == "bootstrap":
        model.bootstrap(n_boot, random_state=1)
        t2 = time.perf_counter()
        row.update({"bootstrap_reps": n_boot, "bootstrap_s": round(t2 - t1, 3),
                    "s_per_rep": round((t2 - t1) / n_boot, 3)})
    row["rss_before_fit_mb"] = round(rss_before, 1)
    row["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return row


def main(argv: list[str]) -> None:
    if argv[:1] == ["--case"]:
        kind, n, t, b = argv[1], int(argv[2]), int(argv[3]), int(argv[4])
        print(json.dumps(one_case(kind, n, t, b)))
        return
    out_path = None
    max_firms, n_boot = 1000, 50
    rest = list(argv)
    while rest:
        arg = rest.pop(0)
        if arg == "--max-firms":
            max_firms = int(rest.pop(0))
        elif arg == "--boot":
            n_boot = int(rest.pop(0))
        else:
            out_path = Path(arg)
    cases = [("sample", 34, 10), ("simulated", 200, 10)]
    if max_firms >= 1000:
        cases.append(("simulated", max_firms, 10))
    cases.append(("bootstrap", 34, 10))
    rows = []
    for kind, n, t in cases:
        wall = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--case", kind, str(n), str(t), str(n_boot)],
                              capture_output=True, text=True, check=True, cwd=REPO)
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        row["process_wall_s"] = round(time.perf_counter() - wall, 2)
        rows.append(row)
        print(f"{kind:10s} {row['firms']:5d} × {row['periods']:2d}: fit {row['fit_s']:8.2f} s "
              f"({row['lps']} LPs, {row['ms_per_lp']:.2f} ms/LP)"
              + (f", bootstrap {row['bootstrap_reps']} reps {row['bootstrap_s']:.1f} s "
                 f"({row['s_per_rep']:.2f} s/rep)" if "bootstrap_s" in row else "")
              + f", peak RSS {row['peak_rss_mb']:.0f} MB", flush=True)
    record = {"bench": "malmquist", "python": platform.python_version(),
              "machine": platform.machine(), "cpus": __import__("os").cpu_count(), "rows": rows}
    if out_path:
        with out_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
