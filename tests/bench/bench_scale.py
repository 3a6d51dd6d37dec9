"""Growth benchmark: segmentation and topic inference over Parquet shards at growing corpus sizes.

    python tests/bench/bench_scale.py [--sizes 10000,43000,200000] [--rows 5000] [--jobs 2]
                                      [--quick]

Corpus: the real-text benchmark corpus (LawRefBook texts cut to policy-document length, median
about 2,500 characters; tests/bench/corpora.py), the first N documents for each size N (the
generator is prefix-stable, so the 10k corpus is the first 10k of the 200k one), cut into
document shards of ``--rows``. For each size, each step in a fresh process (tests/bench/common.py):

1. ``segment``: normalize + segment every shard (nlp.distributed.SegmentStage, local pool of
   ``--jobs`` processes), the token shards rewritten from scratch;
2. ``bow``: the dictionary from the token shards (per-shard counts merged; no_below=5,
   no_above=0.5, keep_n=100,000) and the bag-of-words shards with it;
3. ``infer``: θ_d of every document under one LDA model (K = 50, trained once on the smallest
   size's bag of words, 2 passes, 100 E-step iterations), rewritten from scratch.

Reported per step: wall seconds, summed per-shard processing seconds (``work_s``), documents/s,
peak RSS (each process's own VmHWM, zhengce.common.memory) of the largest worker process (each holds one
shard at a time) and of the coordinating process, and the sum of every process's peak (an upper
bound on the memory the step needs). Then, per stage, the exponent b of wall time ~ N^b
fitted by least squares on log-log (1 = linear; ``work_exponent`` fits the summed per-shard
processing seconds instead, without process start-up, which dominates small sizes), the ratio of the all-process memory at the
largest to the smallest size (flat = at most 1.25), and times at 1M and 3M documents extrapolated from the fit
(labelled as such). Rows go to out/bench/scale.json and out/bench/results.jsonl after every step,
so a run cut short keeps what it measured.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, REPO, measure, print_table, record  # noqa: E402
from corpora import real_text_corpus  # noqa: E402

sys.path.insert(0, str(REPO))

SEGMENT = """
import shutil
from pathlib import Path
from zhengce.nlp.distributed import SegmentStage, run_parallel_stage
root = Path({root!r})
shutil.rmtree(root / "tokens", ignore_errors=True)
report = run_parallel_stage(SegmentStage(), root, n_jobs={workers})
result.update(report.as_dict())
"""

INFER = """
import shutil
from pathlib import Path
from zhengce.nlp.distributed import InferStage, run_parallel_stage
root = Path({root!r})
shutil.rmtree(root / "doc_topics", ignore_errors=True)
report = run_parallel_stage(InferStage({model!r}), root, n_jobs={workers})
result.update(report.as_dict())
"""

BOW = """
import shutil
from pathlib import Path
from zhengce.nlp.distributed import BowStage, build_dictionary_from_shards, run_parallel_stage
root = Path({root!r})
shutil.rmtree(root / "bow", ignore_errors=True)
_, rep, path = build_dictionary_from_shards(root, no_below=5, no_above=0.5, keep_n=100000,
                                            n_jobs={workers})
report = run_parallel_stage(BowStage(path), root, n_jobs={workers})
result.update(report.as_dict())
result.update(vocab_before=rep.vocab_before, vocab_after=rep.vocab_after)
"""

TRAIN = """
import warnings
from zhengce.nlp.distributed import train_from_shards
from zhengce.nlp.topics.models import LdaTopicModel
root = {root!r}
model = LdaTopicModel(n_topics={k}, passes=2, iterations=100, chunksize=2000, random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    train_from_shards(root, model, out={model!r})
from zhengce.common.memory import peak_rss_mb
result.update(vocabulary=len(model.vocabulary_), fit_s=model.fit_seconds_, peak=peak_rss_mb())
"""


BUILD = """
import json, shutil
from pathlib import Path
from zhengce.corpus import shards as sh
folder, source, n, rows = Path({folder!r}), Path({source!r}), {n}, {rows}
shutil.rmtree(folder, ignore_errors=True)
n_chars = 0
writer = sh.ShardWriter(folder, "documents", rows, meta={{"source_file": source.name}})
with open(source, encoding="utf-8") as fh:
    for i, line in enumerate(fh):
        if i >= n:
            break
        text = json.loads(line)["text"]
        n_chars += len(text)
        writer.add({{"doc_id": f"s{{i:07d}}", "text": text}})
writer.meta["n_chars"] = n_chars
writer.close()
"""


def document_shards(source: Path, n: int, rows: int, folder: Path) -> tuple[Path, float, int]:
    """The first ``n`` documents of ``source`` as document shards in ``folder`` (cached; built in
    a child process, so this driver stays small)."""
    manifest = folder / "documents" / "manifest.json"
    build_s = 0.0
    if manifest.exists():
        m = json.loads(manifest.read_text(encoding="utf-8"))
        fresh = (m.get("n_documents") == n and m.get("rows_per_shard") == rows
                 and m.get("source_file") == source.name)
    else:
        fresh = False
    if not fresh:
        build_s = measure(BUILD.format(folder=str(folder), source=str(source), n=n,
                                       rows=rows))["wall_s"]
    m = json.loads(manifest.read_text(encoding="utf-8"))
    return folder, build_s, int(m["n_chars"])


def fit_exponent(sizes: list[int], seconds: list[float]) -> float:
    """b in seconds ≈ a · N^b, least squares on log-log."""
    slope, _ = np.polyfit(np.log(np.asarray(sizes, float)), np.log(np.asarray(seconds, float)), 1)
    return float(slope)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,43000,200000")
    parser.add_argument("--rows", type=int, default=5000, help="documents per shard")
    parser.add_argument("--jobs", type=int, default=2, help="local worker processes")
    parser.add_argument("--k", type=int, default=50, help="topics of the inference model")
    parser.add_argument("--quick", action="store_true", help="sizes 1000,2000,4000, shards of 500")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.rows = "1000,2000,4000", 500
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if len(sizes) < 2:
        sys.exit("--sizes needs at least two sizes to fit a growth exponent")
    name = "scale_quick" if args.quick else "scale"
    base = OUT / name
    source = real_text_corpus(max(sizes))
    model = base / f"model_k{args.k}"
    rows: list[dict] = []

    partial = OUT / f"{name}.partial.json"
    OUT.mkdir(parents=True, exist_ok=True)

    def keep(row: dict) -> None:
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False, default=str), flush=True)
        partial.write_text(json.dumps(rows, ensure_ascii=False, indent=1, default=str),
                           encoding="utf-8")

    def step_row(stage: str, n: int, res: dict, n_chars: int, **extra) -> dict:
        r = res["result"]
        # Each process's own VmHWM: measure() merges what the workers reported with the stage
        # (r["peak_memory"]) into what it sampled, keeping the larger per process.
        peaks = {p["pid"]: p["peak_mb"] or 0.0 for p in res["workers"]}
        client = res["main_rss_mb"]
        worker = max(peaks.values(), default=0.0)
        return {"stage": stage, "documents": n, "shards": r["n_shards"], "wall_s": res["wall_s"],
                "work_s": r["summary"]["task_seconds"], "docs_per_s": n / res["wall_s"],
                "peak_rss_mb": max(worker, client), "worker_rss_mb": worker,
                "client_rss_mb": client, "all_processes_mb": client + sum(peaks.values()),
                "worker_peaks_mb": sorted(round(v) for v in peaks.values()),
                "workers": len(peaks), "chars_m": n_chars / 1e6, **extra}

    for n in sizes:
        root, build_s, n_chars = document_shards(source, n, args.rows, base / f"n{n}")
        res = measure(SEGMENT.format(root=str(root), workers=args.jobs))
        keep(step_row("segment", n, res, n_chars, shard_build_s=build_s,
                      mb_per_s=res["result"]["summary"]["bytes"] / 1e6 / res["wall_s"]))
        res = measure(BOW.format(root=str(root), workers=args.jobs))
        keep(step_row("bow", n, res, n_chars, vocabulary=f"{res['result']['vocab_before']} -> "
                                                          f"{res['result']['vocab_after']}"))
        if not (model / "model.json").exists():
            res_t = measure(TRAIN.format(root=str(root), workers=args.jobs, k=args.k,
                                         model=str(model)))
            print(f"trained the inference model on {n:,} documents: vocabulary "
                  f"{res_t['result']['vocabulary']:,}, fit {res_t['result']['fit_s']:.0f} s, "
                  f"peak RSS {res_t['result']['peak']:.0f} MB", flush=True)
        res = measure(INFER.format(root=str(root), model=str(model), workers=args.jobs))
        keep(step_row("infer", n, res, n_chars))

    print_table(f"scale: segmentation and inference (K = {args.k}) over shards of {args.rows:,}, "
                f"{args.jobs} worker processes", rows,
                ["stage", "documents", "shards", "wall_s", "work_s", "docs_per_s", "mb_per_s",
                 "worker_peaks_mb", "client_rss_mb", "all_processes_mb"])
    growth = []
    for stage in ("segment", "bow", "infer"):
        done = [r for r in rows if r["stage"] == stage]
        ns, ts = [r["documents"] for r in done], [r["wall_s"] for r in done]
        b = fit_exponent(ns, ts)
        b_work = fit_exponent(ns, [r["work_s"] for r in done])
        rss = [r["all_processes_mb"] for r in done]
        ratio = rss[-1] / rss[0]
        a = ts[-1] / ns[-1] ** b
        growth.append({"stage": stage, "sizes": ",".join(f"{n:,}" for n in ns),
                       "time_exponent": b, "work_exponent": b_work,
                       "linear": "yes" if 0.85 <= b <= 1.15 else "no",
                       "rss_ratio": ratio, "flat_memory": "yes" if ratio <= 1.25 else "no",
                       "rss_mb_smallest": rss[0], "rss_mb_max": max(rss),
                       "extrapolated_1M_s": a * 1e6 ** b, "extrapolated_3M_s": a * 3e6 ** b,
                       "linear_1M_s": ts[-1] * 1e6 / ns[-1], "linear_3M_s": ts[-1] * 3e6 / ns[-1]})
    print_table("growth: time ~ N^b (log-log fit); memory of all processes, largest/smallest size; 1M / 3M "
                "EXTRAPOLATED from the fit and from the largest size (linear), 2 cores",
                growth, ["stage", "sizes", "time_exponent", "work_exponent", "linear", "rss_ratio",
                         "flat_memory", "rss_mb_smallest", "rss_mb_max", "extrapolated_1M_s", "extrapolated_3M_s", "linear_1M_s",
                         "linear_3M_s"])
    print(f"results: {record(name, rows + [{**g, 'stage': 'growth:' + g['stage']} for g in growth])}")
    partial.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
