"""The benchmark suite (``make bench``): every bench script in turn, then the targets.

    python tests/bench/run_all.py [--quick] [--only load,scale] [--cores 2]

Each script runs as its own subprocess (pinned to ``--cores`` cores, default 2: the targets are
stated for two cores) and prints its own table, each figure beside the baseline it measures in the
same run. The scripts write their results to out/bench/<name>.json (and append to
out/bench/results.jsonl), so runs can be compared. At the end this prints one table of the
targets from the issue with PASS / MISS and the measured value, written to out/bench/summary.json
(and results.jsonl). A target whose bench did not run, failed, or left no result from *this* run
says so (``not measured``) instead of reusing an older file — unless ``--earlier HOURS`` is given
(for a suite run piece by piece on a quiet machine, e.g. ``--only scale --earlier 3``): results
written up to HOURS before the run are then accepted, and a last table lists every result file the
targets were read from, with when it was written and whether this run wrote it.

``--quick`` runs every script at small sizes (minutes, not an hour): the table is then a smoke test,
and the size-bound targets (43,000 documents) are reported as ``not measured (quick)``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, REPO, print_table, record  # noqa: E402

HERE = Path(__file__).resolve().parent


@dataclass
class Bench:
    name: str
    script: str
    full: list[str] = field(default_factory=list)
    quick: list[str] = field(default_factory=list)
    #: run only when the script exists (written by another part of the project)
    optional: bool = False


def benches() -> list[Bench]:
    o = str(OUT)
    return [
        Bench("load", "bench_load.py", ["43000"], ["2000"]),
        Bench("segment", "bench_segment.py", ["--json", f"{o}/segment.json"],
              ["--limit", "300", "--json", f"{o}/segment_quick.json"]),
        Bench("topics", "bench_topics.py", ["--json", f"{o}/topics.json"],
              ["--limit", "300", "--k", "10", "--passes", "2", "--dmr-iterations", "50",
               "--models", "lda,seeded_lda,dmr,naive", "--json", f"{o}/topics_quick.json"]),
        Bench("topics_e2e", "bench_topics_e2e.py", [], ["--quick"]),
        Bench("dmr_infer", "bench_dmr_infer.py", [], ["--n", "1500", "--train", "1000", "--k", "20"]),
        Bench("scale", "bench_scale.py", [], ["--quick"]),
        Bench("analysis", "bench_analysis.py", [], ["--n", "3000", "--runs", "1"]),
        Bench("crawl", "bench_crawl.py", [], ["200"]),
        Bench("malmquist", "bench_malmquist.py", [f"{o}/malmquist.jsonl"],
              ["--max-firms", "200", "--boot", "10", f"{o}/malmquist.jsonl"]),
        Bench("coup", "bench_coup.py", [f"{o}/coup.jsonl"], [f"{o}/coup.jsonl"]),
        Bench("bank_entry", "bench_bank_entry.py", [f"{o}/bank_entry.jsonl"],
                  [f"{o}/bank_entry.jsonl"]),
    ]


def run_bench(bench: Bench, quick: bool, cores: list[int], timeout: int) -> dict:
    script = HERE / bench.script
    if not script.exists():
        return {"script": bench.name, "status": "absent" if bench.optional else "missing script",
                "seconds": 0.0}
    args = bench.quick if quick else bench.full
    if quick and "--quick" in args and "--quick" not in script.read_text(encoding="utf-8"):
        args = []  # an optional script without a quick mode runs at its defaults
    print(f"\n{'=' * 100}\n{bench.name}: {bench.script} {' '.join(args)}\n{'=' * 100}", flush=True)

    def pin() -> None:
        if cores and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, cores)

    started = time.perf_counter()
    env = {**os.environ, "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0")}
    try:
        proc = subprocess.run([sys.executable, str(script), *args], cwd=REPO, env=env,
                              preexec_fn=pin, timeout=timeout)
        status = "ok" if proc.returncode == 0 else f"failed (exit {proc.returncode})"
    except subprocess.TimeoutExpired:
        status = f"timed out after {timeout} s"
    return {"script": bench.name, "status": status, "seconds": time.perf_counter() - started,
            "args": " ".join(args)}


# ---------------------------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------------------------

#: every result file the targets were read from: name -> modification time (for the sources table)
SOURCES: dict[str, float] = {}


def _fresh_json(path: Path, since: float):
    """The JSON at ``path`` if it was written after ``since`` (this run's start, or earlier with
    ``--earlier``), else None."""
    if not path.exists() or path.stat().st_mtime < since:
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None
    SOURCES[path.name] = path.stat().st_mtime
    return doc


def _target(name: str, goal: str, measured, passed: bool | None, note: str = "") -> dict:
    verdict = "not measured" if passed is None else ("PASS" if passed else "MISS")
    return {"target": name, "goal": goal, "measured": measured, "result": verdict, "note": note}


def _rows(doc) -> list[dict]:
    if isinstance(doc, dict):
        return list(doc.get("rows", []))
    if isinstance(doc, list):
        return [r for r in doc if isinstance(r, dict)]
    return []


def _main_row(rows: list[dict]) -> dict | None:
    """The measured (not baseline) row: the one with a ``target`` text, else the first."""
    for row in rows:
        if row.get("target"):
            return row
    return rows[0] if rows else None


def evaluate(since: float, quick: bool) -> list[dict]:
    out: list[dict] = []
    why_quick = "quick run: sizes below the target's"

    load = _main_row(_rows(_fresh_json(OUT / "load.json", since)))
    if load is None or quick:
        out.append(_target("load + index 43,000 real-text docs",
                           "< 60 s, < 1 GB (sum over processes)", None, None,
                           why_quick if quick and load else "bench_load did not run"))
    else:
        memory = load.get("all_processes_mb")
        out.append(_target("load + index 43,000 real-text docs",
                           "< 60 s, < 1 GB (sum over processes)",
                           f"{load['wall_s']:.1f} s, {memory or 0:,.0f} MB ({load['documents']:,} docs)",
                           load["documents"] >= 43_000 and load["wall_s"] < 60
                           and memory is not None and memory < 1024))

    seg = _fresh_json(OUT / ("segment_quick.json" if quick else "segment.json"), since)
    if seg is None:
        out.append(_target("segmentation speed vs jieba", ">= 20x, identical tokens", None, None,
                           "bench_segment did not run"))
    else:
        ratio, parity = seg.get("speed_ratio"), seg.get("parity", {}).get("fraction")
        out.append(_target("segmentation speed vs jieba", ">= 20x, identical tokens",
                           f"{ratio}x, {parity:.4f} of documents identical "
                           f"({seg.get('documents'):,} docs)",
                           None if quick else (ratio is not None and ratio >= 20
                                               and parity == 1.0
                                               and (seg.get("documents") or 0) >= 43_000),
                           why_quick if quick else ""))

    e2e = _fresh_json(OUT / ("topics_e2e_quick.json" if quick else "topics_e2e.json"), since)
    e2e_row = _main_row(_rows(e2e))
    if e2e_row is None or "wall_s" not in e2e_row:
        out.append(_target("make topics (K = 50), 43,000 docs", "< 10 min", None, None,
                           "bench_topics_e2e did not run or wrote no wall_s"))
    else:
        docs = e2e_row.get("documents") or e2e_row.get("n_docs") or 0
        out.append(_target("make topics (K = 50), 43,000 docs", "< 10 min",
                           f"{e2e_row['wall_s'] / 60:.1f} min ({docs:,} docs)",
                           None if quick else (docs >= 43_000 and e2e_row["wall_s"] < 600),
                           why_quick if quick else ""))
        base = next((r for r in _rows(e2e) if str(r.get("step", "")).startswith("baseline")), None)
        if base is None:
            out.append(_target("make topics vs naive baseline", ">= 3x faster, >= its NPMI", None,
                               None, "the baseline was skipped"))
        else:
            speed = base["wall_s"] / e2e_row["wall_s"]
            out.append(_target("make topics vs naive baseline", ">= 3x faster, >= its NPMI",
                               f"{speed:.1f}x; NPMI {e2e_row['npmi']:.3f} vs {base['npmi']:.3f}",
                               None if quick else (speed >= 3 and e2e_row["npmi"] >= base["npmi"]),
                               why_quick if quick else ""))

    infer = _rows(_fresh_json(OUT / "dmr_infer.json", since))
    if not infer:
        out.append(_target("DMR joint inference (runs of 100) vs the sampler's noise",
                           "moves θ no more than 20 vs 200 sweeps do", None, None,
                           "bench_dmr_infer did not run"))
    else:
        noise = next(r for r in infer if r["inference"] == "each alone, 20 sweeps")
        shift = next(r for r in infer if r["inference"] == "runs of 100: shifted vs unshifted")
        out.append(_target("DMR joint inference (runs of 100) vs the sampler's noise",
                           "moves θ no more than 20 vs 200 sweeps do",
                           f"shifted runs r = {shift['r']:.4f}, noise r = {noise['r']:.4f} "
                           f"({shift['held_out']:,} documents)", bool(shift["within_noise"])))

    scale = _fresh_json(OUT / ("scale_quick.json" if quick else "scale.json"), since)
    growth = {r["stage"][len("growth:"):]: r for r in _rows(scale)
              if str(r.get("stage", "")).startswith("growth:")}
    for stage in ("segment", "infer"):
        g = growth.get(stage)
        if g is None:
            out.append(_target(f"{stage} time linear in N", "exponent 0.85-1.15", None, None,
                               "bench_scale did not run"))
            continue
        out.append(_target(f"{stage} time linear in N", "exponent 0.85-1.15",
                           f"b = {g['time_exponent']:.2f} over {g['sizes']} "
                           f"(work only: {g['work_exponent']:.2f})",
                           0.85 <= g["time_exponent"] <= 1.15,
                           "quick sizes are dominated by start-up" if quick else ""))
        out.append(_target(f"{stage} memory flat in N",
                           "all-process peak RSS, largest / smallest N <= 1.25",
                           f"{g['rss_ratio']:.2f} (max {g['rss_mb_max']:.0f} MB)",
                           g["rss_ratio"] <= 1.25))

    peaks = []
    for path in OUT.glob("*.json"):
        for row in _rows(_fresh_json(path, since)):
            label = str(row.get("step") or row.get("model") or "")
            if label.startswith(("baseline", "naive")):
                continue   # the comparison scripts are not held to our memory target
            # all_processes_mb (the sum of every process's VmHWM) where a bench measured it
            for key in ("all_processes_mb", "peak_rss_mb", "rss_mb_max"):
                if isinstance(row.get(key), (int, float)):
                    peaks.append((row[key], path.stem, row.get("step") or row.get("stage")))
    if peaks:
        worst = max(peaks)
        out.append(_target("peak RSS, any step", "< 4 GB (sum over processes)", f"{worst[0]:,.0f} MB ({worst[1]}: {worst[2]})",
                           worst[0] < 4096))
    else:
        out.append(_target("peak RSS, any step", "< 4 GB (sum over processes)", None, None, "no results with peak RSS"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test in minutes")
    parser.add_argument("--only", default=None, help="comma-separated bench names to run")
    parser.add_argument("--cores", type=int, default=2, help="cores to pin each bench to (0 = all)")
    parser.add_argument("--timeout", type=int, default=None,
                        help="seconds per bench (default 1,200 quick, 10,800 full)")
    parser.add_argument("--earlier", type=float, default=0.0, metavar="HOURS",
                        help="also judge the targets on results written up to HOURS before this "
                             "run (benches run one at a time on a quiet machine); a table says "
                             "which figures come from which run")
    args = parser.parse_args(argv)
    todo = benches()
    if args.only:
        wanted = {n.strip() for n in args.only.split(",") if n.strip()}
        unknown = wanted - {b.name for b in todo}
        if unknown:
            sys.exit(f"unknown bench(es) {sorted(unknown)}; choose from {[b.name for b in todo]}")
        todo = [b for b in todo if b.name in wanted]
    cores: list[int] = []
    if args.cores and hasattr(os, "sched_getaffinity"):
        available = sorted(os.sched_getaffinity(0))
        cores = available[:args.cores]
        if len(cores) < args.cores:
            print(f"note: only {len(cores)} core(s) available, targets are stated for {args.cores}")
    timeout = args.timeout or (1200 if args.quick else 10800)
    OUT.mkdir(parents=True, exist_ok=True)
    since = time.time() - 1
    runs = [run_bench(b, args.quick, cores, timeout) for b in todo]
    print_table("benchmark scripts" + (" (quick)" if args.quick else ""), runs,
                ["script", "status", "seconds", "args"])
    targets = evaluate(since - 3600 * args.earlier, args.quick)
    print_table(f"targets ({len(cores) or os.cpu_count()} cores" + (", quick sizes" if args.quick
                                                                    else "") + ")",
                targets, ["target", "goal", "measured", "result", "note"])
    stamp = lambda t: time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))  # noqa: E731
    sources = [{"result_file": name, "written": stamp(t),
                "run": "this run" if t >= since else "earlier run (--earlier)"}
               for name, t in sorted(SOURCES.items())]
    print_table("result files the targets were read from", sources,
                ["result_file", "written", "run"])
    record("summary_quick" if args.quick else "summary",
           [{"kind": "bench", **r} for r in runs] + [{"kind": "target", **t} for t in targets])
    failed = [r for r in runs if r["status"] not in ("ok", "absent")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
