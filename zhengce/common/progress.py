"""The one progress reporter of every long step (load, segment, DMR fit/inference, shards, crawl).

A :class:`Progress` shows a live tqdm line on a terminal — count, percentage, rate and time left —
and stays quiet otherwise (a log file or CI gets only the summary). Every step ends with one
summary line with numbers, printed whether or not the live line was shown::

    with Progress("segment", total=n_docs, unit="doc") as progress:
        for batch in batches:
            ...
            progress.update(len(batch), mb_per_s=f"{rate:.1f}")
        progress.summary(f"segment: {n_docs:,} documents in {secs:.0f} s")

Steps that report to a caller instead of a terminal give ``Progress`` an ``echo`` (a callable
taking one line of text: the topics stage's ``progress``), which then gets a plain progress line
at most every ``every`` seconds and the summary; or a ``callback``, which gets the structured
:class:`ProgressState` at most every ``every`` seconds and once at the end.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, TextIO


@dataclass(frozen=True)
class ProgressState:
    """Where a step stands: what a callback receives."""

    label: str
    done: int
    total: int | None
    elapsed_s: float
    extra: dict

    @property
    def rate(self) -> float:
        """Units per second so far."""
        return self.done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the rate so far (None without a total or a rate)."""
        if not self.total or not self.rate:
            return None
        return max(self.total - self.done, 0) / self.rate

    @property
    def fraction(self) -> float | None:
        return self.done / self.total if self.total else None

    def line(self, unit: str = "") -> str:
        """``label: done/total (pct), rate/s, time left``: the text of a plain progress line."""
        of = f"/{self.total:,}" if self.total else ""
        pct = f" ({100 * self.fraction:.1f}%)" if self.total else ""
        unit = f" {unit}s" if unit else ""
        left = f", {format_seconds(self.eta_s)} left" if self.eta_s is not None else ""
        extra = "".join(f", {k} {v}" for k, v in self.extra.items())
        return f"{self.label}: {self.done:,}{of}{unit}{pct}, {self.rate:,.0f}/s{left}{extra}"


def format_seconds(seconds: float | None) -> str:
    """``42 s``, ``3m05s``, ``1h02m``: short and exact enough for a progress line."""
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds} s"


class Progress:
    """Counts, rate and time left of one step; a tqdm bar when ``enabled``.

    ``enabled=None`` shows the bar only when ``stream`` is a terminal. ``echo`` (optional)
    receives a plain text line (:meth:`ProgressState.line`) at most every ``every`` seconds;
    ``callback`` (optional) receives the :class:`ProgressState` as often and once at
    :meth:`close`; with ``echo_final`` the last count always reaches ``echo`` (at :meth:`close`,
    unless the last update was echoed). :meth:`summary` prints the closing line through ``echo`` when there is one,
    else to ``stream``.
    """

    def __init__(self, label: str, total: int | None = None, *, unit: str = "doc",
                 enabled: bool | None = None, stream: TextIO | None = None,
                 echo: Callable[[str], Any] | None = None,
                 callback: Callable[[ProgressState], Any] | None = None, every: float = 1.0,
                 echo_final: bool = False):
        self.label = label
        self.total = total
        self.unit = unit
        self.stream = stream or sys.stderr
        self.enabled = _isatty(self.stream) if enabled is None else bool(enabled)
        self.echo = echo
        self.callback = callback
        self.every = every
        self.echo_final = echo_final
        self._echoed_done: int | None = None
        self._closed = False
        self.done = 0
        self.extra: dict = {}
        self._start = time.monotonic()
        self._last_callback = float("-inf")
        self._bar = None
        if self.enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=label, unit=unit, unit_scale=False,
                             file=self.stream, dynamic_ncols=True, mininterval=every,
                             leave=True)

    # -- reporting ---------------------------------------------------------------------------
    def update(self, n: int = 1, **extra: Any) -> None:
        """Count ``n`` more units; ``extra`` values are shown beside the count."""
        self.done += n
        if extra:
            self.extra.update(extra)
        if self._bar is not None:
            if extra:
                self._bar.set_postfix(self.extra, refresh=False)
            self._bar.update(n)
        if self.callback is not None or self.echo is not None:
            now = time.monotonic()
            if now - self._last_callback >= self.every:
                self._last_callback = now
                state = self.state()
                if self.callback is not None:
                    self.callback(state)
                if self.echo is not None:
                    self.echo(state.line(self.unit))
                    self._echoed_done = self.done

    def set_done(self, done: int, **extra: Any) -> None:
        """Set the count (for steps that know their absolute position)."""
        self.update(done - self.done, **extra)

    def state(self) -> ProgressState:
        return ProgressState(self.label, self.done, self.total, time.monotonic() - self._start,
                             dict(self.extra))

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self._start

    def close(self) -> None:
        """End the live line (idempotent); a callback gets the final state."""
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self.callback is not None:
            self.callback(self.state())
        if self.echo_final and self.echo is not None and self._echoed_done != self.done:
            self.echo(self.state().line(self.unit))

    def summary(self, line: str) -> str:
        """Close, then print the step's one-line summary; returns it."""
        self.close()
        if self.echo is not None:
            self.echo(line)
        else:
            print(line, file=self.stream, flush=True)
        return line

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
