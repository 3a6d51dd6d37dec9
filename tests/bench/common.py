"""Shared helpers for the benchmark scripts: run a measured step in a fresh process, print a
table, and append results to out/bench/results.jsonl so runs can be compared."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "out" / "bench"

CHILD = r"""
import json, sys, time
sys.path.insert(0, {repo!r})
from zhengce.common.memory import ChildMonitor, MemoryReport
result = {{}}
with ChildMonitor(interval={interval!r}, role="worker") as monitor:
    t0 = time.perf_counter()
    exec(compile({code!r}, "<bench>", "exec"))
    wall = time.perf_counter() - t0
memory = monitor.report
# A stage's own report (its workers' peaks, sent with their last results) beats sampling, which
# can miss growth in a worker's last moments before it exits.
if isinstance(result.get("peak_memory"), dict):
    memory.merge(MemoryReport.from_dict(result["peak_memory"]))
print("__BENCH__" + json.dumps({{"wall_s": wall, "memory": memory.as_dict(), "result": result}},
                                default=str))
"""


def measure(code: str, *, env: dict | None = None, timeout: int = 3600,
            interval: float = 0.05) -> dict:
    """Run ``code`` in a fresh Python process; it may fill the dict ``result``.

    Returns ``wall_s`` (the code alone, not the interpreter start), ``result``, and peak memory
    per process, each process's own ``VmHWM`` (zhengce.common.memory):

    - ``main_rss_mb``: the process running ``code``;
    - ``workers``: ``[{role, pid, peak_mb}]`` for every descendant (worker pools), sampled every
      ``interval`` seconds while it ran, or as the stage reported it when ``code`` puts a stage
      report's ``peak_memory`` in ``result`` (workers report their own peak with their results;
      sampling can miss growth in the last moments before a worker exits);
      ``max_worker_rss_mb`` the largest of them;
    - ``all_processes_mb``: the sum of all peaks, an upper bound on the step's memory (the
      figure the < 4 GB target is checked against);
    - ``peak_rss_mb``: the largest single process.
    """
    import os

    script = CHILD.format(repo=str(REPO), code=code, interval=interval)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})}, cwd=REPO)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark step failed:\n{proc.stderr[-3000:]}")
    for line in proc.stdout.splitlines():
        if line.startswith("__BENCH__"):
            out = json.loads(line[len("__BENCH__"):])
            memory = out["memory"]
            main = memory["main_peak_mb"]
            out.update(main_rss_mb=main, max_worker_rss_mb=memory["max_worker_peak_mb"],
                       n_workers=memory["n_workers"], workers=memory["processes"][1:],
                       all_processes_mb=memory["sum_of_peaks_mb"],
                       peak_rss_mb=max(main, memory["max_worker_peak_mb"] or 0.0))
            return out
    raise RuntimeError(f"no result from benchmark step:\n{proc.stdout[-2000:]}")


def memory_columns(res: dict) -> dict:
    """The per-process memory figures of a :func:`measure` result, for a table row."""
    return {"main_mb": res["main_rss_mb"],
            "workers_mb": (f"{res['n_workers']} × ≤ {res['max_worker_rss_mb']:,.0f}"
                           if res["n_workers"] else "none"),
            "all_processes_mb": res["all_processes_mb"],
            "peak_rss_mb": res["peak_rss_mb"]}


def print_table(title: str, rows: list[dict], columns: list[str]) -> None:
    def fmt(v):
        if isinstance(v, float):
            return f"{v:,.2f}" if abs(v) >= 1 or v == 0 else f"{v:.3g}"
        if isinstance(v, int):
            return f"{v:,}"
        return "" if v is None else str(v)

    cells = [[fmt(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    print(f"\n{title}")
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.rjust(w) for v, w in zip(row, widths)))


def record(name: str, rows: list[dict]) -> Path:
    """Append this run's rows to out/bench/results.jsonl and write out/bench/<name>.json."""
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    meta = {"bench": name, "at": stamp, "machine": platform.node(), "python": platform.python_version(),
            "cores": __import__("os").cpu_count()}
    with open(OUT / "results.jsonl", "a", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps({**meta, **row}, ensure_ascii=False, default=str) + "\n")
    path = OUT / f"{name}.json"
    path.write_text(json.dumps({**meta, "rows": rows}, ensure_ascii=False, indent=2, default=str),
                    encoding="utf-8")
    return path
