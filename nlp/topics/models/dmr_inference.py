"""θ of documents under a fitted DMR sampler (tomotopy ``infer``), and the fit's progress lines.

Two ways, chosen by the model's ``infer_batch``:

- ``infer_batch`` = 1: each document on its own, ``n_jobs`` tomotopy threads; the result
  depends neither on the batch nor on the number of threads (tested).
- ``infer_batch`` = B > 1: runs of B consecutive documents sampled jointly on one thread each,
  the runs spread over ``n_jobs`` forked worker processes of the one executor
  (:class:`zhengce.common.parallel.LocalExecutor`); a run's θ depends only on the run (tested).
"""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

from zhengce.common.parallel import LocalExecutor, WorkerDied, fork_available
from zhengce.common.progress import Progress

from .validation import batched

#: seconds between two progress lines of a fit step (tests set 0 to see every update)
PROGRESS_EVERY_S = 2.0


def fit_progress(say: Callable[[str], None] | None, label: str, unit: str,
                 total: int) -> Progress:
    """Progress lines of a long fit step through ``say`` (the topics stage's ``progress``):
    count, rate and time left, at most one every :data:`PROGRESS_EVERY_S` seconds and always
    the last. Quiet when ``say`` is None."""
    return Progress(label, total=total, unit=unit, enabled=False, echo=say,
                    every=PROGRESS_EVERY_S, echo_final=True)


def joint_infer(model, run: list) -> tuple[list[int], np.ndarray]:
    """θ of one run of (d, words, metadata kwargs) under a fitted :class:`SeededDmrModel`,
    sampled jointly on one thread."""
    tm = model.model_
    docs = [tm.make_doc(words, **kwargs) for _, words, kwargs in run]
    result, _ = tm.infer(docs, iterations=int(model.infer_iterations), workers=1, together=True)
    return [d for d, _, _ in run], np.asarray(result, dtype=np.float64)


_JOINT_INFER_MODEL = None   # the fitted SeededDmrModel, set once in each forked worker process


def joint_infer_init(model) -> None:
    global _JOINT_INFER_MODEL
    _JOINT_INFER_MODEL = model


def joint_infer_run(run: list) -> tuple[list[int], np.ndarray, dict]:
    """In a worker process: :func:`joint_infer` of one run plus this worker's peak memory."""
    from zhengce.common.memory import process_peak

    ds, rows = joint_infer(_JOINT_INFER_MODEL, run)
    return ds, rows, process_peak("infer worker")


def infer_into(model, theta: np.ndarray, items: Iterable, cells, features,
               numerics, n_jobs: int, batch_size: int = 2000,
               progress: Progress | None = None) -> set[int]:
    """Write θ_d into ``theta`` for each (d, words) of ``items`` under ``model`` (a fitted
    :class:`SeededDmrModel`); words the model never saw are dropped, and a document left with
    none is skipped (the caller gives it the prior mean). Returns the d's done; ``model.infer_worker_peaks_`` gets the workers' peak memory."""
    documents = held_out_documents(model, items, cells, features, numerics)
    done: set[int] = set()
    if int(model.infer_batch) == 1:
        _infer_one_by_one(model, theta, documents, n_jobs, batch_size, done, progress)
    else:
        _infer_joint_runs(model, theta, batched(documents, int(model.infer_batch)), n_jobs,
                          done, progress)
    return done


def held_out_documents(model, items: Iterable, cells, features, numerics) -> Iterable:
    """(d, words, metadata kwargs) of each (d, words) of ``items`` that keeps at least one word
    the fitted sampler knows (the others are dropped). The store path cuts this sequence, in
    corpus order, into joint runs of ``infer_batch``; the shard path
    (:mod:`zhengce.nlp.shard_dmr`) numbers it over all shards and cuts the same runs."""
    known = set(model.model_.used_vocabs)
    for d, words in items:
        words = [w for w in words if w in known]
        if words:
            yield d, words, model._doc_kwargs(d, cells, features, numerics)


def _infer_one_by_one(model, theta, documents, n_jobs: int, batch_size: int, done: set[int],
                      progress: Progress | None) -> None:
    tm = model.model_
    for batch in batched(documents, batch_size):
        result, _ = tm.infer([tm.make_doc(words, **kwargs) for _, words, kwargs in batch],
                             iterations=int(model.infer_iterations), workers=n_jobs)
        positions = [d for d, _, _ in batch]
        theta[positions] = np.asarray(result, dtype=np.float64)
        done.update(positions)
        if progress is not None:
            progress.set_done(len(done))


def _infer_joint_runs(model, theta, runs, n_jobs: int, done: set[int],
                      progress: Progress | None) -> None:
    # the fitted sampler cannot be pickled for a spawned process: without fork (Windows) the
    # runs are inferred here, one after another (the same θ, see the module docstring)
    if n_jobs > 1 and not fork_available():
        n_jobs = 1
    peaks: dict[int, dict] = {}
    if n_jobs == 1:
        results = ((*joint_infer(model, run), None) for run in runs)
        executor = None
    else:
        # forked, so each process has the fitted sampler without pickling it; at most two runs
        # per process in flight (the executor's window), so a streamed corpus is never held whole
        executor = LocalExecutor(n_jobs, initializer=joint_infer_init, initargs=(model,),
                                 start_method="fork", what="inference worker",
                                 fix="rerun with fewer n_jobs or n_jobs=1")
        results = executor.map(joint_infer_run, runs)
    try:
        for ds, rows, peak in results:
            theta[ds] = rows
            done.update(ds)
            if peak is not None:
                peaks[peak["pid"]] = peak   # VmHWM only rises: the last report is the peak
            if progress is not None:
                progress.set_done(len(done))
    except WorkerDied:
        raise WorkerDied(f"an inference worker process died (out of memory?) after "
                         f"{len(done):,} documents: rerun with fewer n_jobs or n_jobs=1") from None
    finally:
        if executor is not None:
            executor.close()
    model.infer_worker_peaks_ = list(peaks.values())
