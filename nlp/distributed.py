"""One code path for the embarrassingly parallel stages: a local process pool or a Dask cluster.

Every stage reads input shards of one kind and writes result shards of another (see
:mod:`corpus.shards` for the folder layout); each shard is one task, independent of every other:

==============  =============  ==================  =============================================
stage           input shards   output shards       what a task does
==============  =============  ==================  =============================================
``segment``     documents      tokens              normalize + segment + filter (the token cache
                                                   rows of :func:`nlp.text.segment.segment_corpus`)
``dictionary``  tokens         (returned)          per-shard vocabulary and document frequencies,
                                                   merged here into a gensim ``Dictionary``
``bow``         tokens         bow                 ``dictionary.doc2bow`` of every document
``infer``       tokens         doc_topics          θ_d of a saved gensim LDA model (E-step)
``infer`` (DMR) bow            doc_topics          θ_d of a seeded DMR from ``shards train``:
                                                   the store path's joint runs
                                                   (:class:`~zhengce.nlp.shard_dmr.DmrInferStage`)
``score``       tokens         dictionary_scores   the scheme's dictionary measure per document
==============  =============  ==================  =============================================

:func:`run_parallel_stage` runs a stage over the shards of a folder. ``scheduler=None`` uses a
local ``concurrent.futures`` process pool (``n_jobs`` processes, default: the cores this process
may use; 1 runs in this process); ``scheduler='tcp://host:port'`` (or the path of a Dask scheduler
file) submits the same task function to a ``dask.distributed`` cluster. Workers read and write the
shard files themselves, so the shard folder must be visible at the same path to every worker and
to this process (a shared filesystem); this process only schedules, checks and writes the
manifest. Tasks whose result shard already exists with the same stage fingerprint, input hash and
run id are not re-run, so an interrupted stage resumes where it stopped.

Exactness. A task's output depends only on its input shard and the stage's parameters, never on
which worker ran it, so the local and the distributed run give identical shards (tested with a
real scheduler and two worker processes). For inference this needs care: gensim starts each
document's variational parameter γ_d from random Gamma(100, 1/100) draws of the model's RNG, so
θ_d would depend on which documents were inferred before it. Here each document's start is drawn
from its own generator, seeded with the first 4 bytes of SHA-256(``random_state`` ``\\x1f``
``doc_id``) (:func:`document_seed`), so θ_d depends only on the document, the model and
``random_state``: not on the shard size, the order of documents, the worker or the scheduler.
(It therefore differs from :meth:`nlp.topics.models.LdaTopicModel.transform`, which draws every start
from one stream, by the random start only; both iterate the same E-step to gensim's tolerance.)

Seeded DMR (the model of ``make topics``) is inferred in joint runs of ``infer_batch``
documents, not per document: the runs are numbered over all shards in corpus order, exactly as the
store path cuts them, so θ_d equals the store path's to the bit whatever the sharding
(:mod:`zhengce.nlp.shard_dmr`).

Topic *training* is not here: online LDA is a sequence of updates, each depending on the previous
one, and the DMR sampler trains on one sample. It stays streaming on one machine
(:class:`ShardBowCorpus` feeds gensim the bow shards one at a time;
:func:`zhengce.nlp.shard_dmr.train_topics_from_shards` fits the model of ``make topics``; see
docs/scaling.md for how far that goes).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Sequence

from zhengce.common.errors import UserError
from zhengce.common.memory import MemoryReport, process_peak
from zhengce.common.parallel import DaskExecutor, LocalExecutor, make_executor, resolve_jobs
from zhengce.common.progress import Progress
from zhengce.corpus import shards as sh
from zhengce.corpus.store import utcnow

# the stages are imported from here by callers (zhengce shards, benchmarks, tests)
from .shard_dmr import DmrInferStage, train_topics_from_shards  # noqa: F401
from .shard_stages import (BowStage, DictionaryStage, InferStage,  # noqa: F401
                           ScoreStage, SegmentStage, Stage, _load_dictionary, document_seed,
                           folder_hash)

log = logging.getLogger(__name__)

STAGE_FILE = "stage.json"


# ---------------------------------------------------------------------------------------------
# The task function (runs on a worker: local process or Dask worker)
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShardTask:
    index: int
    input_path: str
    input_sha256: str
    output_path: str | None
    run_id: str | None


_STATE = threading.local()


def _state_for(stage: Stage) -> Any:
    """The stage's worker state, built once per process and thread (Dask worker threads each get
    their own: the segmenters and gensim models are not shared across threads)."""
    cache = getattr(_STATE, "cache", None)
    if cache is None:
        cache = _STATE.cache = {}
    key = (type(stage).__name__, stage.fingerprint())
    if key not in cache:
        if len(cache) >= 4:
            cache.clear()
        cache[key] = stage.setup()
    return cache[key]


def run_shard(stage: Stage, task: ShardTask) -> dict:
    """Process one shard: read, check its hash, run the stage, write the result atomically.

    Returns the manifest entry of the output shard (or the value, for stages without output
    shards) with timing and the worker's host and process id.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    started = time.perf_counter()
    state = _state_for(stage)
    setup_s = time.perf_counter() - started
    try:
        data = Path(task.input_path).read_bytes()
    except FileNotFoundError:
        raise UserError(f"worker {socket.gethostname()} cannot read shard {task.input_path}: the "
                        "shard folder must be at the same path on every worker (a shared "
                        "filesystem)") from None
    digest = sh.sha256_bytes(data)
    if task.input_sha256 and digest != task.input_sha256:
        raise UserError(f"shard {task.input_path} changed after its manifest was written (SHA-256 "
                        f"{digest[:12]}…, manifest {task.input_sha256[:12]}…); re-run the stage "
                        "that writes it")
    table = pq.read_table(pa.BufferReader(data))
    del data
    work_started = time.perf_counter()
    result, summary = stage.process(state, table, task.run_id)
    ids = table.column("doc_id")
    entry = {"index": task.index, "documents": table.num_rows,
             "first_doc_id": ids[0].as_py() if len(ids) else None,
             "last_doc_id": ids[-1].as_py() if len(ids) else None,
             "seconds": time.perf_counter() - work_started, "setup_seconds": setup_s,
             "worker": f"{socket.gethostname()}:{os.getpid()}", "summary": summary}
    if task.output_path is None:
        entry["value"] = result
        entry["peak"] = process_peak("shard worker")
        return entry
    meta = {"kind": stage.output_kind, "stage": stage.name, "index": task.index,
            "fingerprint": stage.fingerprint(), "run_id": task.run_id,
            "input_sha256": digest, "documents": table.num_rows,
            "first_doc_id": entry["first_doc_id"], "last_doc_id": entry["last_doc_id"]}
    entry.update(file=Path(task.output_path).name, rows=result.num_rows,
                 sha256=sh.write_table(task.output_path, result, meta))
    entry["peak"] = process_peak("shard worker")
    return entry


# ---------------------------------------------------------------------------------------------
# Running a stage over a folder
# ---------------------------------------------------------------------------------------------

@dataclass
class StageReport:
    """What :func:`run_parallel_stage` did."""

    stage: str
    root: str
    executor: str
    n_shards: int
    n_documents: int
    n_run: int
    n_reused: int
    seconds: float
    run_id: str | None = None
    fingerprint: str = ""
    summary: dict = field(default_factory=dict)
    workers: list = field(default_factory=list)  # host:pid of the processes that ran tasks
    #: peak memory (VmHWM) of this (coordinating) process and of every process that ran tasks
    memory: MemoryReport = field(default_factory=lambda: MemoryReport(main_role="client"))
    output: "sh.ShardSet | None" = None
    values: list = field(default_factory=list)

    @property
    def docs_per_s(self) -> float:
        return self.n_documents / self.seconds if self.seconds > 0 else 0.0

    @property
    def worker_peak_rss_mb(self) -> float:
        """Largest peak (MB) of a process that ran tasks (0 when every task ran here)."""
        return self.memory.max_worker_mb or 0.0

    @property
    def client_peak_rss_mb(self) -> float:
        return self.memory.main_peak_mb or 0.0

    def as_dict(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k not in ("output", "values", "memory")}
        out.update(docs_per_s=self.docs_per_s, worker_peak_rss_mb=self.worker_peak_rss_mb,
                   client_peak_rss_mb=self.client_peak_rss_mb,
                   peak_memory=self.memory.as_dict())
        return out

    def line(self) -> str:
        done = (f"{self.n_run} run, {self.n_reused} reused" if self.n_reused
                else f"{self.n_run} run")
        return (f"{self.stage}: {self.n_documents:,} documents in {self.n_shards} shards "
                f"({done}) in {self.seconds:.1f} s, {self.docs_per_s:,.0f} docs/s "
                f"[{self.executor}]" + (f", run {self.run_id}" if self.run_id else "")
                + f"; {self.memory.line()}")


def _stage_run_id(stage: Stage, out_folder: Path, run_id: str | None) -> str | None:
    """Run-keyed stages keep the run id of an interrupted run with the same fingerprint, so
    reused shards and new ones agree."""
    if stage.run_stage is None:
        return None
    from zhengce.common.manifest import new_run_id

    marker = out_folder / STAGE_FILE
    if run_id is None and marker.is_file():
        try:
            previous = json.loads(marker.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            previous = {}
        if previous.get("fingerprint") == stage.fingerprint() and previous.get("run_id"):
            run_id = previous["run_id"]
    run_id = run_id or new_run_id(stage.run_stage)
    out_folder.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"fingerprint": stage.fingerprint(), "run_id": run_id,
                                  "stage": stage.name}, indent=1), encoding="utf-8")
    return run_id


def _reusable(path: Path, stage: Stage, input_sha: str, run_id: str | None) -> dict | None:
    if not path.is_file():
        return None
    meta = sh.read_meta(path)
    if (meta.get("fingerprint") != stage.fingerprint() or meta.get("input_sha256") != input_sha
            or meta.get("run_id") != run_id):
        return None
    import pyarrow.parquet as pq

    return {"index": meta["index"], "file": path.name, "documents": meta["documents"],
            "rows": pq.read_metadata(path).num_rows, "first_doc_id": meta["first_doc_id"],
            "last_doc_id": meta["last_doc_id"], "sha256": sh.sha256_bytes(path.read_bytes()),
            "reused": True}


def run_parallel_stage(stage: Stage, root: str | os.PathLike, *, scheduler: str | None = None,
                       n_jobs: int | None = None, run_id: str | None = None,
                       progress: bool | None = None,
                       executor: LocalExecutor | DaskExecutor | None = None,
                       consume: Callable[[int, Any], None] | None = None) -> StageReport:
    """Run ``stage`` over every input shard under ``root``; write the output shards + manifest.

    Parameters
    ----------
    stage : Stage
        :class:`SegmentStage`, :class:`BowStage`, :class:`InferStage`, :class:`ScoreStage` or
        :class:`DictionaryStage` (its values come back in ``report.values``, in shard order, or
        go to ``consume``).
    root : path
        The shard folder (``root/<input kind>/manifest.json`` must exist).
    scheduler : str or None
        ``None``: local process pool. ``tcp://host:port`` or a scheduler-file path: Dask.
    n_jobs : int or None
        Local processes (default: the cores this process may use); ignored with a scheduler.
    run_id : str or None
        For run-keyed outputs (doc_topics, dictionary_scores): the run id to write (default: the
        previous run's when resuming the same stage, else a new one).
    progress : bool or None
        A progress bar of the shards on stderr (``None``: on a terminal).
    executor : an executor from :func:`zhengce.common.parallel.make_executor` to reuse (not
        closed here).
    consume : callable
        For stages without output shards: called with ``(shard index, value)`` as each task
        finishes (in completion order), instead of keeping every value for ``report.values``.
    """
    root = Path(root)
    source = sh.shard_set(root, stage.input_kind)
    if len(source) == 0:
        raise UserError(f"{source.folder} lists no shards: export some documents first")
    out_folder = root / stage.output_kind if stage.output_kind else None
    run_id = _stage_run_id(stage, out_folder, run_id) if out_folder else None
    started_at = utcnow()
    started = time.perf_counter()
    entries, tasks = _plan_tasks(stage, source, out_folder, run_id)
    own = executor is None
    executor = executor or _stage_executor(scheduler, n_jobs, len(tasks))
    collected = _Collected(stage, consume)
    bar = Progress(stage.name, total=len(source), unit="shard", enabled=progress)
    bar.update(len(entries))
    try:
        for entry in executor.map(partial(run_shard, stage), tasks, ordered=False):
            collected.add(entry)
            bar.update(1, documents=f"{collected.documents + _documents(entries):,}")
    finally:
        bar.close()
        if own:
            executor.close()
    entries = sorted(entries + collected.entries, key=lambda e: e["index"])
    report = StageReport(stage=stage.name, root=str(root), executor=executor.description,
                         n_shards=len(source), n_documents=_documents(entries),
                         n_run=len(tasks), n_reused=len(source) - len(tasks),
                         seconds=time.perf_counter() - started, run_id=run_id,
                         fingerprint=stage.fingerprint(), summary=collected.summary,
                         workers=sorted(collected.workers), memory=collected.memory.finish())
    if out_folder is None:
        report.values = [e.pop("value") for e in entries if "value" in e]
        return report
    keep = ("index", "file", "documents", "rows", "first_doc_id", "last_doc_id", "sha256")
    extra = dict(getattr(stage, "manifest_extra", lambda: {})())
    report.output = sh.write_manifest(
        root, stage.output_kind, [{k: e[k] for k in keep} for e in entries],
        stage=stage.name, fingerprint=stage.fingerprint(), run_id=run_id, params=stage.params(),
        input={"kind": stage.input_kind, "n_documents": source.n_documents,
               "manifest_created_at": source.manifest.get("created_at")},
        started_at=started_at, finished_at=utcnow(), executor=executor.description,
        summary={k: v for k, v in collected.summary.items() if k != "task_seconds"}, **extra)
    log.info(report.line())
    return report


def _documents(entries: list[dict]) -> int:
    return sum(e["documents"] for e in entries)


def _plan_tasks(stage: Stage, source, out_folder: Path | None,
                run_id: str | None) -> tuple[list[dict], list[ShardTask]]:
    """Manifest entries of the output shards that can be reused, and tasks for the others."""
    entries: list[dict] = []
    tasks: list[ShardTask] = []
    for shard in source.shards:
        in_path = source.folder / shard["file"]
        out_path = None
        if out_folder is not None:
            out_path = out_folder / sh.shard_name(shard["index"])
            reused = _reusable(out_path, stage, shard["sha256"], run_id)
            if reused is not None:
                entries.append(reused)
                continue
        tasks.append(ShardTask(index=shard["index"], input_path=str(in_path.resolve()),
                               input_sha256=shard["sha256"],
                               output_path=str(out_path.resolve()) if out_path else None,
                               run_id=run_id))
    return entries, tasks


def _stage_executor(scheduler: str | None, n_jobs: int | None, n_tasks: int):
    """The executor of one stage run: Dask, or local processes (this process for one task)."""
    if scheduler:
        return make_executor(scheduler)
    n_jobs = resolve_jobs(n_jobs)
    executor = make_executor(None, min(n_jobs, max(n_tasks, 1)), what="shard worker",
                             fix="rerun with fewer --jobs")
    # named by the processes asked for, as the manifest always recorded it
    executor.description = f"local, {n_jobs} process{'es' if n_jobs > 1 else ''}"
    return executor


class _Collected:
    """What the finished tasks of a stage returned: entries, summary, workers and memory."""

    def __init__(self, stage: Stage, consume: Callable[[int, Any], None] | None):
        self.stage, self.consume = stage, consume
        self.entries: list[dict] = []
        self.summary: dict = {}
        self.workers: set[str] = set()
        self.memory = MemoryReport(main_role="client")
        self.documents = 0

    def add(self, entry: dict) -> None:
        if self.consume is not None and "value" in entry:
            self.consume(entry["index"], entry.pop("value"))
        self.stage.merge_summary(self.summary, entry.pop("summary", {}))
        self.summary["task_seconds"] = self.summary.get("task_seconds", 0.0) + entry["seconds"]
        self.workers.add(entry["worker"])
        self.memory.add(entry.pop("peak", None))
        self.entries.append(entry)
        self.documents += entry["documents"]


# ---------------------------------------------------------------------------------------------
# Dictionary from token shards; bag-of-words corpus over bow shards
# ---------------------------------------------------------------------------------------------

class VocabularyMerger:
    """Merge per-shard vocabulary statistics, in shard order, into one gensim ``Dictionary``.

    Ids are assigned in order of first appearance over the shards in order — within a document,
    new tokens sorted, as gensim does — so the result equals ``Dictionary(all token lists)`` built
    sequentially (without gensim's pruning above ``prune_at`` words). :meth:`add` takes shards in
    any order and merges each as soon as every earlier shard has arrived, so only out-of-order
    shards wait in memory.
    """

    def __init__(self) -> None:
        self.token2id: dict[str, int] = {}
        self.dfs: dict[int, int] = {}
        self.cfs: dict[int, int] = {}
        self.num_docs = self.num_pos = self.num_nnz = 0
        self._next = 0
        self._waiting: dict[int, dict] = {}

    def add(self, index: int, value: dict) -> None:
        self._waiting[index] = value
        while self._next in self._waiting:
            self._merge(self._waiting.pop(self._next))
            self._next += 1

    def _merge(self, value: dict) -> None:
        token2id, dfs, cfs = self.token2id, self.dfs, self.cfs
        for token, df, cf in zip(value["order"], value["dfs"], value["cfs"]):
            gid = token2id.setdefault(token, len(token2id))
            dfs[gid] = dfs.get(gid, 0) + df
            cfs[gid] = cfs.get(gid, 0) + cf
        self.num_docs += value["num_docs"]
        self.num_pos += value["num_pos"]
        self.num_nnz += value["num_nnz"]

    def dictionary(self):
        from gensim.corpora import Dictionary

        if self._waiting:
            raise RuntimeError(f"shards {sorted(self._waiting)} arrived but shard {self._next} "
                               "never did")
        dictionary = Dictionary()
        dictionary.token2id, dictionary.dfs, dictionary.cfs = self.token2id, self.dfs, self.cfs
        dictionary.id2token = {}
        dictionary.num_docs, dictionary.num_pos, dictionary.num_nnz = (
            self.num_docs, self.num_pos, self.num_nnz)
        return dictionary


def build_dictionary_from_shards(root: str | os.PathLike, *, no_below: int, no_above: float,
                                 keep_n: int | None, keep_tokens: Sequence[str] | None = None,
                                 scheduler: str | None = None, n_jobs: int | None = None,
                                 out: str | os.PathLike | None = None, executor=None):
    """A filtered gensim ``Dictionary`` over the token shards of ``root``: per-shard counts in
    parallel, merged here, then ``filter_extremes`` with every argument explicit (as
    :func:`nlp.text.bow.build_dictionary`). Saved to ``out`` (default ``root/dictionary.gensim``) with
    the report beside it (``.json``). Returns ``(dictionary, report, path)``."""
    from .text.bow import check_filter_args, filter_dictionary

    check_filter_args(no_below, no_above, keep_n)
    merger = VocabularyMerger()
    stage_report = run_parallel_stage(DictionaryStage(), root, scheduler=scheduler,
                                      n_jobs=n_jobs, executor=executor, consume=merger.add)
    dictionary, report = filter_dictionary(merger.dictionary(), no_below=no_below,
                                           no_above=no_above, keep_n=keep_n,
                                           keep_tokens=keep_tokens)
    path = Path(out) if out else Path(root) / "dictionary.gensim"
    path.parent.mkdir(parents=True, exist_ok=True)
    dictionary.save(str(path))
    path.with_suffix(".json").write_text(
        json.dumps({**report.as_dict(), "stage": stage_report.as_dict()}, ensure_ascii=False,
                   indent=1, default=str), encoding="utf-8")
    return dictionary, report, path


class ShardBowCorpus:
    """Restartable bag-of-words stream over ``root/bow`` shards, one shard in memory at a time,
    with ``__len__``: the corpus type gensim (and :mod:`nlp.topics.models`) trains on."""

    def __init__(self, root: str | os.PathLike):
        self.shards = sh.shard_set(root, "bow")

    def __len__(self) -> int:
        return self.shards.n_documents

    def __iter__(self):
        for table in self.shards.iter_tables(["term_ids", "counts"]):
            for ids, counts in zip(table.column("term_ids").to_pylist(),
                                   table.column("counts").to_pylist()):
                yield list(zip(ids, counts))

    def doc_ids(self) -> list[str]:
        out: list[str] = []
        for table in self.shards.iter_tables(["doc_id"]):
            out.extend(table.column("doc_id").to_pylist())
        return out


def train_from_shards(root: str | os.PathLike, model, dictionary_path: str | os.PathLike | None = None,
                      out: str | os.PathLike | None = None):
    """Fit ``model`` (an :mod:`nlp.topics.models` estimator) on the bow shards of ``root``, streaming;
    save it to ``out`` when given. The dictionary defaults to the one the bow shards were made with.
    (The model of ``make topics`` with its config, sample and covariates:
    :func:`zhengce.nlp.shard_dmr.train_topics_from_shards`.)"""
    from .shard_dmr import bow_dictionary

    dictionary, _ = bow_dictionary(root, dictionary_path)
    model.fit(ShardBowCorpus(root), dictionary)
    if out is not None:
        model.save(out)
    return model
