"""The shared plumbing of every topic model: parameters, persistence, manifest."""

from __future__ import annotations

import abc
import json
import logging
import sys
import time
import warnings
from collections.abc import Mapping
from importlib import metadata as _metadata
from pathlib import Path
from typing import Any

import numpy as np

from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from zhengce.common.errors import UserError

from .seeds import scheme_seed_words
from .validation import CorpusStats, TopicModelWarning, check_dictionary

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1


def _versions(*names: str) -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": sys.version.split()[0]}
    for name in names:
        try:
            out[name] = _metadata.version(name)
        except _metadata.PackageNotFoundError:
            out[name] = None
    return out


def _jsonable(value: Any) -> Any:
    """Plain JSON types (numpy scalars/arrays and tuples become floats/ints/lists)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, Path):
        return str(value)
    converted = scheme_seed_words(value)
    if converted is not value:  # a coding-scheme object given as seed_words
        return _jsonable(converted)
    return value


_REGISTRY: dict[str, type] = {}


class ModelNotFittedError(UserError, NotFittedError):
    """A fitted attribute or method was used before ``fit`` (or ``load``).

    Also sklearn's :class:`~sklearn.exceptions.NotFittedError` (an ``AttributeError``), so
    ``hasattr(model, "n_topics_")`` is False before fit, as for any scikit-learn estimator.
    """


class BaseTopicModel(BaseEstimator, abc.ABC):
    """Shared plumbing: parameters, validation, persistence, manifest. Not used directly.

    A scikit-learn estimator: ``__init__`` only stores its parameters (checked in ``fit``), so
    ``get_params`` / ``set_params`` / ``sklearn.base.clone`` work as for any estimator.
    """

    _library = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls

    # -- sklearn parameters --------------------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        return cls._get_param_names()

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        # shallow: seed_words may be a coding-scheme object, whose attributes are no parameters
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params) -> "BaseTopicModel":
        valid = set(self._param_names())
        for key, value in params.items():
            if key not in valid:
                raise UserError(f"{type(self).__name__} has no parameter {key!r}: "
                                f"valid parameters are {', '.join(sorted(valid))}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # -- common helpers ------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        try:
            check_is_fitted(self, "topic_word_")
        except NotFittedError:
            raise ModelNotFittedError(f"this {type(self).__name__} is not fitted yet: call "
                                      "fit(corpus, dictionary) or load a saved model first") from None

    def _start_fit(self, dictionary) -> int:
        self.fit_warnings_: list[str] = []
        return check_dictionary(dictionary)

    def _finish_fit(self, stats: CorpusStats, dictionary, started: float) -> None:
        self.vocabulary_ = [str(dictionary[i]) for i in range(len(dictionary))]
        self.word_counts_ = stats.word_counts
        #: tokens per training document (pyLDAvis' doc_lengths without another corpus pass)
        self.doc_lengths_ = np.asarray(stats.doc_lengths, dtype=np.float64)
        self.n_docs_ = stats.n_docs
        self.n_words_ = stats.n_words
        self.n_empty_docs_ = stats.n_empty_docs
        self.fit_seconds_ = time.perf_counter() - started
        if stats.n_empty_docs:
            msg = (f"{stats.n_empty_docs} of {stats.n_docs} documents are empty after "
                   "tokenisation; they are kept with θ_d = the prior mean")
            logger.warning(msg)
            self.fit_warnings_.append(msg)
            warnings.warn(msg, TopicModelWarning, stacklevel=3)

    @property
    def n_topics_(self) -> int:
        self._check_fitted()
        return int(self.topic_word_.shape[0])

    def fit_transform(self, corpus, dictionary, covariates=None) -> np.ndarray:
        return self.fit(corpus, dictionary, covariates).doc_topic_

    def top_words(self, n: int = 10) -> list[list[str]]:
        """The ``n`` most probable words of each topic (by β_k)."""
        self._check_fitted()
        order = np.argsort(-self.topic_word_, axis=1, kind="stable")[:, :n]
        return [[self.vocabulary_[v] for v in row] for row in order]

    # -- manifest ------------------------------------------------------------------------------
    @abc.abstractmethod
    def _determinism(self) -> tuple[bool, str]:
        """``(deterministic, why)``: whether the same seed gives the same fit, and the reason."""

    def _extra_manifest(self) -> dict[str, Any]:
        return {}

    def manifest_info(self) -> dict[str, Any]:
        """Everything a run manifest needs to say how this model was made (JSON-serialisable)."""
        deterministic, note = self._determinism()
        info: dict[str, Any] = {
            "model": type(self).__name__,
            "library": self._library_name(),
            "params": self.get_params(),
            "random_state": getattr(self, "random_state", None),
            "deterministic": deterministic,
            "determinism_note": note,
            "versions": _versions("gensim", "tomotopy", "numpy", "scipy"),
        }
        if hasattr(self, "topic_word_"):
            info.update({
                "n_topics": self.n_topics_, "n_docs": self.n_docs_, "n_words": self.n_words_,
                "vocabulary_size": len(self.vocabulary_), "n_empty_docs": self.n_empty_docs_,
                "n_iter": self.n_iter_, "per_word_bound": self.per_word_bound_,
                "bound_kind": self.bound_kind_, "fit_seconds": self.fit_seconds_,
                "fit_warnings": list(self.fit_warnings_),
            })
        info.update(self._extra_manifest())
        return _jsonable(info)

    def _library_name(self) -> str:
        return self._library

    # -- persistence ---------------------------------------------------------------------------
    _SAVED_ATTRS = ("vocabulary_", "n_docs_", "n_words_", "n_empty_docs_", "n_iter_",
                    "per_word_bound_", "bound_kind_", "fit_warnings_", "fit_seconds_")
    _SAVED_ARRAYS = ("topic_word_", "doc_topic_", "word_counts_")

    @abc.abstractmethod
    def _native_save(self, folder: Path) -> None:
        """Save the library's own model file(s) into ``folder`` (what ``transform`` needs)."""

    @abc.abstractmethod
    def _native_load(self, folder: Path) -> None:
        """Load what :meth:`_native_save` wrote."""

    def save(self, path) -> Path:
        """Save to a folder: ``model.json`` (params, attributes, manifest), ``arrays.npz`` (β, θ,
        counts, priors) and the library's own model file(s) for ``transform``."""
        self._check_fitted()
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        attrs = {name: getattr(self, name) for name in self._SAVED_ATTRS if hasattr(self, name)}
        doc = {"format_version": FORMAT_VERSION, "class": type(self).__name__,
               "params": self.get_params(), "attributes": attrs, "manifest": self.manifest_info()}
        (folder / "model.json").write_text(
            json.dumps(_jsonable(doc), ensure_ascii=False, indent=1), encoding="utf-8")
        arrays = {name: getattr(self, name) for name in self._SAVED_ARRAYS if hasattr(self, name)}
        np.savez_compressed(folder / "arrays.npz", **arrays)
        self._native_save(folder)
        return folder

    @classmethod
    def load(cls, path) -> "BaseTopicModel":
        """Load a model saved with :meth:`save` (the class is read from ``model.json``)."""
        folder = Path(path)
        meta_path = folder / "model.json"
        if not meta_path.is_file():
            raise UserError(f"{folder} is not a saved topic model (no model.json): pass the "
                            "folder given to model.save()")
        doc = json.loads(meta_path.read_text(encoding="utf-8"))
        if doc.get("format_version") != FORMAT_VERSION:
            raise UserError(f"{meta_path} has format version {doc.get('format_version')}, this "
                            f"zhengce reads {FORMAT_VERSION}: refit or use a matching zhengce")
        target = _REGISTRY.get(doc.get("class", ""))
        if target is None:
            raise UserError(f"{meta_path} names unknown model class {doc.get('class')!r}")
        if cls is not BaseTopicModel and not issubclass(target, cls):
            raise UserError(f"{folder} holds a {target.__name__}, not a {cls.__name__}: load it "
                            f"with {target.__name__}.load or nlp.topics.models.load_model")
        model = target(**target._params_from_json(doc["params"]))
        for name, value in doc["attributes"].items():
            setattr(model, name, value)
        model._attributes_from_json(doc["attributes"])
        with np.load(folder / "arrays.npz", allow_pickle=False) as arrays:
            for name in arrays.files:
                setattr(model, name, np.array(arrays[name]))
        model._native_load(folder)
        return model

    #: parameters saved under an older name by earlier versions: old name -> current name
    _RENAMED_PARAMS: dict[str, str] = {}

    @classmethod
    def _params_from_json(cls, params: dict) -> dict:
        return {cls._RENAMED_PARAMS.get(name, name): value for name, value in params.items()}

    def _attributes_from_json(self, attrs: dict) -> None:
        """Undo JSON's key stringification where an attribute needs int keys."""


def load_model(path) -> BaseTopicModel:
    """Load any model saved with ``save(path)``."""
    return BaseTopicModel.load(path)


