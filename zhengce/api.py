"""The public Python API: the pipeline's stages as plain functions.

Each function takes a store (or a database path) and returns the stage's result object, so a
notebook runs the same code as the ``zhengce`` command::

    import zhengce

    store = zhengce.open_store("data/demo.db")
    zhengce.load(store, "data/demo-src/documents.jsonl", mapping="demo")
    result = zhengce.run_topics(store, zhengce.TopicsConfig(model="dmr"))
    zhengce.build_report(store, "out/report")

The heavy stacks (gensim, tomotopy, matplotlib) are imported by the function that needs them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from zhengce.corpus.store import Store

if TYPE_CHECKING:  # pragma: no cover
    from zhengce.corpus.loaders import LoadReport
    from zhengce.nlp.topics.stage import TopicsConfig, TopicsResult

StoreLike = Store | str | os.PathLike


def open_store(path: str | os.PathLike | None = None, *, create: bool = True) -> Store:
    """Open (and migrate) the corpus database at ``path``; ``":memory:"`` for a scratch store.

    ``path`` defaults to ``$ZHENGCE_DB``, else ``data/zhengce.db``. With ``create=False`` a
    missing file is an error naming the fix instead of a new empty database.
    """
    return Store.open(path, create=create)


def _as_store(store: StoreLike, create: bool = False) -> tuple[Store, bool]:
    """``(store, opened_here)``: a path is opened here, and closed by the caller."""
    if isinstance(store, Store):
        return store, False
    return Store.open(store, create=create), True


def load(store: StoreLike, source: str | os.PathLike, **options: Any) -> "LoadReport":
    """Load a file or folder of documents (CSV/TSV/XLSX/JSONL(.gz), a folder of files, a
    LawRefBook checkout); ``options`` are those of :func:`zhengce.corpus.loaders.load_path`
    (``mapping``, ``overrides``, ``source``, ``fmt``, ``encoding``, ``n_jobs`` ...)."""
    from zhengce.corpus.loaders import load_path

    opened, close = _as_store(store, create=True)
    try:
        return load_path(opened, source, **options)
    finally:
        if close:
            opened.close()


def run_topics(store: StoreLike, config: "TopicsConfig | None" = None, *,
               progress: Callable[[str], None] | None = None, **settings: Any) -> "TopicsResult":
    """Segment, fit the topic model, label topics and store strategy shares (``make topics``).

    ``config`` is a :class:`TopicsConfig`; keyword ``settings`` override single fields of it
    (``model="dmr"``, ``n_restarts=3`` ...). ``progress`` receives the stage's progress lines.
    """
    from zhengce.nlp.topics.stage import TopicsConfig
    from zhengce.nlp.topics.stage import run_topics as _run_topics

    # TopicsConfig.load validates the settings (unknown model, unknown key) with one-line errors
    base = dict(vars(config)) if config is not None else {}
    config = TopicsConfig.load(None, **{**base, **settings})
    opened, close = _as_store(store)
    try:
        return _run_topics(opened, config, progress=progress)
    finally:
        if close:
            opened.close()


def build_report(store: StoreLike, out_dir: str | os.PathLike = "out/report", **options: Any) -> Path:
    """Write the offline HTML report (trajectories, effects, topics, provenance) into
    ``out_dir`` and return the path of ``report.html``; ``options`` are those of
    :func:`zhengce.analysis.report.build_report` (``run_id``, ``measure``, ``n_boot`` ...)."""
    from zhengce.analysis.report import build_report as _build_report

    opened, close = _as_store(store)
    try:
        return _build_report(opened, out_dir, **options)
    finally:
        if close:
            opened.close()


def __getattr__(name: str):
    # TopicsConfig is part of the API but lives with the (heavy) topics stage.
    if name == "TopicsConfig":
        from zhengce.nlp.topics.stage import TopicsConfig

        return TopicsConfig
    raise AttributeError(name)
