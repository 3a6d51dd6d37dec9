"""The cluster path of ``make topics`` end to end at a million documents (issue 16).

    python tests/bench/bench_million.py [--n 1000000] [--rows 5000] [--jobs 2]
                                        [--config topics.yaml] [--max-train-docs N]
                                        [--from STEP]

Corpus: the real-text benchmark corpus (LawRefBook texts cut to policy-document length, median
about 2,500 characters; tests/bench/corpora.py), ``--n`` documents, loaded into a fresh store
(``zhengce load``: its tagging gives each document its level and year, the DMR covariates).
Then, each step in a fresh process (tests/bench/common.py ``measure``), on a real local Dask
cluster for the parallel steps (``dask scheduler`` + ``--jobs`` single-threaded ``dask worker``
processes on 127.0.0.1, started fresh for each step so every worker's peak memory is that
step's):

``load`` → ``export`` (documents → shards of ``--rows``) → ``segment`` (Dask) → ``dictionary``
(Dask; the config's filter, seed terms kept) → ``bow`` (Dask) → ``train`` (seeded DMR of the
topics config on a sample stratified by level × period, one process) → ``infer`` (Dask: θ of the
held-out documents in the store path's joint runs) → ``import`` (tokens, labels, topics,
strategy shares and the dictionary measure into the store, as ``make topics`` writes them).

Reported per step: wall seconds and the peak memory (VmHWM) of every process: the step's own
process, its local workers, and the Dask workers (which report their peak with their results).
Rows go to out/bench/million_<n>.json and out/bench/results.jsonl. Run it at ``--n 100000`` too:
with both results present, the time exponent b (time ~ N^b) of every step between the two
sizes is printed. Not part of ``make test`` or ``make bench`` (hours at 1M on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, measure, print_table, record  # noqa: E402
from corpora import real_text_corpus  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scale"))
from local_dask import local_dask_cluster  # noqa: E402

LOAD = """
import os
from zhengce.corpus.store import Store
from zhengce.corpus.loaders import load_path
db = {db!r}
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(db + suffix):
        os.remove(db + suffix)
store = Store.open(db)
report = load_path(store, {path!r}, progress=False, n_jobs={workers})
result.update(documents=store.count("documents"))
store.close()
"""

EXPORT = """
import shutil
from zhengce.corpus import shards as sh
from zhengce.corpus.store import Store
shutil.rmtree({root!r}, ignore_errors=True)
store = Store.open({db!r})
result.update(documents=sh.export_documents(store, {root!r}, rows={rows}).n_documents)
store.close()
"""

SEGMENT = """
from zhengce.nlp.distributed import SegmentStage, run_parallel_stage
report = run_parallel_stage(SegmentStage(), {root!r}, scheduler={address!r})
result.update(report.as_dict())
"""

DICTIONARY = """
from zhengce.nlp.distributed import build_dictionary_from_shards
from zhengce.nlp.scheme import load_scheme
from zhengce.nlp.topics.stage import TopicsConfig
config = TopicsConfig.load({config!r}, **{overrides!r})
keep = load_scheme(config.scheme).terms() if config.keep_seeds else None
_, rep, path = build_dictionary_from_shards({root!r}, no_below=config.no_below,
                                            no_above=config.no_above, keep_n=config.keep_n,
                                            keep_tokens=keep, scheduler={address!r})
import json
stage = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))["stage"]
result.update(vocab_before=rep.vocab_before, vocab_after=rep.vocab_after,
              peak_memory=stage.get("peak_memory"))
"""

BOW = """
from pathlib import Path
from zhengce.nlp.distributed import BowStage, run_parallel_stage
report = run_parallel_stage(BowStage(Path({root!r}) / "dictionary.gensim"), {root!r},
                            scheduler={address!r})
result.update(report.as_dict())
"""

TRAIN = """
import warnings
from zhengce.corpus.store import Store
from zhengce.nlp.shard_dmr import train_topics_from_shards
from zhengce.nlp.topics.stage import TopicsConfig
config = TopicsConfig.load({config!r}, **{overrides!r})
store = Store.open({db!r})
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    model = train_topics_from_shards({root!r}, store, config, {model!r})
store.close()
result.update(n_train_docs=int(model.n_train_docs_), sweeps=int(model.n_iter_),
              to_infer=int((~model.trained_rows_).sum()), k=int(model.n_topics_))
"""

INFER = """
from zhengce.nlp.distributed import run_parallel_stage
from zhengce.nlp.shard_dmr import DmrInferStage
report = run_parallel_stage(DmrInferStage({model!r}, {root!r}), {root!r}, scheduler={address!r})
result.update(report.as_dict())
"""

IMPORT = """
import warnings
from zhengce.corpus.store import Store
from zhengce.nlp.shard_import import import_topic_run
store = Store.open({db!r})
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    out = import_topic_run(store, {root!r}, {model!r}, out_dir={topics_out!r})
result.update(run_id=out["run_id"], correlations=out["correlations"],
              shares=store.db.execute("select count(*) from strategy_shares where run_id = ?",
                                      [out["run_id"]]).fetchone()[0])
store.close()
"""


STEPS = ("load", "export", "segment", "dictionary", "bow", "train", "infer", "import")
#: what each shard step writes under the shards folder (removed when a resumed run redoes it)
OUTPUTS = {"segment": ("tokens",), "dictionary": ("dictionary.gensim", "dictionary.json"),
           "bow": ("bow",), "infer": ("doc_topics",)}


def step_row(step: str, n: int, res: dict, dask: bool, **extra) -> dict:
    """One table row: wall time and every process's peak (the step's process, its local
    workers, and the Dask workers' own reports)."""
    peaks = [round(p["peak_mb"] or 0.0) for p in res["workers"]]
    main = res["main_rss_mb"]
    return {"step": step, "documents": n, "wall_s": res["wall_s"], "docs_per_s": n / res["wall_s"],
            "main_mb": main, "worker_peaks_mb": sorted(peaks),
            "largest_process_mb": max([main, *peaks]), "all_processes_mb": main + sum(peaks),
            "executor": "dask" if dask else ("local pool" if peaks else "one process"), **extra}


def growth(rows: list[dict], n: int) -> list[dict]:
    """Time exponent of every step against another size's recorded run, if there is one."""
    out = []
    for other in sorted(OUT.glob("million_*.json")):
        if other.name == f"million_{n}.json":
            continue
        theirs = {r["step"]: r for r in json.loads(other.read_text(encoding="utf-8"))["rows"]
                  if "step" in r and "wall_s" in r}
        for r in rows:
            t = theirs.get(r["step"])
            if t and t["documents"] != n and t["wall_s"] > 0:
                b = math.log(r["wall_s"] / t["wall_s"]) / math.log(n / t["documents"])
                out.append({"step": r["step"], "sizes": f"{t['documents']:,} -> {n:,}",
                            "time_exponent": b,
                            "memory_ratio": r["largest_process_mb"] / t["largest_process_mb"]})
    return out


def main(argv: list[str] | None = None) -> int:
    # long: the steps in order, each measured and recorded as it finishes; split, the order
    # of the pipeline would be spread over several functions
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="documents")
    parser.add_argument("--rows", type=int, default=5000, help="documents per shard")
    parser.add_argument("--jobs", type=int, default=2, help="Dask worker processes")
    parser.add_argument("--config", default=None, help="topics config YAML (default: "
                        "TopicsConfig's defaults with model dmr, no pyLDAvis page)")
    parser.add_argument("--max-train-docs", type=int, default=None,
                        help="override the config's dmr_max_train_docs (a small --n needs a "
                             "smaller sample to exercise inference)")
    parser.add_argument("--from", dest="start", choices=STEPS, default=STEPS[0],
                        help="resume at this step: the earlier steps' rows are read from the "
                             "interrupted run's out/bench/million_<n>.partial.json and their "
                             "outputs (store, shards, model) must be in place")
    args = parser.parse_args(argv)
    n = args.n
    base = OUT / f"million_{n}"
    base.mkdir(parents=True, exist_ok=True)
    partial = OUT / f"million_{n}.partial.json"
    db, root, model = str(base / "corpus.db"), str(base / "shards"), str(base / "dmr")
    overrides = {"model": "dmr", "dmr_max_train_docs": args.max_train_docs}
    if args.config is None:
        overrides["ldavis"] = False
    overrides = {k: v for k, v in overrides.items() if v is not None}
    fmt = {"db": db, "root": root, "model": model, "rows": args.rows, "workers": args.jobs,
           "config": args.config, "overrides": overrides, "topics_out": str(base / "topics")}
    rows: list[dict] = []
    todo = STEPS[STEPS.index(args.start):]
    if args.start != STEPS[0]:
        if not partial.is_file():
            parser.error(f"--from {args.start}: no {partial} of an interrupted run to resume")
        done = json.loads(partial.read_text(encoding="utf-8"))["rows"]
        rows = [r for r in done if r["step"] not in todo]
        missing = [s for s in STEPS[:STEPS.index(args.start)] if s not in {r["step"] for r in rows}]
        if missing:
            parser.error(f"--from {args.start}: {partial} lacks the steps {missing}")
        # a shard stage skips the shards it already did: remove what the steps to redo wrote,
        # so each is measured doing its whole work
        for step in todo:
            for name in OUTPUTS.get(step, ()):
                target = Path(root) / name
                shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)

    def keep(row: dict) -> None:
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False, default=str), flush=True)
        # each finished step is saved, so a run stopped later can resume (--from)
        partial.write_text(json.dumps({"rows": rows}, ensure_ascii=False, default=str),
                           encoding="utf-8")

    if "load" in todo:
        started = time.perf_counter()
        corpus = real_text_corpus(n)
        print(f"corpus {corpus} ({time.perf_counter() - started:.0f} s to build or find)",
              flush=True)
        keep(step_row("load", n, measure(LOAD.format(path=str(corpus), **fmt),
                                         timeout=6 * 3600), False))
    if "export" in todo:
        keep(step_row("export", n, measure(EXPORT.format(**fmt), timeout=3600), False))
    for step, code in (("segment", SEGMENT), ("dictionary", DICTIONARY), ("bow", BOW)):
        if step in todo:
            with local_dask_cluster(base / "dask", args.jobs) as cluster:
                res = measure(code.format(address=cluster["address"], **fmt), timeout=6 * 3600)
            keep(step_row(step, n, res, True))
    if "train" in todo:
        shutil.rmtree(model, ignore_errors=True)
        res = measure(TRAIN.format(**fmt), timeout=6 * 3600)
        keep(step_row("train", n, res, False, **res["result"]))
    if "infer" in todo:
        with local_dask_cluster(base / "dask", args.jobs) as cluster:
            res = measure(INFER.format(address=cluster["address"], **fmt), timeout=6 * 3600)
        keep(step_row("infer", n, res, True,
                      inferred=res["result"]["summary"].get("inferred", 0)))
    res = measure(IMPORT.format(**fmt), timeout=6 * 3600)
    keep(step_row("import", n, res, False, shares=res["result"]["shares"]))
    total = sum(r["wall_s"] for r in rows)
    largest = max(r["largest_process_mb"] for r in rows)
    rows.append({"step": "total", "documents": n, "wall_s": total, "docs_per_s": n / total,
                 "largest_process_mb": largest,
                 "target": "< 2 h end to end, every process < 4 GB (at 1,000,000)"})
    print_table(f"the cluster path of make topics, {n:,} real-text documents, shards of "
                f"{args.rows:,}, {args.jobs} Dask workers (memory: each process's VmHWM)", rows,
                ["step", "documents", "wall_s", "docs_per_s", "main_mb", "worker_peaks_mb",
                 "largest_process_mb", "all_processes_mb", "executor"])
    exponents = growth(rows[:-1], n)
    if exponents:
        print_table("growth between recorded sizes: time ~ N^b", exponents,
                    ["step", "sizes", "time_exponent", "memory_ratio"])
    print(f"results: {record(f'million_{n}', rows)}")
    partial.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
