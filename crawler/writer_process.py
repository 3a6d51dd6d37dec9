"""The crawl's writer in its own process: the crawl parses, the writer process tags and stores.

A local crawl starts one :class:`WriterProcess` per database (shared by every spider of the
crawl): the storage pipeline sends it batches of items through a queue, it runs the
:class:`crawler.writer.StoreWriter` (tagging through :mod:`corpus.ingest`, then the writes) and
acknowledges every batch with its counters. So the crawl's two CPU-heavy halves — Scrapy and
parsing on one side, tagging and SQLite on the other — run on two cores, and there is still
exactly one writer.

The writer process dies with its parent (``PR_SET_PDEATHSIG`` on Linux, a parent check
elsewhere): killing a crawl kills its writer, and what it had not committed is fetched again by
the next run (see :mod:`crawler.state`).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import sys
import time
from typing import Any

QUEUE_POLL_SECONDS = 0.5


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass


def _writer_main(db_path: str, options: dict, inbox, outbox, parent_pid: int) -> None:
    """The writer process: items in, acknowledgements (with counters) out."""
    _die_with_parent()
    from .writer import StoreWriter

    writer = StoreWriter(db_path, batch_size=options["batch_size"], tag_jobs=0,
                         params=options["params"]).open()
    outbox.put(("opened", writer.run.run_id))
    try:
        while True:
            try:
                message = inbox.get(timeout=QUEUE_POLL_SECONDS)
            except queue.Empty:
                if os.getppid() != parent_pid:
                    return  # the crawl is gone: stop without finishing its run
                continue
            kind = message[0]
            if kind == "items":
                for item in message[1]:
                    writer.add(item)
                if len(writer.pending) >= writer.batch_size or inbox.empty():
                    writer.flush()
                outbox.put(("ack", len(message[1]), _counts(writer)))
            elif kind == "close":
                writer.crawl_stats.update(message[1])
                if len(message) > 2:
                    writer.memory.add(message[2])   # the crawl process's peak
                writer.flush()
                summary = writer.summary()
                run_id = writer.run.run_id
                writer.close(summary)
                outbox.put(("closed", run_id, summary))
                return
    except BaseException as exc:
        outbox.put(("error", f"{type(exc).__name__}: {exc}"))
        writer.close(error=exc)
        raise


def _counts(writer) -> dict[str, dict]:
    return {site: dict(c.__dict__) for site, c in writer.counts.items()}


class WriterProcess:
    """Parent side: send batches, read acknowledgements, close."""

    def __init__(self, db_path: str, *, batch_size: int = 32, params: dict | None = None):
        self.db_path = db_path
        self.batch_size = batch_size
        self.params = dict(params or {})
        ctx = multiprocessing.get_context("spawn")   # the crawl process runs threads: no fork
        self.inbox = ctx.Queue()
        self.outbox = ctx.Queue()
        self.process = ctx.Process(
            target=_writer_main, name="zhengce-writer", daemon=True,
            args=(db_path, {"batch_size": batch_size, "params": self.params}, self.inbox,
                  self.outbox, os.getpid()))
        self.sent = 0
        self.acked = 0
        self.counts: dict[str, dict] = {}
        self.run_id: str | None = None
        self.summary: dict | None = None
        self.users = 0
        self.crawl_stats: dict[str, dict] = {}

    def start(self) -> "WriterProcess":
        self.process.start()
        return self

    def send(self, items: list[Any]) -> None:
        if items:
            self.check()
            self.inbox.put(("items", items))
            self.sent += len(items)

    def poll(self) -> None:
        """Read the acknowledgements that arrived (never blocks)."""
        while True:
            try:
                message = self.outbox.get_nowait()
            except queue.Empty:
                return
            self._handle(message)

    def _handle(self, message) -> None:
        kind = message[0]
        if kind == "opened":
            self.run_id = message[1]
        elif kind == "ack":
            self.acked += message[1]
            self.counts = message[2]
        elif kind == "closed":
            self.run_id, self.summary = message[1], message[2]
        elif kind == "error":
            raise RuntimeError(f"the crawl's writer process failed: {message[1]}")

    def check(self) -> None:
        if not self.process.is_alive() and self.summary is None:
            self.poll()
            raise RuntimeError(f"the crawl's writer process exited ({self.process.exitcode}); "
                               "see the log above")

    @property
    def in_flight(self) -> int:
        return self.sent - self.acked

    def close(self, timeout: float = 600.0) -> dict | None:
        """Store what is left, record the run's summary, wait for the process."""
        self.check()
        from zhengce.common.memory import process_peak

        self.inbox.put(("close", self.crawl_stats, process_peak("crawl")))
        deadline = time.monotonic() + timeout
        while self.summary is None:
            try:
                self._handle(self.outbox.get(timeout=1.0))
            except queue.Empty:
                if not self.process.is_alive():
                    self.check()
                if time.monotonic() > deadline:
                    raise RuntimeError("the crawl's writer process did not finish in time")
        self.process.join(timeout=30)
        self.inbox.close()
        self.outbox.close()
        return self.summary
