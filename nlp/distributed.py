"""One code path for the embarrassingly parallel stages: a local process pool or a Dask cluster.

Every stage reads input shards of one kind and writes result shards of another (see
:mod:`corpus.shards` for the folder layout); each shard is one task, independent of every other:

==============  =============  ==================  =============================================
stage           input shards   output shards       what a task does
==============  =============  ==================  =============================================
``segment``     documents      tokens              normalise + segment + filter (the token cache
                                                   rows of :func:`nlp.segment.segment_corpus`)
``dictionary``  tokens         (returned)          per-shard vocabulary and document frequencies,
                                                   merged here into a gensim ``Dictionary``
``bow``         tokens         bow                 ``dictionary.doc2bow`` of every document
``infer``       tokens         doc_topics          θ_d of a saved gensim LDA model (E-step)
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
(It therefore differs from :meth:`nlp.models.LdaTopicModel.transform`, which draws every start
from one stream, by the random start only; both iterate the same E-step to gensim's tolerance.)

Topic *training* is not here: online LDA is a sequence of updates, each depending on the previous
one. It stays streaming on one machine (:class:`ShardBowCorpus` feeds gensim the bow shards one at
a time; see docs/scaling.md for how far that goes).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from zhengce.corpus import shards as sh
from zhengce.common.errors import UserError
from zhengce.common.parallel import (DaskExecutor, LocalExecutor, make_executor,  # noqa: F401
                                     resolve_jobs)
from zhengce.common.progress import Progress
from zhengce.corpus.store import utcnow

log = logging.getLogger(__name__)

STAGE_FILE = "stage.json"


# ---------------------------------------------------------------------------------------------
# Stages
# ---------------------------------------------------------------------------------------------

def _hash_json(value: Any) -> str:
    blob = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def folder_hash(path: str | os.PathLike) -> str:
    """SHA-256 over the relative names and contents of every file under ``path`` (a saved model)."""
    from zhengce.common.manifest import input_hash

    path = Path(path)
    if not path.exists():
        raise UserError(f"{path} does not exist; pass the folder given to model.save()")
    return input_hash(path)


# Kept importable from here: the benchmark drivers and older scripts read it from this module.
from zhengce.common.memory import MemoryReport, peak_rss_mb, process_peak  # noqa: E402


def document_seed(random_state: int, doc_id: str) -> int:
    """The seed of document ``doc_id``'s variational start: 32 bits of
    SHA-256(``random_state`` ``\\x1f`` ``doc_id``)."""
    digest = hashlib.sha256(f"{int(random_state)}\x1f{doc_id}".encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "little")


class Stage:
    """One parallel stage. Subclasses are small picklable parameter holders: the client sends
    them to the workers, where :meth:`setup` builds the heavy state once per process."""

    name = ""
    input_kind = "tokens"
    output_kind: str | None = None
    #: run-keyed output (doc_topics, dictionary_scores) gets a run id; its runs-table stage name
    run_stage: str | None = None

    def fingerprint(self) -> str:
        """Hash of everything that determines the output of a task given its input shard."""
        raise NotImplementedError

    def params(self) -> dict:
        """Parameters recorded in the output manifest (and the imported run)."""
        raise NotImplementedError

    def setup(self) -> Any:
        """Worker-side state (segmenter, model …), built once per worker process and thread."""
        raise NotImplementedError

    def process(self, state: Any, table, run_id: str | None) -> tuple[Any, dict]:
        """Turn one input table into ``(output table or value, summary dict)``."""
        raise NotImplementedError

    def merge_summary(self, total: dict, part: dict) -> None:
        """Fold one task's summary into the stage total (counters by default)."""
        for key, value in part.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                total[key] = total.get(key, 0) + value
            elif isinstance(value, dict):
                sub = total.setdefault(key, {})
                for k, v in value.items():
                    sub[k] = sub.get(k, 0) + v


class SegmentStage(Stage):
    """Normalise + segment documents into token rows, exactly as the store's token cache does.

    Parameters
    ----------
    normalizer, segmenter : nlp.normalize.Normalizer, nlp.segment.Segmenter
        Default ``Normalizer()`` / ``Segmenter()``. Only their constructor parameters travel to
        the workers, which rebuild them and refuse to run if their configuration hash (backend
        version, dictionary file hashes …) differs from this process's.
    """

    name = "segment"
    input_kind = "documents"
    output_kind = "tokens"

    def __init__(self, normalizer=None, segmenter=None):
        from .normalize import Normalizer
        from .segment import Segmenter, token_config_hash

        normalizer = normalizer if normalizer is not None else Normalizer()
        segmenter = segmenter if segmenter is not None else Segmenter()
        self.normalizer_params = normalizer.params()
        self.segmenter_params = segmenter.params()
        self.config_hash = token_config_hash(normalizer, segmenter)
        self.segmenter_config = {
            "normalizer": {"config": normalizer.config(), "params": normalizer.params()},
            "segmenter": {"config": segmenter.config(), "params": segmenter.params()}}

    def fingerprint(self) -> str:
        return self.config_hash

    def params(self) -> dict:
        return {"config_hash": self.config_hash}

    def manifest_extra(self) -> dict:
        return {"config_hash": self.config_hash, "segmenter_config": self.segmenter_config}

    def setup(self):
        from .normalize import Normalizer
        from .segment import Segmenter, token_config_hash

        normalizer = Normalizer(**self.normalizer_params)
        segmenter = Segmenter(**self.segmenter_params)
        got = token_config_hash(normalizer, segmenter)
        if got != self.config_hash:
            raise UserError(f"worker {socket.gethostname()}:{os.getpid()} builds token config {got}, "
                            f"the client {self.config_hash}: install the same zhengce version, "
                            "backend and dictionary files on every worker")
        segmenter.engine  # load the dictionary before timing the first shard
        return normalizer, segmenter

    def process(self, state, table, run_id):
        import pyarrow as pa

        from .segment import _segment_batch

        normalizer, segmenter = state
        batch = list(zip(table.column("doc_id").to_pylist(), table.column("text").to_pylist()))
        rows, n_bytes, removed = _segment_batch(batch, self.config_hash, normalizer, segmenter)
        out = pa.Table.from_pylist(rows, schema=sh.schema("tokens"))
        return out, {"bytes": n_bytes, "tokens": int(sum(r["n_tokens"] for r in rows)),
                     "removed": dict(removed)}


class DictionaryStage(Stage):
    """Per-shard vocabulary statistics, merged by :func:`build_dictionary_from_shards`."""

    name = "dictionary"
    output_kind = None

    def fingerprint(self) -> str:
        return "dictionary-counts-v1"

    def params(self) -> dict:
        return {}

    def setup(self):
        return None

    def process(self, state, table, run_id):
        from .bow import count_dictionary

        # prune_at=None: exact counts (gensim's default prunes above 2M words, order-dependently)
        local = count_dictionary((t.split(" ") if t else [] for t in table.column("tokens").to_pylist()),
                                 prune_at=None)
        order = [None] * len(local.token2id)
        for token, i in local.token2id.items():
            order[i] = token
        value = {"order": order, "dfs": [local.dfs.get(i, 0) for i in range(len(order))],
                 "cfs": [local.cfs.get(i, 0) for i in range(len(order))],
                 "num_docs": local.num_docs, "num_pos": local.num_pos, "num_nnz": local.num_nnz}
        return value, {"tokens": local.num_pos}


class BowStage(Stage):
    """Bag of words of every document with a saved gensim ``Dictionary`` (``dictionary.save``)."""

    name = "bow"
    output_kind = "bow"

    def __init__(self, dictionary_path: str | os.PathLike):
        from .bow import dictionary_hash

        self.dictionary_path = str(Path(dictionary_path).resolve())
        self.dictionary_hash = dictionary_hash(_load_dictionary(self.dictionary_path))

    def fingerprint(self) -> str:
        return self.dictionary_hash[:16]

    def params(self) -> dict:
        return {"dictionary": self.dictionary_path, "dictionary_hash": self.dictionary_hash}

    def setup(self):
        from .bow import dictionary_hash

        dictionary = _load_dictionary(self.dictionary_path)
        if dictionary_hash(dictionary) != self.dictionary_hash:
            raise UserError(f"{self.dictionary_path} on worker {socket.gethostname()} differs from "
                            "the client's copy; give every worker the same dictionary file")
        return dictionary

    def process(self, dictionary, table, run_id):
        import pyarrow as pa

        from .bow import doc2bow

        ids, counts, n_words = [], [], 0
        for tokens in table.column("tokens").to_pylist():
            bow = doc2bow(dictionary.token2id, tokens.split(" ") if tokens else [])
            ids.append([i for i, _ in bow])
            counts.append([c for _, c in bow])
            n_words += sum(c for _, c in bow)
        out = pa.Table.from_arrays([table.column("doc_id"), pa.array(ids, pa.list_(pa.int32())),
                                    pa.array(counts, pa.list_(pa.int32()))],
                                   schema=sh.schema("bow"))
        return out, {"words": n_words}


class InferStage(Stage):
    """Document-topic shares θ_d of a saved gensim LDA model (LdaTopicModel or SeededLdaModel).

    ``random_state`` (default: the model's own) seeds every document's variational start through
    :func:`document_seed`; the E-step is gensim's ``LdaModel.inference`` with the model's
    ``iterations`` and tolerance, and θ_d = γ_d / Σ_k γ_dk in float64 as in ``transform``.
    Tokens the model's vocabulary does not know are ignored (as ``doc2bow`` does); a document with
    none gets the prior mean.
    """

    name = "infer"
    output_kind = "doc_topics"
    run_stage = "topics_infer"

    def __init__(self, model_path: str | os.PathLike, random_state: int | None = None):
        from .models import load_model

        self.model_path = str(Path(model_path).resolve())
        model = load_model(self.model_path)
        _check_gensim_model(model, self.model_path)
        self.model_class = type(model).__name__
        self.n_topics = int(model.n_topics_)
        self.random_state = int(model.random_state if random_state is None else random_state)
        self.model_hash = folder_hash(self.model_path)

    def fingerprint(self) -> str:
        return _hash_json({"model": self.model_hash, "random_state": self.random_state,
                           "seeding": "document_seed-v1"})

    def params(self) -> dict:
        return {"model": self.model_path, "model_hash": self.model_hash,
                "model_class": self.model_class, "n_topics": self.n_topics,
                "random_state": self.random_state,
                "seeding": "per document: RandomState(sha256(random_state \\x1f doc_id)[:4])"}

    def setup(self):
        from .models import load_model

        if folder_hash(self.model_path) != self.model_hash:
            raise UserError(f"the model at {self.model_path} on worker {socket.gethostname()} "
                            "differs from the client's; give every worker the same model folder")
        model = load_model(self.model_path)
        token2id = {token: i for i, token in enumerate(model.vocabulary_)}
        return model.model_, token2id

    def process(self, state, table, run_id):
        import pyarrow as pa

        from .models import normalize_rows

        lda, token2id = state
        doc_ids = table.column("doc_id").to_pylist()
        gamma = np.empty((len(doc_ids), lda.num_topics), dtype=np.float64)
        n_words = 0
        for d, (doc_id, tokens) in enumerate(zip(doc_ids, table.column("tokens").to_pylist())):
            counts = Counter(token2id[t] for t in (tokens.split(" ") if tokens else [])
                             if t in token2id)
            bow = sorted(counts.items())
            n_words += sum(counts.values())
            lda.random_state = np.random.RandomState(document_seed(self.random_state, doc_id))
            gamma_d, _ = lda.inference([bow])
            gamma[d] = gamma_d[0]
        theta = normalize_rows(gamma, "doc_topics") if len(doc_ids) else gamma
        k = lda.num_topics
        out = pa.Table.from_arrays(
            [pa.array([run_id] * (len(doc_ids) * k), pa.string()),
             pa.array(np.repeat(np.array(doc_ids, dtype=object), k), pa.string()),
             pa.array(np.tile(np.arange(k, dtype=np.int32), len(doc_ids)), pa.int32()),
             pa.array(theta.ravel(), pa.float64())], schema=sh.schema("doc_topics"))
        return out, {"words": n_words}


class ScoreStage(Stage):
    """The scheme's dictionary measure (:func:`nlp.scheme.score_tokens`) of every document."""

    name = "score"
    output_kind = "dictionary_scores"
    run_stage = "dictionary_scores"

    def __init__(self, scheme_path: str | os.PathLike | None = None):
        from .scheme import DEFAULT_SCHEME, load_scheme

        self.scheme_path = str(Path(scheme_path or DEFAULT_SCHEME).resolve())
        scheme = load_scheme(self.scheme_path)
        self.scheme_name = scheme.name
        self.scheme_hash = scheme.hash

    def fingerprint(self) -> str:
        return self.scheme_hash

    def params(self) -> dict:
        return {"scheme": self.scheme_name, "scheme_hash": self.scheme_hash,
                "scheme_file": self.scheme_path}

    def setup(self):
        from .scheme import load_scheme

        scheme = load_scheme(self.scheme_path)
        if scheme.hash != self.scheme_hash:
            raise UserError(f"the scheme {self.scheme_path} on worker {socket.gethostname()} "
                            "differs from the client's; give every worker the same scheme file")
        return scheme

    def process(self, scheme, table, run_id):
        import pyarrow as pa

        from .scheme import score_tokens

        rows = []
        for doc_id, tokens in zip(table.column("doc_id").to_pylist(),
                                  table.column("tokens").to_pylist()):
            for category, score in score_tokens(tokens.split(" ") if tokens else [], scheme).items():
                rows.append({"run_id": run_id, "doc_id": doc_id, "category": category, **score})
        return pa.Table.from_pylist(rows, schema=sh.schema("dictionary_scores")), {}


def _load_dictionary(path: str):
    from gensim.corpora import Dictionary

    if not Path(path).is_file():
        raise UserError(f"no dictionary at {path}: build one with zhengce shards dictionary DIR "
                        "(or gensim Dictionary.save)")
    try:
        return Dictionary.load(path)
    except Exception as exc:  # gensim raises pickle / attribute errors for foreign files
        raise UserError(f"{path} is not a saved gensim Dictionary ({type(exc).__name__}: {exc})") from None


def _check_gensim_model(model, path: str) -> None:
    from .models import LdaTopicModel

    if not isinstance(model, LdaTopicModel):
        raise UserError(f"{path} holds a {type(model).__name__}; shard inference supports the "
                        "gensim models (LdaTopicModel, SeededLdaModel). SeededDmrModel needs each "
                        "document's covariates: use model.transform on the store instead")


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


def merge_vocabularies(values: Sequence[dict]):
    """:class:`VocabularyMerger` over per-shard values given in shard order."""
    merger = VocabularyMerger()
    for index, value in enumerate(values):
        merger.add(index, value)
    return merger.dictionary()


def build_dictionary_from_shards(root: str | os.PathLike, *, no_below: int, no_above: float,
                                 keep_n: int | None, keep_tokens: Sequence[str] | None = None,
                                 scheduler: str | None = None, n_jobs: int | None = None,
                                 out: str | os.PathLike | None = None, executor=None):
    """A filtered gensim ``Dictionary`` over the token shards of ``root``: per-shard counts in
    parallel, merged here, then ``filter_extremes`` with every argument explicit (as
    :func:`nlp.bow.build_dictionary`). Saved to ``out`` (default ``root/dictionary.gensim``) with
    the report beside it (``.json``). Returns ``(dictionary, report, path)``."""
    from .bow import DictionaryReport, dictionary_hash

    if not isinstance(no_below, int) or no_below < 1:
        raise UserError(f"no_below must be an integer >= 1 (documents), got {no_below!r}")
    if not isinstance(no_above, (int, float)) or not 0 < no_above <= 1:
        raise UserError(f"no_above must be a fraction in (0, 1], got {no_above!r}")
    if keep_n is not None and (not isinstance(keep_n, int) or keep_n < 1):
        raise UserError(f"keep_n must be a positive integer or None (no cap), got {keep_n!r}")
    merger = VocabularyMerger()
    stage_report = run_parallel_stage(DictionaryStage(), root, scheduler=scheduler,
                                      n_jobs=n_jobs, executor=executor, consume=merger.add)
    dictionary = merger.dictionary()
    before = len(dictionary)
    keep = list(dict.fromkeys(keep_tokens or []))
    missing = [t for t in keep if t not in dictionary.token2id]
    dictionary.filter_extremes(no_below=no_below, no_above=float(no_above), keep_n=keep_n,
                               keep_tokens=keep or None)
    dictionary.compactify()
    report = DictionaryReport(n_documents=dictionary.num_docs, vocab_before=before,
                              vocab_after=len(dictionary), no_below=no_below,
                              no_above=float(no_above), keep_n=keep_n, keep_tokens=keep,
                              missing_keep_tokens=missing,
                              dictionary_hash=dictionary_hash(dictionary))
    if report.vocab_after == 0:
        raise UserError(f"filter_extremes(no_below={no_below}, no_above={no_above}, keep_n={keep_n}) "
                        f"removed the whole vocabulary of {before:,} tokens; lower no_below or "
                        "raise no_above")
    path = Path(out) if out else Path(root) / "dictionary.gensim"
    path.parent.mkdir(parents=True, exist_ok=True)
    dictionary.save(str(path))
    path.with_suffix(".json").write_text(
        json.dumps({**report.as_dict(), "stage": stage_report.as_dict()}, ensure_ascii=False,
                   indent=1, default=str), encoding="utf-8")
    return dictionary, report, path


class ShardBowCorpus:
    """Restartable bag-of-words stream over ``root/bow`` shards, one shard in memory at a time,
    with ``__len__``: the corpus type gensim (and :mod:`nlp.models`) trains on."""

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
    """Fit ``model`` (an :mod:`nlp.models` estimator) on the bow shards of ``root``, streaming;
    save it to ``out`` when given. The dictionary defaults to the one the bow shards were made with."""
    bow = sh.shard_set(root, "bow")
    path = dictionary_path or bow.manifest.get("params", {}).get("dictionary")
    if not path:
        raise UserError(f"{bow.folder} does not name its dictionary: pass dictionary_path")
    dictionary = _load_dictionary(str(path))
    from .bow import dictionary_hash

    expected = bow.manifest.get("params", {}).get("dictionary_hash")
    if expected and dictionary_hash(dictionary) != expected:
        raise UserError(f"{path} is not the dictionary the bow shards in {bow.folder} were made "
                        "with; re-run zhengce shards bow with it")
    model.fit(ShardBowCorpus(root), dictionary)
    if out is not None:
        model.save(out)
    return model
