"""zhengce (政策): build, tag, model and share corpora of Chinese government policy documents.

The package is five layers, each usable on its own (lower layers never import upper ones):

- :mod:`zhengce.corpus` — the SQLite store, schema and migrations, tagging, loaders, exports;
- :mod:`zhengce.crawler` — Scrapy spiders that write into the store;
- :mod:`zhengce.nlp` — normalize, segment, bag of words, coding schemes, topic models, labels;
- :mod:`zhengce.analysis` — trajectories, effects, figures and the report;
- :mod:`zhengce.companions` — the coup, bank-entry and Malmquist analyses.

The top-level functions below are the public API (:mod:`zhengce.api`); they import their stage
when first used, so ``import zhengce`` stays light.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("zhengce")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = ["open_store", "load", "run_topics", "build_report", "TopicsConfig", "__version__"]


def __getattr__(name: str):
    if name in __all__:
        from zhengce import api

        return getattr(api, name)
    raise AttributeError(f"module 'zhengce' has no attribute {name!r}")
