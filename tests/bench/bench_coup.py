"""Benchmark of the coup companion at its default settings (500 trees, n_jobs=2).

    python tests/bench/bench_coup.py [results.jsonl]

Runs, each through the store and the report writer into a temporary folder:
  1. the paper's protocol on the bundled synthetic monthly REIGN sample;
  2. the honest protocol (with the paper's beside it) on the same sample;
  3. both protocols on the real country-years in ../shared/data/coups (skipped when absent),
     printing the out-of-sample 2010-2019 ROC-AUC and PR-AUC.
Prints a table with wall time and peak RSS; appends one JSON line to argv[1] if given.
"""

from __future__ import annotations

import json
import platform
import sys
import tempfile
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


def main(argv: list[str]) -> int:
    from zhengce.companions.coup.pipeline import run_honest, run_paper, run_real, shared_coups_dir

    quiet = lambda _line: None  # noqa: E731 - progress lines would clutter the table
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        db = str(tmp / "bench.db")
        steps = [("paper / bundled sample", lambda: run_paper(out=tmp / "paper", db=db, echo=quiet)),
                 ("honest+paper / bundled sample",
                  lambda: run_honest(out=tmp / "honest", db=db, echo=quiet))]
        if shared_coups_dir() is not None:
            steps.append(("honest+paper / real country-years",
                          lambda: run_real(out=tmp / "real", db=db, echo=quiet)))
        else:
            print("../shared/data/coups is absent: skipping the real-data step")
        for name, step in steps:
            start = time.perf_counter()
            result = step()
            wall = time.perf_counter() - start
            metrics = result.honest.metrics_ if result.honest is not None else result.paper.metrics_
            paper = result.paper.metrics_ if result.paper is not None else None
            rows.append({"step": name, "wall_s": round(wall, 2), "peak_rss_mb": round(peak_rss_mb(), 1),
                         "roc_auc": round(metrics["roc_auc"], 4), "pr_auc": round(metrics["pr_auc"], 4),
                         "brier": round(metrics["brier"], 4), "base_rate": round(metrics["base_rate"], 4),
                         "test_rows": metrics["n"], "test_attempts": metrics["positives"],
                         "paper_roc_auc": round(paper["roc_auc"], 4) if paper else None,
                         "paper_pr_auc": round(paper["pr_auc"], 4) if paper else None})
            print(result.line.replace(str(tmp), "<tmp>"))

    header = ["step", "wall_s", "peak_rss_mb", "roc_auc", "pr_auc", "brier", "base_rate",
              "test_rows", "test_attempts", "paper_roc_auc", "paper_pr_auc"]
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in header]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for r in rows:
        print("  ".join(str(r[h]).ljust(w) for h, w in zip(header, widths)))
    print("(roc_auc/pr_auc/brier: the honest model's test window where it ran, else the paper's)")
    if len(argv) > 1:
        record = {"bench": "coup", "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
                  "python": platform.python_version(), "machine": platform.machine(), "steps": rows}
        with open(argv[1], "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
