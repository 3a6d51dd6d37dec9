"""The one parallel executor: ingest tagging, segmentation, DMR inference and the shard stages.

Every stage that spreads work over processes does it through :func:`make_executor`:

- :class:`LocalExecutor` — ``n_jobs`` local processes (``concurrent.futures``), or this process
  when ``n_jobs == 1``; an ``initializer`` prepares each worker once (a segmenter, a fitted
  model inherited through ``fork``);
- :class:`DaskExecutor` — tasks on a ``dask.distributed`` cluster (``--scheduler``).

Both offer :meth:`~LocalExecutor.map`: results come back in input order (``ordered=True``, what
a single writer needs) or as they finish, with at most ``max_in_flight`` tasks submitted and
not yet consumed, so a streamed corpus is never held whole. A worker process that dies (out of
memory, killed) is a one-line :class:`WorkerDied` naming the fix, never a hang. Workers die
with their parent: on Linux each asks the kernel for SIGKILL when the process that started it
ends (``PR_SET_PDEATHSIG``), so a ``kill -9`` of a parallel load leaves no orphan behind.

Worker counts are spelled ``n_jobs`` (``--jobs`` on the command line) everywhere; ``None`` means
every core this process may use.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .errors import UserError


class WorkerDied(UserError):
    """A worker process ended without returning its task (out of memory, killed)."""


def available_cores() -> int:
    """Cores this process may run on (the affinity mask in containers), else ``os.cpu_count()``."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def resolve_jobs(n_jobs: int | None) -> int:
    """``n_jobs`` checked: ``None`` -> every available core; otherwise a positive integer."""
    if n_jobs is None:
        return available_cores()
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise UserError(f"n_jobs must be a positive whole number or None (all cores), got {n_jobs!r}")
    return n_jobs


_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """In a worker: be SIGKILLed when the parent process ends (Linux; elsewhere a no-op), and
    exit now if it has already ended (the race between fork and this call)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no usable libc: the pool's own checks remain
            pass
    if os.getppid() != parent_pid:
        os._exit(1)


def _start_worker(parent_pid: int, initializer: Callable | None, initargs: tuple) -> None:
    die_with_parent(parent_pid)
    if initializer is not None:
        initializer(*initargs)


def fork_available() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class LocalExecutor:
    """``n_jobs`` local worker processes; ``n_jobs == 1`` runs every task in this process.

    ``initializer(*initargs)`` runs once in each worker (and once here when ``n_jobs == 1``).
    ``start_method`` is ``"fork"`` for workers that must inherit unpicklable state (a fitted
    tomotopy sampler); ``None`` takes the platform default. ``what`` names the workers in the
    error raised when one dies, and ``fix`` says what to do about it.
    """

    def __init__(self, n_jobs: int | None = None, *, initializer: Callable | None = None,
                 initargs: tuple = (), start_method: str | None = None,
                 what: str = "worker", fix: str = "rerun with fewer --jobs"):
        self.n_jobs = resolve_jobs(n_jobs)
        self.initializer = initializer
        self.initargs = initargs
        self.start_method = start_method
        self.what = what
        self.fix = fix
        self.description = f"local, {self.n_jobs} process{'es' if self.n_jobs > 1 else ''}"
        self._pool: ProcessPoolExecutor | None = None
        self._initialized_here = False

    @property
    def in_process(self) -> bool:
        return self.n_jobs == 1

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context(self.start_method) if self.start_method else None
            self._pool = ProcessPoolExecutor(
                self.n_jobs, mp_context=context, initializer=_start_worker,
                initargs=(os.getpid(), self.initializer, self.initargs))
        return self._pool

    def map(self, fn: Callable, items: Iterable, *, ordered: bool = True,
            max_in_flight: int | None = None) -> Iterator[Any]:
        """``fn(item)`` for every item, in input order (``ordered``) or as finished.

        Items are drawn from ``items`` lazily: at most ``max_in_flight`` (default
        ``2 * n_jobs``) are submitted and not yet yielded.
        """
        if self.in_process:
            if self.initializer is not None and not self._initialized_here:
                self.initializer(*self.initargs)
                self._initialized_here = True
            for item in items:
                yield fn(item)
            return
        window = max_in_flight or 2 * self.n_jobs
        pool = self._ensure_pool()
        pending: deque = deque()
        done_so_far = 0
        try:
            for item in items:
                pending.append(pool.submit(fn, item))
                while len(pending) >= window:
                    result, pending = _next_result(pending, ordered)
                    done_so_far += 1
                    yield result
            while pending:
                result, pending = _next_result(pending, ordered)
                done_so_far += 1
                yield result
        except BrokenProcessPool:
            self._pool = None
            raise WorkerDied(f"one of the {self.what} processes died (out of memory or killed) after "
                             f"{done_so_far:,} task(s): {self.fix}") from None
        except BaseException:
            for future in pending:
                future.cancel()
            raise

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> "LocalExecutor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _next_result(pending: deque, ordered: bool) -> tuple[Any, deque]:
    """The next result: the oldest future's, or whichever finishes first."""
    if ordered:
        return pending.popleft().result(), pending
    finished, _ = wait(pending, return_when=FIRST_COMPLETED)
    future = next(f for f in pending if f in finished)
    pending.remove(future)
    return future.result(), pending


class DaskExecutor:
    """Tasks submitted to a ``dask.distributed`` scheduler (an address or a scheduler file)."""

    def __init__(self, scheduler: str | os.PathLike, *, timeout: float = 30, what: str = "task"):
        scheduler = str(scheduler)
        try:
            from distributed import Client
        except ImportError:
            raise UserError("--scheduler needs dask.distributed: pip install 'zhengce[scale]' "
                            "(or dask distributed)") from None
        kwargs: dict = {"timeout": timeout}
        if "://" not in scheduler and Path(scheduler).is_file():
            kwargs["scheduler_file"] = scheduler
        else:
            kwargs["address"] = scheduler
        try:
            self.client = Client(**kwargs)
        except (OSError, TimeoutError) as exc:
            raise UserError(f"cannot reach the Dask scheduler {scheduler} ({exc}); start it with "
                            "`dask scheduler` and pass its tcp://host:port (docs/scaling.md)") from None
        workers = self.client.scheduler_info().get("workers", {})
        if not workers:
            try:
                self.client.wait_for_workers(1, timeout=timeout)
            except TimeoutError:
                self.client.close()
                raise UserError(f"the Dask scheduler {scheduler} has no workers after {timeout:.0f} s; "
                                "start some with `dask worker " + scheduler + "`") from None
            workers = self.client.scheduler_info().get("workers", {})
        self.n_jobs = len(workers)
        self.what = what
        self.description = f"dask {scheduler}, {self.n_jobs} worker(s)"

    in_process = False

    def map(self, fn: Callable, items: Iterable, *, ordered: bool = True,
            max_in_flight: int | None = None, key_prefix: str = "zhengce") -> Iterator[Any]:
        """As :meth:`LocalExecutor.map`, on the cluster (each task a fresh key)."""
        from distributed import as_completed as dask_as_completed

        token = hashlib.sha256(f"{time.time_ns()}-{os.getpid()}".encode()).hexdigest()[:8]
        window = max_in_flight or 2 * max(self.n_jobs, 1)
        pending: deque = deque()
        completed = dask_as_completed()
        try:
            for index, item in enumerate(items):
                future = self.client.submit(fn, item, pure=False,
                                            key=f"{key_prefix}-{token}-{index:06d}")
                pending.append(future)
                completed.add(future)
                while len(pending) >= window:
                    yield self._take(pending, completed, ordered)
            while pending:
                yield self._take(pending, completed, ordered)
        except BaseException:
            self.client.cancel(list(pending))
            raise

    @staticmethod
    def _take(pending: deque, completed, ordered: bool):
        if ordered:
            return pending.popleft().result()
        future = next(completed)
        pending.remove(future)
        return future.result()

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "DaskExecutor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def make_executor(scheduler: str | os.PathLike | None = None, n_jobs: int | None = None, *,
                  timeout: float = 30, **local_options: Any) -> LocalExecutor | DaskExecutor:
    """A Dask client when ``scheduler`` is given (connecting within ``timeout`` seconds), else a
    :class:`LocalExecutor` of ``n_jobs`` processes with ``local_options``."""
    if scheduler:
        return DaskExecutor(scheduler, timeout=timeout)
    return LocalExecutor(n_jobs, **local_options)
