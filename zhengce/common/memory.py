"""Peak memory per process, read honestly, for stage reports and benchmarks.

Each process's peak is its ``VmHWM`` (the high-water mark of resident memory) from
``/proc/<pid>/status``. Why not ``getrusage``:

- ``RUSAGE_CHILDREN`` gives the largest *reaped* child only: never the sum over a worker pool,
  nothing for workers still running, and it mixes in every child ever waited for;
- on Linux ``ru_maxrss`` survives ``exec``: a Python started by a 2 GB parent reports >= 2 GB
  before it has done anything. ``VmHWM`` belongs to the process's own address space.

Two caveats the reports state rather than hide:

- forked workers share copy-on-write pages with their parent, and each one's ``VmHWM`` counts
  them, so the sum over processes is an upper bound on what the machine needed;
- ``VmHWM`` covers a process's whole life. A stage run inside a long-lived process (a notebook,
  ``run_topics`` after a big load) cannot see its own peak if an earlier step set a higher one;
  :class:`MemoryReport` then says ``<=`` and marks the figure as set before the stage. (Linux can
  reset the mark through ``/proc/self/clear_refs``, but a library resetting process-wide state
  would falsify the figure of whoever measures around it.)

Workers report their own peak with their results (:func:`process_peak`), which also works for
Dask workers on other hosts; :class:`ChildMonitor` samples the peaks of child processes that do
not report (a benchmark's measured step, a crawl's writer process).

Where ``/proc`` is absent (macOS, Windows) the calling process falls back to ``ru_maxrss`` and
other processes are unknown (``None``), never guessed.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from dataclasses import dataclass, field

__all__ = ["peak_rss_mb", "rss_mb", "process_peak", "MemoryReport", "ChildMonitor",
           "format_mb"]


def _status_field(pid: int | str, name: str) -> float | None:
    """A ``kB`` field of /proc/<pid>/status in MB, or None (no such process, no /proc)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith(name):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def peak_rss_mb(pid: int | str = "self") -> float | None:
    """Peak resident memory (MB) of process ``pid`` (default: this one): ``VmHWM``.

    For this process without /proc: ``ru_maxrss`` (KiB on Linux, bytes on macOS). For another
    process without /proc, or one that has exited: None.
    """
    value = _status_field(pid, "VmHWM:")
    if value is not None or pid not in ("self", os.getpid()):
        return value
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def rss_mb(pid: int | str = "self") -> float | None:
    """Current resident memory (MB) of ``pid``: ``VmRSS``, or None where unknown."""
    return _status_field(pid, "VmRSS:")


def process_peak(role: str = "worker") -> dict:
    """This process's identity and peak, to send back with a worker's results."""
    return {"role": role, "host": socket.gethostname(), "pid": os.getpid(),
            "peak_mb": peak_rss_mb()}


def format_mb(value: float | None) -> str:
    return "?" if value is None else f"{value:,.0f} MB"


@dataclass
class MemoryReport:
    """Per-process peak resident memory of one stage: the main process and every worker.

    Create it when the stage starts (it notes the main process's resident memory and high-water
    mark then), feed it the workers' :func:`process_peak` dicts with :meth:`add` (repeats of a
    process keep the largest), and call :meth:`finish` at the end.
    """

    main_role: str = "main"
    processes: dict = field(default_factory=dict)  # (host, pid) -> process_peak dict
    main_start_rss_mb: float | None = None
    main_start_peak_mb: float | None = None
    finished: bool = False
    main_key: tuple | None = None

    def __post_init__(self) -> None:
        if self.main_key is None:     # a live report of this process (not one read back)
            self.main_key = (socket.gethostname(), os.getpid())
            self.main_start_rss_mb = rss_mb()
            self.main_start_peak_mb = peak_rss_mb()

    @classmethod
    def from_dict(cls, data: dict) -> "MemoryReport":
        """A report read back from :meth:`as_dict` (a run's summary): for display only."""
        processes = list(data.get("processes") or [])
        main = processes[0] if processes else {"role": "main", "host": None, "pid": None,
                                                "peak_mb": data.get("main_peak_mb")}
        report = cls(main_role=main.get("role") or "main", finished=True,
                     main_key=(main.get("host"), main.get("pid")),
                     main_start_rss_mb=data.get("main_start_rss_mb"))
        report.processes = {(p.get("host"), p.get("pid")): dict(p) for p in [main, *processes[1:]]}
        report._peak_set_before = bool(data.get("main_peak_set_before_stage"))
        return report

    # -- feeding -------------------------------------------------------------------------------
    def add(self, peak: dict | None) -> None:
        if not peak:
            return
        key = (peak.get("host"), peak.get("pid"))
        old = self.processes.get(key)
        if old is None or (peak.get("peak_mb") or 0) > (old.get("peak_mb") or 0):
            self.processes[key] = dict(peak)

    def add_all(self, peaks) -> None:
        for peak in peaks or ():
            self.add(peak)

    def merge(self, other: "MemoryReport") -> None:
        """Take another report's processes (a nested stage run in this one)."""
        for key, peak in other.processes.items():
            if key != self.main_key:
                self.add(peak)

    def finish(self) -> "MemoryReport":
        """Read the main process's high-water mark now (idempotent after the first call)."""
        if not self.finished:
            self.processes[self.main_key] = process_peak(self.main_role)
            self.finished = True
        return self

    # -- reading -------------------------------------------------------------------------------
    @property
    def main(self) -> dict:
        return self.processes.get(self.main_key) or process_peak(self.main_role)

    @property
    def main_peak_mb(self) -> float | None:
        return self.main.get("peak_mb")

    @property
    def peak_set_before(self) -> bool:
        """True when the main process's peak was reached before this stage started, so the
        stage's own peak is at most that figure and unknown beyond it."""
        if hasattr(self, "_peak_set_before"):
            return self._peak_set_before
        start, end = self.main_start_peak_mb, self.main_peak_mb
        return start is not None and end is not None and end <= start

    @property
    def workers(self) -> list[dict]:
        return sorted((p for k, p in self.processes.items() if k != self.main_key),
                      key=lambda p: (str(p.get("host")), p.get("pid") or 0))

    @property
    def max_worker_mb(self) -> float | None:
        known = [p["peak_mb"] for p in self.workers if p.get("peak_mb") is not None]
        return max(known) if known else None

    @property
    def sum_mb(self) -> float | None:
        """Sum of every process's peak: an upper bound on the memory the stage needed at once
        (peaks need not coincide; forked workers' shared pages are counted in each)."""
        known = [p["peak_mb"] for p in [self.main, *self.workers] if p.get("peak_mb") is not None]
        return sum(known) if known else None

    def as_dict(self) -> dict:
        return {
            "measure": "VmHWM",
            "main_peak_mb": _round(self.main_peak_mb),
            "main_peak_set_before_stage": self.peak_set_before,
            "main_start_rss_mb": _round(self.main_start_rss_mb),
            "n_workers": len(self.workers),
            "max_worker_peak_mb": _round(self.max_worker_mb),
            "sum_of_peaks_mb": _round(self.sum_mb),
            "processes": [{**p, "peak_mb": _round(p.get("peak_mb"))}
                          for p in [self.main, *self.workers]],
        }

    def line(self) -> str:
        """``peak memory (VmHWM): main 412 MB; 2 workers 380 / 396 MB; all processes <= 1,188 MB``"""
        main = format_mb(self.main_peak_mb)
        if self.peak_set_before:
            main = f"<= {main} (peak set before this stage)"
        text = f"peak memory (VmHWM): main {main}"
        workers = self.workers
        if workers:
            hosts = {p.get("host") for p in workers}
            each = " / ".join(format_mb(p.get("peak_mb")).replace(" MB", "") for p in workers[:8])
            more = f" / … ({len(workers) - 8} more)" if len(workers) > 8 else ""
            where = f" on {len(hosts)} hosts" if len(hosts) > 1 else ""
            text += (f"; {len(workers)} worker{'s' if len(workers) != 1 else ''}{where} "
                     f"{each}{more} MB; all processes <= {format_mb(self.sum_mb)}")
        return text


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _children_of(pids: set[int]) -> set[int]:
    """Every live process whose parent is in ``pids`` (scanning /proc/*/stat)."""
    found = set()
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                stat = fh.read()
        except OSError:
            continue
        # the command name (field 2) may hold spaces and parentheses: split after the last ')'
        try:
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        except (ValueError, IndexError):
            continue
        if ppid in pids:
            found.add(int(entry))
    return found


class ChildMonitor:
    """Sample the peak (``VmHWM``) of every descendant of this process while a block runs.

    ``VmHWM`` only grows, so the last sample of a process is its peak to within one interval
    before it exited; processes that live less than one interval may be missed. Use it where
    children do not report their own peak::

        with ChildMonitor(interval=0.2) as monitor:
            run_something_with_workers()
        monitor.report.line()
    """

    def __init__(self, interval: float = 0.2, *, role: str = "child",
                 report: MemoryReport | None = None):
        self.interval = interval
        self.role = role
        self.report = report if report is not None else MemoryReport()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._names: dict[int, str] = {}

    def sample(self) -> None:
        me = os.getpid()
        seen: set[int] = set()
        frontier = {me}
        while frontier:
            kids = _children_of(frontier) - seen
            seen |= kids
            frontier = kids
        host = socket.gethostname()
        for pid in seen:
            peak = peak_rss_mb(pid)
            if peak is None:
                continue
            if pid not in self._names:
                self._names[pid] = _command_name(pid)
            self.report.add({"role": f"{self.role}:{self._names[pid]}", "host": host,
                             "pid": pid, "peak_mb": peak})

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> "ChildMonitor":
        self.sample()
        self._thread = threading.Thread(target=self._loop, name="zhengce-child-monitor",
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()
        self.report.finish()


def _command_name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as fh:
            return fh.read().strip()
    except OSError:
        return "?"
