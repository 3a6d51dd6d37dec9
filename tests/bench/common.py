"""Shared helpers for the benchmark scripts: run a measured step in a fresh process, print a
table, and append results to out/bench/results.jsonl so runs can be compared."""

from __future__ import annotations

import json
import platform
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "out" / "bench"

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {repo!r})
t0 = time.perf_counter()
result = {{}}
exec(compile({code!r}, "<bench>", "exec"))
wall = time.perf_counter() - t0
self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kids_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print("__BENCH__" + json.dumps({{"wall_s": wall, "peak_rss_mb": max(self_kb, kids_kb) / 1024,
                                 "parent_rss_mb": self_kb / 1024, "result": result}}, default=str))
"""


def measure(code: str, *, env: dict | None = None, timeout: int = 3600) -> dict:
    """Run ``code`` in a fresh Python process; it may fill the dict ``result``.

    Returns wall seconds (inside the process, imports excluded from nothing), peak RSS in MB (the
    larger of the process and its worker processes) and ``result``.
    """
    import os

    script = CHILD.format(repo=str(REPO), code=code)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})}, cwd=REPO)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark step failed:\n{proc.stderr[-3000:]}")
    for line in proc.stdout.splitlines():
        if line.startswith("__BENCH__"):
            return json.loads(line[len("__BENCH__"):])
    raise RuntimeError(f"no result from benchmark step:\n{proc.stdout[-2000:]}")


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
