"""Topic models behind one sklearn-style interface.

Three estimators share one interface (``fit`` / ``transform`` / ``save`` / ``load`` /
``manifest_info``) and the same learned attributes, so labelling, model selection, pyLDAvis and
the store never need to know which library fitted a model:

- :class:`LdaTopicModel` — plain LDA with gensim (``LdaModel``, deterministic; or ``LdaMulticore``,
  fast but not reproducible).
- :class:`SeededLdaModel` — LDA whose topic-word prior η is built by hand so that one (or more)
  topics per coding-scheme category start from, and are pulled towards, that category's seed words.
- :class:`SeededDmrModel` — Dirichlet-multinomial regression (Mimno & McCallum 2008) with tomotopy:
  document covariates (level × period cell, optional sector/agency features, optional year via
  ``GDMRModel``) shift topic prevalence inside the model, as STM/keyATM do, with optional seeds.

Notation (Blei, Ng & Jordan 2003; Mimno & McCallum 2008; Tan 2021 uses LDA-family models):

==================  ===========================================================================
paper               here
==================  ===========================================================================
K                   number of topics (``n_topics``; seeded: categories × topics_per_category +
                    ``n_free_topics``)
θ_d                 topic proportions of document d: row d of ``doc_topic_`` (D × K)
β_k (φ_k)           word distribution of topic k: row k of ``topic_word_`` (K × V)
α                   Dirichlet prior on θ_d (``alpha``); in DMR α_dk = exp(λ_k · x_d) + ε
η                   Dirichlet prior on β_k (``eta`` / ``base_eta``; seeded: a K × V matrix ``eta_``)
x_d                 covariates of document d (DMR): a level × period cell plus optional features
λ                   DMR regression coefficients of topic prevalence on x_d (``lambda_``)
==================  ===========================================================================

Learned attributes common to every model: ``topic_word_`` (K × V, float64, rows sum to 1, columns
in the gensim ``Dictionary`` id order), ``doc_topic_`` (D × K, float64, rows sum to 1 within 1e-9),
``vocabulary_`` (tokens by dictionary id), ``word_counts_`` (corpus frequency of each word),
``n_iter_``, ``per_word_bound_`` with ``bound_kind_`` (what the number is: the variational bound
for gensim, the Gibbs-state log-likelihood per word for tomotopy; the two are not comparable),
``n_docs_``, ``n_words_``, ``n_empty_docs_``, ``fit_warnings_``, ``fit_seconds_``. Seeded models add
``topic_labels_`` (topic id → category or ``'free'``), ``seed_words_`` (seeds found in the
vocabulary), ``missing_seeds_`` (seeds not in the vocabulary, never silently ignored) and ``eta_``.

Inputs are standard types: a gensim ``Dictionary`` with contiguous ids, and a corpus that is a
restartable iterable with ``__len__`` of bag-of-words lists ``[(word_id, count), ...]``; covariates
are a pandas DataFrame aligned with the corpus order. Empty documents are kept (their θ_d is the
prior mean) and counted in ``n_empty_docs_``; nothing is dropped.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata as _metadata
from inspect import signature
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from zhengce.common.errors import UserError

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
RESERVED_LABELS = ("free", "other")
#: Gensim never returns topic weights below this (``minimum_probability`` is floored there too).
MIN_PROBABILITY_FLOOR = 1e-8


class TopicModelWarning(UserWarning):
    """Something about a fit the caller should see: too few updates, seeds missing, empty docs."""


# ---------------------------------------------------------------------------------------------
# Corpus validation
# ---------------------------------------------------------------------------------------------


@dataclass
class CorpusStats:
    """What one validating pass over a bag-of-words corpus found."""

    n_docs: int
    n_words: int
    n_empty_docs: int
    word_counts: np.ndarray  # length V, float64: corpus frequency of each dictionary id
    doc_lengths: np.ndarray  # length D, float64: tokens per document


def check_dictionary(dictionary) -> int:
    """Return V after checking that ``dictionary`` is a gensim-like mapping with ids 0..V-1."""
    if not hasattr(dictionary, "token2id") or not hasattr(dictionary, "keys"):
        raise UserError(
            f"dictionary must be a gensim Dictionary (got {type(dictionary).__name__}): "
            "build it with gensim.corpora.Dictionary(token_lists)"
        )
    n = len(dictionary)
    if n == 0:
        raise UserError("the dictionary is empty: build it from a non-empty corpus "
                        "or relax filter_extremes")
    ids = dictionary.keys()
    if min(ids) != 0 or max(ids) != n - 1:
        raise UserError(
            f"dictionary ids are not contiguous 0..{n - 1} (max id {max(ids)}): "
            "call dictionary.compactify() after filtering tokens"
        )
    return n


def check_restartable(corpus, what: str = "corpus") -> int:
    """Return ``len(corpus)``; refuse one-shot iterators, which would silently train on nothing."""
    if iter(corpus) is corpus:
        raise UserError(
            f"{what} is a one-shot iterator (generator): pass a list or a restartable corpus "
            "object (e.g. nlp.bow.BowCorpus) whose __iter__ starts a fresh pass"
        )
    try:
        return len(corpus)
    except TypeError:
        raise UserError(f"{what} has no len(): give it a __len__ (restartable corpora must know "
                        "their size) or pass a list") from None


def _plain_bow(doc, n_terms: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(ids, counts) of a document made of (int, int | float) pairs that are plainly valid (ids
    inside the dictionary, finite positive counts), else None: the caller then checks it pair by
    pair and names what is wrong."""
    try:
        ids, counts = zip(*doc)
    except (TypeError, ValueError):
        return None
    if not (all(type(i) is int for i in ids)
            and all(type(c) is int or type(c) is float for c in counts)):
        return None
    id_array = np.fromiter(ids, dtype=np.int64, count=len(ids))
    count_array = np.fromiter(counts, dtype=np.float64, count=len(counts))
    if (id_array.min() < 0 or id_array.max() >= n_terms
            or not np.all(np.isfinite(count_array)) or not np.all(count_array > 0)):
        return None
    return id_array, count_array


def scan_corpus(corpus, n_terms: int, what: str = "corpus", *,
                on_doc: Callable[[int, list, float], None] | None = None) -> CorpusStats:
    """Validate every document of a BoW corpus in one pass and collect counts.

    ``on_doc(d, doc, n_tokens)`` is called with each validated document, so a caller that needs
    the documents too reads the corpus once. Raises :class:`UserError` naming the first bad
    document (0-based position in the corpus).
    """
    declared = check_restartable(corpus, what)
    word_counts = np.zeros(n_terms, dtype=np.float64)
    lengths: list[float] = []
    n_empty = 0
    for d, doc in enumerate(corpus):
        total = 0.0
        if not isinstance(doc, (list, tuple)):
            try:
                doc = list(doc)   # read once: checked here and handed to on_doc
            except TypeError:
                raise UserError(f"{what} document {d} is not a list of (word_id, count) pairs: "
                                "pass dictionary.doc2bow(tokens)") from None
        fast = _plain_bow(doc, n_terms) if doc else None
        if fast is not None:   # the common case, checked and counted in numpy
            np.add.at(word_counts, fast[0], fast[1])
            total = float(fast[1].sum())
        try:
            for word_id, count in (() if fast is not None else doc):
                if isinstance(word_id, (bool, np.bool_)) or not isinstance(word_id, (int, np.integer)):
                    raise UserError(
                        f"{what} document {d}: word id {word_id!r} is not an integer: pass "
                        "bag-of-words lists [(word_id, count), ...] from dictionary.doc2bow")
                if not 0 <= word_id < n_terms:
                    raise UserError(
                        f"{what} document {d}: word id {word_id} is outside the dictionary "
                        f"(ids 0..{n_terms - 1}): build the corpus with the same Dictionary")
                if not (isinstance(count, (int, float, np.integer, np.floating))
                        and math.isfinite(count) and count > 0):
                    raise UserError(
                        f"{what} document {d}: count {count!r} for word id {word_id} is not a "
                        "positive number: pass raw term counts from dictionary.doc2bow")
                word_counts[word_id] += count
                total += count
        except (TypeError, ValueError) as exc:
            raise UserError(f"{what} document {d} is not a list of (word_id, count) pairs "
                            f"({exc}): pass dictionary.doc2bow(tokens)") from None
        if total == 0:
            n_empty += 1
        lengths.append(total)
        if on_doc is not None:
            on_doc(d, doc, total)
    n_docs = len(lengths)
    if n_docs != declared:
        raise UserError(f"{what} reports len() = {declared} but yielded {n_docs} documents: "
                        "fix its __len__ (or the query behind it)")
    if n_docs == 0:
        raise UserError(f"{what} is empty: load and tokenise documents before fitting")
    n_words = int(word_counts.sum())
    if n_words == 0:
        raise UserError(f"every document in {what} is empty: check tokenisation and "
                        "dictionary filtering (filter_extremes may have removed everything)")
    return CorpusStats(n_docs=n_docs, n_words=n_words, n_empty_docs=n_empty,
                       word_counts=word_counts, doc_lengths=np.asarray(lengths, dtype=np.float64))


def _normalise_rows(matrix: np.ndarray, what: str) -> np.ndarray:
    """Float64 copy whose rows sum to 1 (the libraries return float32 that sums to 1 ± 1e-6)."""
    out = np.asarray(matrix, dtype=np.float64).copy()
    sums = out.sum(axis=1, keepdims=True)
    if np.any(~np.isfinite(sums)) or np.any(sums <= 0):
        bad = int(np.flatnonzero(~(np.isfinite(sums[:, 0]) & (sums[:, 0] > 0)))[0])
        raise RuntimeError(f"{what} row {bad} has no probability mass; the model did not train")
    out /= sums
    return out


def _chunks(iterable: Iterable, size: int) -> Iterator[list]:
    it = iter(iterable)
    while chunk := list(islice(it, size)):
        yield chunk


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


# ---------------------------------------------------------------------------------------------
# Seed layout (shared by the seeded LDA and the seeded DMR)
# ---------------------------------------------------------------------------------------------


@dataclass
class SeedLayout:
    """Which topics are seeded with which words.

    Category ``c`` (in the order of the mapping) owns topics
    ``c * topics_per_category ... (c + 1) * topics_per_category - 1``; the free topics follow.
    """

    categories: list[str]
    topics_per_category: int
    n_free_topics: int
    seeds_in_vocab: dict[str, list[str]]
    missing: dict[str, list[str]]
    shared: dict[str, list[str]] = field(default_factory=dict)  # word -> categories

    @property
    def n_topics(self) -> int:
        return len(self.categories) * self.topics_per_category + self.n_free_topics

    def topics_of(self, category: str) -> list[int]:
        c = self.categories.index(category)
        return list(range(c * self.topics_per_category, (c + 1) * self.topics_per_category))

    def topic_labels(self) -> dict[int, str]:
        labels = {}
        for category in self.categories:
            for k in self.topics_of(category):
                labels[k] = category
        for k in range(len(self.categories) * self.topics_per_category, self.n_topics):
            labels[k] = "free"
        return labels

    def prior_matrix(self, token2id: Mapping[str, int], n_terms: int, base_eta: float,
                     seed_weight: float, other_topic_seed_eta: float | None) -> np.ndarray:
        """η (K × V): ``base_eta`` everywhere; a seed word gets ``seed_weight`` on its category's
        topics and, when ``other_topic_seed_eta`` is set, that (small) value on every other topic
        so the seed is steered away from them (keyATM-style)."""
        eta = np.full((self.n_topics, n_terms), float(base_eta), dtype=np.float64)
        seeded_topics: dict[int, set[int]] = {}
        for category, words in self.seeds_in_vocab.items():
            for word in words:
                seeded_topics.setdefault(token2id[word], set()).update(self.topics_of(category))
        for word_id, topics in seeded_topics.items():
            if other_topic_seed_eta is not None:
                eta[:, word_id] = float(other_topic_seed_eta)
            eta[sorted(topics), word_id] = float(seed_weight)
        return eta


def scheme_seed_words(seed_words):
    """A scheme object's seeds as a plain mapping; anything else is returned unchanged."""
    categories = getattr(seed_words, "categories", None)
    if not isinstance(seed_words, Mapping) and isinstance(categories, Mapping) \
            and all(hasattr(c, "terms") for c in categories.values()):
        return {str(name): list(c.terms) for name, c in categories.items()}
    return seed_words


def normalise_seed_words(seed_words) -> dict[str, list[str]]:
    """Validate category → seed words: any Mapping, or a coding scheme (``nlp.scheme.Scheme``:
    its ``categories`` map names to objects with ``terms``)."""
    seed_words = scheme_seed_words(seed_words)
    if not isinstance(seed_words, Mapping) or len(seed_words) == 0:
        raise UserError(
            "seed_words must be a non-empty mapping category -> list of seed words "
            "(e.g. {'directive': ['淘汰', '审批'], ...}); load it from the coding scheme")
    out: dict[str, list[str]] = {}
    for category, words in seed_words.items():
        if not isinstance(category, str) or not category.strip():
            raise UserError(f"seed category {category!r} is not a non-empty string: "
                            "name each category (directive, developmental, regulatory)")
        if category in RESERVED_LABELS:
            raise UserError(f"seed category {category!r} is reserved for unseeded topics: "
                            "rename the category in the scheme")
        if isinstance(words, str) or not isinstance(words, Iterable):
            raise UserError(f"seed words of category {category!r} must be a list of strings "
                            f"(got {type(words).__name__}): write them as a YAML list")
        clean: list[str] = []
        for word in words:
            if not isinstance(word, str) or not word.strip():
                raise UserError(f"seed word {word!r} in category {category!r} is not a "
                                "non-empty string: fix the scheme file")
            if word.strip() not in clean:
                clean.append(word.strip())
        if not clean:
            raise UserError(f"category {category!r} has no seed words: add some or drop it")
        out[category] = clean
    return out


def build_seed_layout(seed_words, token2id: Mapping[str, int], topics_per_category: int,
                      n_free_topics: int) -> SeedLayout:
    seeds = normalise_seed_words(seed_words)
    if not isinstance(topics_per_category, (int, np.integer)) or topics_per_category < 1:
        raise UserError(f"topics_per_category must be an integer >= 1 (got {topics_per_category!r})")
    if not isinstance(n_free_topics, (int, np.integer)) or n_free_topics < 0:
        raise UserError(f"n_free_topics must be an integer >= 0 (got {n_free_topics!r})")
    in_vocab: dict[str, list[str]] = {}
    missing: dict[str, list[str]] = {}
    where: dict[str, list[str]] = {}
    for category, words in seeds.items():
        in_vocab[category] = [w for w in words if w in token2id]
        missing[category] = [w for w in words if w not in token2id]
        for w in in_vocab[category]:
            where.setdefault(w, []).append(category)
        if not in_vocab[category]:
            raise UserError(
                f"none of the {len(words)} seed words of category {category!r} is in the "
                f"vocabulary (e.g. {words[0]!r}): check segmentation (add seeds to the user "
                "dictionary) or loosen the dictionary filters")
    missing = {c: ws for c, ws in missing.items() if ws}
    shared = {w: cs for w, cs in where.items() if len(cs) > 1}
    return SeedLayout(categories=list(seeds), topics_per_category=int(topics_per_category),
                      n_free_topics=int(n_free_topics), seeds_in_vocab=in_vocab,
                      missing=missing, shared=shared)


def _report_seeds(model, layout: SeedLayout) -> None:
    if layout.missing:
        n = sum(len(ws) for ws in layout.missing.values())
        detail = "; ".join(f"{c}: {', '.join(ws)}" for c, ws in layout.missing.items())
        msg = (f"{n} seed word(s) are not in the vocabulary and seed nothing ({detail}); "
               "see missing_seeds_")
        logger.warning(msg)
        model.fit_warnings_.append(msg)
        warnings.warn(msg, TopicModelWarning, stacklevel=3)
    if layout.shared:
        msg = ("seed word(s) listed under several categories seed all of them: "
               + "; ".join(f"{w}: {', '.join(cs)}" for w, cs in layout.shared.items()))
        logger.info(msg)
        model.fit_warnings_.append(msg)


# ---------------------------------------------------------------------------------------------
# Base class
# ---------------------------------------------------------------------------------------------


_REGISTRY: dict[str, type] = {}


class BaseTopicModel:
    """Shared plumbing: parameters, validation, persistence, manifest. Not used directly."""

    _library = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls

    # -- sklearn-style parameters --------------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        return [p for p in signature(cls.__init__).parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
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
        if not hasattr(self, "topic_word_"):
            raise UserError(f"this {type(self).__name__} is not fitted yet: call fit(corpus, "
                            "dictionary) or load a saved model first")

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
    def _determinism(self) -> tuple[bool, str]:
        raise NotImplementedError

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

    def _native_save(self, folder: Path) -> None:
        raise NotImplementedError

    def _native_load(self, folder: Path) -> None:
        raise NotImplementedError

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
                            f"with {target.__name__}.load or nlp.models.load_model")
        model = target(**target._params_from_json(doc["params"]))
        for name, value in doc["attributes"].items():
            setattr(model, name, value)
        model._attributes_from_json(doc["attributes"])
        with np.load(folder / "arrays.npz", allow_pickle=False) as arrays:
            for name in arrays.files:
                setattr(model, name, np.array(arrays[name]))
        model._native_load(folder)
        return model

    @classmethod
    def _params_from_json(cls, params: dict) -> dict:
        return params

    def _attributes_from_json(self, attrs: dict) -> None:
        """Undo JSON's key stringification where an attribute needs int keys."""


def load_model(path) -> BaseTopicModel:
    """Load any model saved with ``save(path)``."""
    return BaseTopicModel.load(path)


# ---------------------------------------------------------------------------------------------
# gensim LDA
# ---------------------------------------------------------------------------------------------


class _GensimLogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _capture_gensim_warnings() -> Iterator[_GensimLogCapture]:
    """Collect gensim's logged warnings (e.g. "too few updates") so fit can surface them."""
    handler = _GensimLogCapture()
    gensim_logger = logging.getLogger("gensim")
    old_level = gensim_logger.level
    # gensim warns through logging, which an application may have silenced; make sure the
    # records are created while fitting, without changing what the application shows.
    if gensim_logger.getEffectiveLevel() > logging.WARNING:
        gensim_logger.setLevel(logging.WARNING)
    gensim_logger.addHandler(handler)
    try:
        yield handler
    finally:
        gensim_logger.removeHandler(handler)
        gensim_logger.setLevel(old_level)


def _dirichlet_expectation(alpha: np.ndarray) -> np.ndarray:
    from scipy.special import psi

    if alpha.ndim == 1:
        return psi(alpha) - psi(np.sum(alpha))
    return psi(alpha) - psi(np.sum(alpha, axis=1))[:, np.newaxis]


class LdaTopicModel(BaseTopicModel):
    """Latent Dirichlet allocation (Blei, Ng & Jordan 2003) by online variational Bayes (gensim).

    Parameters
    ----------
    n_topics : int
        K, the number of topics.
    passes, iterations : int
        Passes over the corpus, and the per-document E-step iteration cap. Both explicit: gensim's
        defaults (1, 50) warn "too few updates"; that warning is collected in ``fit_warnings_``
        and re-issued as a :class:`TopicModelWarning`.
    alpha : 'symmetric' | 'asymmetric' | 'auto' | float | sequence of K floats
        α, the Dirichlet prior on θ_d ('auto' learns it; not available in ``mode='fast'``).
    eta : None | 'auto' | float | sequence of V floats
        η, the Dirichlet prior on β_k (None: symmetric 1/K).
    random_state : int
        Seed. In ``mode='deterministic'`` the same seed, corpus order and chunksize give
        identical ``topic_word_`` and ``doc_topic_`` (tested with ``np.array_equal``).
    mode : 'deterministic' | 'fast'
        ``LdaModel`` (reproducible) or ``LdaMulticore`` (parallel E-step; NOT reproducible even
        with ``random_state`` — recorded in :meth:`manifest_info`).
    chunksize : int
        Documents per online update (also the batch size of ``transform``).
    workers : int | None
        Worker processes for ``mode='fast'`` (None: CPUs - 1). Ignored in deterministic mode.
    eval_every : int | None
        Log perplexity every that many updates (None: never; it costs a pass each time).
    minimum_probability : float
        Passed to gensim for its own ``model_[bow]`` calls, floored at 1e-8 as gensim does.
        ``doc_topic_`` and ``transform`` do not use it: they normalise the full variational γ_d, so
        no topic is ever dropped (gensim's ``get_document_topics`` drops topics below the
        threshold, and rows then do not sum to 1).

    Attributes
    ----------
    model_ : gensim LdaModel or LdaMulticore
    topic_word_ : ndarray (K, V) — β_k, λ_k normalised (gensim ``get_topics``), float64.
    doc_topic_ : ndarray (D, K) — θ_d = γ_d / Σ_k γ_dk from a final E-step with the fitted β.
    per_word_bound_ : float — the variational lower bound on log p(corpus) divided by the number
        of tokens (natural log; gensim's ``log_perplexity`` on the training corpus).
    n_iter_ : int — passes made.
    """

    def __init__(self, n_topics: int = 20, *, passes: int = 10, iterations: int = 100,
                 alpha="symmetric", eta=None, random_state: int = 0,
                 mode: str = "deterministic", chunksize: int = 2000, workers: int | None = None,
                 eval_every: int | None = None, minimum_probability: float = 1e-8):
        self.n_topics = n_topics
        self.passes = passes
        self.iterations = iterations
        self.alpha = alpha
        self.eta = eta
        self.random_state = random_state
        self.mode = mode
        self.chunksize = chunksize
        self.workers = workers
        self.eval_every = eval_every
        self.minimum_probability = minimum_probability

    # -- validation ----------------------------------------------------------------------------
    def _check_common_params(self) -> None:
        for name in ("passes", "iterations", "chunksize"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise UserError(f"{name} must be a positive integer (got {value!r})")
        if self.mode not in ("deterministic", "fast"):
            raise UserError(f"mode must be 'deterministic' (gensim LdaModel, reproducible) or "
                            f"'fast' (LdaMulticore, not reproducible); got {self.mode!r}")
        if not isinstance(self.random_state, (int, np.integer)) or isinstance(self.random_state, bool):
            raise UserError(f"random_state must be an integer seed (got {self.random_state!r}): "
                            "results must be reproducible")
        if self.mode == "fast" and isinstance(self.alpha, str) and self.alpha == "auto":
            raise UserError("alpha='auto' is not available with mode='fast' (LdaMulticore): use "
                            "mode='deterministic' or a fixed alpha")
        if self.workers is not None and (not isinstance(self.workers, (int, np.integer))
                                         or self.workers < 1):
            raise UserError(f"workers must be a positive integer or None (got {self.workers!r})")
        if self.eval_every is not None and (not isinstance(self.eval_every, (int, np.integer))
                                            or self.eval_every < 1):
            raise UserError(f"eval_every must be a positive integer or None (got {self.eval_every!r})")

    def _check_alpha(self, n_topics: int) -> None:
        a = self.alpha
        if isinstance(a, str):
            if a not in ("symmetric", "asymmetric", "auto"):
                raise UserError(f"alpha must be 'symmetric', 'asymmetric', 'auto', a positive "
                                f"number or K positive numbers (got {a!r})")
        elif np.ndim(a) == 0:
            if not float(a) > 0:
                raise UserError(f"alpha must be positive (got {a!r})")
        elif np.shape(a) != (n_topics,) or np.any(np.asarray(a, dtype=float) <= 0):
            raise UserError(f"alpha as a sequence needs {n_topics} positive values (one per topic)")

    def _resolve_n_topics(self, dictionary) -> int:
        k = self.n_topics
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise UserError(f"n_topics must be a positive integer (got {k!r})")
        return int(k)

    def _eta_prior(self, dictionary, n_topics: int):
        e = self.eta
        if e is None or (isinstance(e, str) and e in ("symmetric", "auto")):
            return e
        if isinstance(e, str):
            raise UserError(f"eta must be None, 'auto', a positive number or V positive "
                            f"numbers (got {e!r})")
        arr = np.asarray(e, dtype=np.float64)
        if arr.ndim == 0:
            if not float(arr) > 0:
                raise UserError(f"eta must be positive (got {e!r})")
            return float(arr)
        if arr.shape not in ((len(dictionary),), (n_topics, len(dictionary))) or np.any(arr <= 0):
            raise UserError(f"eta as an array must be positive with shape (V,)=({len(dictionary)},) "
                            f"or (K, V)=({n_topics}, {len(dictionary)})")
        return arr

    # -- fit -----------------------------------------------------------------------------------
    def fit(self, corpus, dictionary, covariates=None) -> "LdaTopicModel":
        """Fit on a restartable BoW corpus; returns self."""
        from gensim.models import LdaModel, LdaMulticore

        started = time.perf_counter()
        if covariates is not None:
            raise UserError(f"{type(self).__name__} does not use covariates: use SeededDmrModel "
                            "to let covariates shift topic prevalence, or pass covariates=None")
        self._check_common_params()
        n_terms = self._start_fit(dictionary)
        n_topics = self._resolve_n_topics(dictionary)
        self._check_alpha(n_topics)
        eta = self._eta_prior(dictionary, n_topics)
        stats = scan_corpus(corpus, n_terms)
        kwargs = dict(id2word=dictionary, num_topics=n_topics,
                      passes=int(self.passes), iterations=int(self.iterations),
                      alpha=self.alpha if isinstance(self.alpha, str) or np.ndim(self.alpha) == 0
                      else np.asarray(self.alpha, dtype=np.float64),
                      eta=eta, random_state=int(self.random_state),
                      chunksize=int(self.chunksize), eval_every=self.eval_every,
                      minimum_probability=max(float(self.minimum_probability), MIN_PROBABILITY_FLOOR))
        with _capture_gensim_warnings() as captured:
            # Built without the corpus and then updated: what gensim's constructor does itself,
            # with room in between for a seeded start.
            if self.mode == "fast":
                model = LdaMulticore(workers=self.workers, **kwargs)
            else:
                model = LdaModel(**kwargs)
            if self._start_from_prior:
                # gensim computes the first E-step's exp(E[log β]) from the random initial
                # statistics alone, ignoring η, so a seed prior could not steer the first topic
                # assignments and the topics would come out in arbitrary order. Use λ = η +
                # statistics, the same λ every later E-step uses.
                model.expElogbeta = np.exp(
                    _dirichlet_expectation(model.state.get_lambda().astype(np.float64))
                ).astype(model.dtype)
            model.update(corpus)
        for message in captured.messages:
            self.fit_warnings_.append(f"gensim: {message}")
            warnings.warn(f"gensim: {message}", TopicModelWarning, stacklevel=2)
        self.model_ = model
        self.n_iter_ = int(self.passes)
        self.topic_word_ = _normalise_rows(model.get_topics(), "topic_word_")
        self.doc_topic_, self.per_word_bound_ = self._infer(corpus, with_bound=True,
                                                            n_words=stats.n_words)
        self.bound_kind_ = "variational_bound_per_word"
        self._after_gensim_fit(dictionary)
        self._finish_fit(stats, dictionary, started)
        return self

    #: Seeded subclasses start the first E-step from λ = η + noise (see ``fit``).
    _start_from_prior = False

    def _after_gensim_fit(self, dictionary) -> None:
        """Hook for subclasses (seeded labels)."""

    def _infer(self, corpus, *, with_bound: bool = False, n_words: float | None = None):
        """θ for every document by gensim's E-step, in chunks, with the inference RNG reset to
        ``random_state`` first (gensim initialises γ randomly; resetting makes ``transform``
        return the same matrix for the same input every time)."""
        from scipy.special import gammaln, logsumexp

        model = self.model_
        model.random_state = np.random.RandomState(int(self.random_state))
        rows: list[np.ndarray] = []
        score = 0.0
        if with_bound:
            lam = model.state.get_lambda().astype(np.float64)
            elog_beta = _dirichlet_expectation(lam)
            alpha = np.asarray(model.alpha, dtype=np.float64)
        for chunk in _chunks(corpus, int(self.chunksize)):
            gamma, _ = model.inference(chunk)
            rows.append(np.asarray(gamma, dtype=np.float64))
            if with_bound:
                for doc, gammad in zip(chunk, np.asarray(gamma, dtype=np.float64)):
                    elog_theta = _dirichlet_expectation(gammad)
                    if doc:
                        ids = np.fromiter((int(i) for i, _ in doc), dtype=np.int64, count=len(doc))
                        cts = np.fromiter((c for _, c in doc), dtype=np.float64, count=len(doc))
                        score += float(cts @ logsumexp(elog_theta[:, None] + elog_beta[:, ids], axis=0))
                    score += float(np.sum((alpha - gammad) * elog_theta))
                    score += float(np.sum(gammaln(gammad) - gammaln(alpha)))
                    score += float(gammaln(alpha.sum()) - gammaln(gammad.sum()))
        gamma_all = np.vstack(rows) if rows else np.zeros((0, model.num_topics))
        theta = _normalise_rows(gamma_all, "doc_topic_") if len(gamma_all) else gamma_all
        if not with_bound:
            return theta
        # E[log p(β | η) - log q(β | λ)], as gensim's LdaModel.bound, with per-topic Σ_v η_kv so a
        # seeded (K × V) η is handled exactly.
        eta = np.broadcast_to(np.asarray(model.eta, dtype=np.float64), lam.shape)
        score += float(np.sum((eta - lam) * elog_beta))
        score += float(np.sum(gammaln(lam) - gammaln(eta)))
        score += float(np.sum(gammaln(eta.sum(axis=1)) - gammaln(lam.sum(axis=1))))
        return theta, score / float(n_words)

    def transform(self, corpus, covariates=None) -> np.ndarray:
        """θ_d (D × K, rows sum to 1) for documents of a BoW corpus built with the same dictionary."""
        self._check_fitted()
        if covariates is not None:
            raise UserError(f"{type(self).__name__} does not use covariates: pass covariates=None")
        scan_corpus(corpus, len(self.vocabulary_), what="transform corpus")
        return self._infer(corpus)

    # -- manifest / persistence ----------------------------------------------------------------
    def _library_name(self) -> str:
        return "gensim.models.LdaMulticore" if self.mode == "fast" else "gensim.models.LdaModel"

    def _determinism(self) -> tuple[bool, str]:
        if self.mode == "fast":
            return False, ("LdaMulticore: results differ between runs even with the same "
                           "random_state (worker scheduling changes update order); use "
                           "mode='deterministic' for replication")
        return True, ("LdaModel: same random_state, corpus order, chunksize and parameters give "
                      "identical topic_word_ and doc_topic_; transform resets the inference "
                      "RNG to random_state")

    def _native_save(self, folder: Path) -> None:
        native = folder / "gensim"
        native.mkdir(exist_ok=True)
        self.model_.save(str(native / "lda"))

    def _native_load(self, folder: Path) -> None:
        from gensim.models import LdaModel

        self.model_ = LdaModel.load(str(folder / "gensim" / "lda"))


class SeededLdaModel(LdaTopicModel):
    """LDA with seed words: η (K × V) built by hand (gensim ``LdaModel(eta=matrix)``).

    Topics ``0 .. C·topics_per_category - 1`` belong to the C categories of ``seed_words`` in
    mapping order; the ``n_free_topics`` that follow are unseeded. For a seed word v of category c,
    η_kv = ``seed_weight`` on c's topics; with ``other_topic_seed_eta`` set, η_kv on every other
    topic is that (small) value, so the seed is pushed towards its own category (keyATM-style);
    all other entries are ``base_eta``. Because gensim's initial λ is η plus Gamma(100, 1/100)
    noise (≈ 1), ``seed_weight`` acts both as a pseudo-count and as the starting push; on a large
    corpus raise it until each seeded topic keeps its seeds among its top words (check with
    ``nlp.labels``), and report the value.

    Parameters beyond :class:`LdaTopicModel`: ``seed_words`` (Mapping category → seed words),
    ``n_free_topics``, ``topics_per_category``, ``seed_weight``, ``base_eta``,
    ``other_topic_seed_eta``. K is derived: ``n_topics_ = C · topics_per_category + n_free_topics``.

    Extra attributes: ``topic_labels_`` (topic id → category or 'free'), ``seed_words_`` (seeds
    found in the vocabulary), ``missing_seeds_`` (category → seeds not in the vocabulary; also
    warned about), ``shared_seeds_`` (word → categories), ``eta_`` (the K × V prior).
    """

    def __init__(self, seed_words: Mapping[str, Sequence[str]] | None = None, n_free_topics: int = 10,
                 *, topics_per_category: int = 1, seed_weight: float = 5.0,
                 base_eta: float = 0.01, other_topic_seed_eta: float | None = None,
                 passes: int = 10, iterations: int = 100, alpha="symmetric",
                 random_state: int = 0, mode: str = "deterministic", chunksize: int = 2000,
                 workers: int | None = None, eval_every: int | None = None,
                 minimum_probability: float = 1e-8):
        self.seed_words = seed_words
        self.n_free_topics = n_free_topics
        self.topics_per_category = topics_per_category
        self.seed_weight = seed_weight
        self.base_eta = base_eta
        self.other_topic_seed_eta = other_topic_seed_eta
        self.passes = passes
        self.iterations = iterations
        self.alpha = alpha
        self.random_state = random_state
        self.mode = mode
        self.chunksize = chunksize
        self.workers = workers
        self.eval_every = eval_every
        self.minimum_probability = minimum_probability

    def _resolve_n_topics(self, dictionary) -> int:
        for name in ("seed_weight", "base_eta"):
            value = getattr(self, name)
            if not isinstance(value, (int, float, np.number)) or not value > 0:
                raise UserError(f"{name} must be a positive number (got {value!r})")
        if self.other_topic_seed_eta is not None and not (
                isinstance(self.other_topic_seed_eta, (int, float, np.number))
                and 0 < self.other_topic_seed_eta):
            raise UserError(f"other_topic_seed_eta must be None or a positive number "
                            f"(got {self.other_topic_seed_eta!r})")
        self._layout = build_seed_layout(self.seed_words, dictionary.token2id,
                                         self.topics_per_category, self.n_free_topics)
        _report_seeds(self, self._layout)
        return self._layout.n_topics

    _start_from_prior = True

    def _eta_prior(self, dictionary, n_topics: int) -> np.ndarray:
        self.eta_ = self._layout.prior_matrix(dictionary.token2id, len(dictionary),
                                              self.base_eta, self.seed_weight,
                                              self.other_topic_seed_eta)
        return self.eta_

    def _after_gensim_fit(self, dictionary) -> None:
        layout = self._layout
        self.topic_labels_ = layout.topic_labels()
        self.seed_words_ = layout.seeds_in_vocab
        self.missing_seeds_ = layout.missing
        self.shared_seeds_ = layout.shared

    def _extra_manifest(self) -> dict[str, Any]:
        if not hasattr(self, "topic_labels_"):
            return {}
        return {"topic_labels": self.topic_labels_, "seed_words_in_vocabulary": self.seed_words_,
                "missing_seeds": self.missing_seeds_, "shared_seeds": self.shared_seeds_}

    _SAVED_ATTRS = LdaTopicModel._SAVED_ATTRS + ("topic_labels_", "seed_words_",
                                                 "missing_seeds_", "shared_seeds_")
    _SAVED_ARRAYS = LdaTopicModel._SAVED_ARRAYS + ("eta_",)

    def _attributes_from_json(self, attrs: dict) -> None:
        if "topic_labels_" in attrs:
            self.topic_labels_ = {int(k): v for k, v in attrs["topic_labels_"].items()}


# ---------------------------------------------------------------------------------------------
# tomotopy DMR / GDMR
# ---------------------------------------------------------------------------------------------

_ALL_CELL = "(all)"


_PROGRESS_EVERY_S = 2.0


class _FitProgress:
    """Progress lines for a long fit step: count, rate and time left, at most one every
    ``_PROGRESS_EVERY_S`` seconds (and always the last)."""

    def __init__(self, say: Callable[[str], None] | None, what: str, unit: str,
                 total: int) -> None:
        self.say, self.what, self.unit, self.total = say, what, unit, total
        self.every = _PROGRESS_EVERY_S
        self.started = self.last = time.perf_counter()

    def update(self, done: int, extra: str = "") -> None:
        if self.say is None:
            return
        now = time.perf_counter()
        if done < self.total and now - self.last < self.every:
            return
        self.last = now
        elapsed = now - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (self.total - done) / rate if rate > 0 else float("nan")
        self.say(f"{self.what}: {done:,}/{self.total:,} {self.unit} "
                 f"({100 * done / max(self.total, 1):.0f}%), {rate:,.1f} {self.unit}/s, "
                 f"{'?' if math.isnan(left) else f'{left:,.0f}'} s left{extra}")


def _joint_infer(model: "SeededDmrModel", run: list) -> tuple[list[int], np.ndarray]:
    """θ of one run of (d, words, metadata kwargs), sampled jointly on one thread."""
    tm = model.model_
    docs = [tm.make_doc(words, **kwargs) for _, words, kwargs in run]
    result, _ = tm.infer(docs, iterations=int(model.infer_iterations), workers=1, together=True)
    return [d for d, _, _ in run], np.asarray(result, dtype=np.float64)


_JOINT_INFER_MODEL: "SeededDmrModel | None" = None   # set once in each forked worker process


def _joint_infer_init(model: "SeededDmrModel") -> None:
    global _JOINT_INFER_MODEL
    _JOINT_INFER_MODEL = model


def _joint_infer_run(run: list) -> tuple[list[int], np.ndarray, dict]:
    from zhengce.common.memory import process_peak

    ds, rows = _joint_infer(_JOINT_INFER_MODEL, run)
    return ds, rows, process_peak("infer worker")


def _is_missing(value) -> bool:
    """None/NaN/NA scalars; containers and strings are values (an empty list means 'none')."""
    if value is None:
        return True
    if isinstance(value, (str, bytes, list, tuple, set, dict, np.ndarray)):
        return False
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


class SeededDmrModel(BaseTopicModel):
    """Dirichlet-multinomial regression topic model (tomotopy ``DMRModel``; ``GDMRModel`` when
    ``numeric_columns`` are given), optionally seeded.

    Document covariates x_d enter the prior on θ_d: α_dk = exp(λ_k · x_d) + ε, so differences in
    topic prevalence between covariate cells (e.g. central vs local, before vs after WTO entry) are
    estimated inside the model, with uncertainty handled by the model rather than by averaging
    θ after the fact (the STM/keyATM approach; Mimno & McCallum 2008).

    Covariates (a DataFrame aligned with the corpus):

    - ``cell_columns`` (default ``('level', 'period')``): their values are combined into one
      categorical cell per document ("level=central|period=post"); each cell gets its own λ
      intercept vector (a full interaction, like STM's ``~ level * period``).
    - ``feature_columns``: extra categorical features added to x_d as indicator variables
      (tomotopy ``multi_metadata``); a list-valued entry (e.g. several sectors) sets several.
    - ``numeric_columns`` (e.g. ``('year',)``): continuous covariates, modelled by Legendre
      polynomials of degree ``degrees`` (tomotopy ``GDMRModel``).

    Seeds (optional, as in :class:`SeededLdaModel`): with ``seed_words`` the first
    C · ``topics_per_category`` topics are seeded through tomotopy word priors
    (``set_word_prior``): η_kv = ``seed_weight`` on the category's topics, ``other_topic_seed_eta``
    (if set) on the others; every other word has η = ``base_eta``. Without seeds, K =
    ``n_free_topics``.

    Determinism: with ``workers=1`` and a fixed ``random_state`` tomotopy's Gibbs sampler gives
    identical ``doc_topic_`` and ``topic_word_`` (tested with ``np.array_equal``); with more
    workers tomotopy itself warns the result may differ, and ``manifest_info`` records
    ``deterministic: False``. ``transform`` (tomotopy ``infer``) returns the same output for the
    same input and model.

    Attributes
    ----------
    model_ : tomotopy DMRModel / GDMRModel
    topic_word_ : (K, V) β_k — (n_kv + η_kv) / Σ_v (n_kv + η_kv) over the dictionary (words of the
        dictionary absent from the training corpus keep their prior pseudo-count η_kv).
    doc_topic_ : (D, K) θ_d from the final Gibbs state, (n_dk + α_dk) / (n_d + Σ α_dk); empty
        documents get the prior mean for their covariates.
    lambda_ : ndarray (K, n_cells, 1 + n_features) for DMR — λ: entry [k, c, 0] is the log prior
        weight of topic k in cell c, entry [k, c, 1 + j] the effect of feature j in that cell
        (tomotopy ``lambda_``). For GDMR the last axis holds Legendre-polynomial coefficients.
    covariate_cells_ : list of cell names, the order of ``lambda_``'s second axis.
    covariate_features_ : list of feature names ("sector=C26"), the order of its third axis.
    numeric_range_ : list of (min, max) of each numeric covariate in the training data (GDMR).
    per_word_bound_ : tomotopy ``ll_per_word`` of the final Gibbs state (``bound_kind_`` says so).
    n_iter_ : Gibbs iterations run.
    ll_trace_ : [(sweep, ll_per_word)] read every ``check_every`` sweeps (with ``tol``), else the
        final state only; ``converged_`` True when ``tol`` stopped sampling early, False when it
        ran all ``iterations``, None without ``tol``.
    n_train_docs_, n_inferred_docs_ : documents the sampler trained on, and documents whose θ_d
        was inferred afterwards (``max_train_docs``).
    infer_worker_peaks_ : peak memory of each inference worker process of the last fit or
        transform (``infer_batch`` > 1 with ``infer_workers`` > 1), empty otherwise.

    Large corpora: ``max_train_docs`` trains on a random sample of that many documents,
    stratified by covariate cell (``random_state``), and infers θ_d of the others with the fitted
    model (tomotopy ``infer``, ``infer_iterations`` sweeps on ``infer_workers`` threads or
    processes; the result is the same on any number of them — tested). λ and β are then estimated
    from the sample; θ of every document is on the same scale.

    ``infer_batch``: with 1 (the default) each document is inferred on its own, so its θ depends
    on nothing else. tomotopy then copies the whole sampler state (K × V topic-word counts) for
    every document, whatever the number of sweeps. With ``infer_batch`` = B > 1, runs of B
    consecutive documents are sampled jointly (tomotopy ``together=True``): the state is copied
    once per run, and the run's own tokens join the topic-word counts while it is sampled (100
    documents are ~2 % of 6,000 training documents' tokens). tests/bench/bench_dmr_infer.py
    (1,997 held-out real-text documents, K = 50, V = 18,202, 20 sweeps, one thread, 2026-12-06):
    each alone 3.4 ms a document, runs of 100 1.0 ms; θ in runs of 100 vs the same documents in
    runs shifted by 50: r = 0.9934, same top topic 96.2 %; the sampler's own noise (each alone,
    20 vs 200 sweeps): r = 0.9935, 96.0 %. So the run changes θ as much as the sampler's noise
    does, no more. Runs are fixed by corpus order, so the same corpus gives the same θ; they are
    independent of each other, so worker processes (forked, ``infer_workers``) do not change θ.

    ``tol`` stops sampling once the per-word log-likelihood changes by less than
    ``tol`` (relative) over ``check_every`` sweeps — the Gibbs analogue of STM's ``emtol``; the
    trace is kept in ``ll_trace_`` and the manifest.
    """

    def __init__(self, seed_words: Mapping[str, Sequence[str]] | None = None,
                 n_free_topics: int = 10, *, topics_per_category: int = 1,
                 seed_weight: float = 5.0, base_eta: float = 0.01,
                 other_topic_seed_eta: float | None = None,
                 cell_columns: Sequence[str] = ("level", "period"),
                 feature_columns: Sequence[str] = (), numeric_columns: Sequence[str] = (),
                 degrees: int | Sequence[int] = 3, alpha: float = 0.1, sigma: float = 1.0,
                 sigma0: float = 3.0, alpha_epsilon: float = 1e-10, iterations: int = 1000,
                 burn_in: int = 0, optim_interval: int = 10, infer_iterations: int = 100,
                 workers: int = 1, max_train_docs: int | None = None, tol: float | None = None,
                 check_every: int = 25, infer_workers: int | None = 1, infer_batch: int = 1,
                 random_state: int = 0):
        self.seed_words = seed_words
        self.n_free_topics = n_free_topics
        self.topics_per_category = topics_per_category
        self.seed_weight = seed_weight
        self.base_eta = base_eta
        self.other_topic_seed_eta = other_topic_seed_eta
        self.cell_columns = cell_columns
        self.feature_columns = feature_columns
        self.numeric_columns = numeric_columns
        self.degrees = degrees
        self.alpha = alpha
        self.sigma = sigma
        self.sigma0 = sigma0
        self.alpha_epsilon = alpha_epsilon
        self.iterations = iterations
        self.burn_in = burn_in
        self.optim_interval = optim_interval
        self.infer_iterations = infer_iterations
        self.workers = workers
        self.max_train_docs = max_train_docs
        self.tol = tol
        self.check_every = check_every
        self.infer_workers = infer_workers
        self.infer_batch = infer_batch
        self.random_state = random_state

    # -- validation ----------------------------------------------------------------------------
    def _check_params(self) -> None:
        for name in ("iterations", "infer_iterations", "optim_interval", "workers", "check_every"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise UserError(f"{name} must be a positive integer (got {value!r})")
        if not isinstance(self.burn_in, (int, np.integer)) or self.burn_in < 0:
            raise UserError(f"burn_in must be an integer >= 0 (got {self.burn_in!r})")
        if self.max_train_docs is not None and (
                not isinstance(self.max_train_docs, (int, np.integer)) or self.max_train_docs < 1):
            raise UserError(f"max_train_docs must be None (all documents) or a positive integer "
                            f"(got {self.max_train_docs!r})")
        if self.tol is not None and not (isinstance(self.tol, (int, float, np.number))
                                         and 0 < self.tol < 1):
            raise UserError(f"tol must be None (run every iteration) or a number in (0, 1), e.g. "
                            f"1e-3 (got {self.tol!r})")
        if not isinstance(self.infer_batch, (int, np.integer)) or self.infer_batch < 1:
            raise UserError(f"infer_batch must be a positive integer (1: each document inferred "
                            f"on its own) (got {self.infer_batch!r})")
        if self.infer_workers is not None and (
                not isinstance(self.infer_workers, (int, np.integer)) or self.infer_workers < 1):
            raise UserError(f"infer_workers must be None (all cores) or a positive integer "
                            f"(got {self.infer_workers!r})")
        if not isinstance(self.random_state, (int, np.integer)) or isinstance(self.random_state, bool) \
                or self.random_state < 0:
            raise UserError(f"random_state must be a non-negative integer seed "
                            f"(got {self.random_state!r})")
        for name in ("alpha", "sigma", "sigma0", "alpha_epsilon", "base_eta", "seed_weight"):
            value = getattr(self, name)
            if not isinstance(value, (int, float, np.number)) or not value > 0:
                raise UserError(f"{name} must be a positive number (got {value!r})")
        if self.other_topic_seed_eta is not None and not (
                isinstance(self.other_topic_seed_eta, (int, float, np.number))
                and self.other_topic_seed_eta > 0):
            raise UserError(f"other_topic_seed_eta must be None or a positive number "
                            f"(got {self.other_topic_seed_eta!r})")
        for name in ("cell_columns", "feature_columns", "numeric_columns"):
            cols = getattr(self, name)
            if isinstance(cols, str):
                raise UserError(f"{name} must be a list of column names, not the string "
                                f"{cols!r}: write {name}=[{cols!r}]")
            if not all(isinstance(c, str) for c in cols):
                raise UserError(f"{name} must be a list of column names (got {cols!r})")
        all_cols = [*self.cell_columns, *self.feature_columns, *self.numeric_columns]
        if len(set(all_cols)) != len(all_cols):
            raise UserError(f"a covariate column is listed twice across cell_columns, "
                            f"feature_columns and numeric_columns: {all_cols}")

    def _degrees(self) -> list[int]:
        n = len(self.numeric_columns)
        degrees = [self.degrees] * n if isinstance(self.degrees, (int, np.integer)) else list(self.degrees)
        if len(degrees) != n or not all(isinstance(d, (int, np.integer)) and d >= 0 for d in degrees):
            raise UserError(f"degrees must be one integer >= 0 or one per numeric column "
                            f"({n}: {list(self.numeric_columns)}); got {self.degrees!r}")
        return [int(d) for d in degrees]

    @property
    def _uses_covariates(self) -> bool:
        return bool(self.cell_columns or self.feature_columns or self.numeric_columns)

    # -- covariate encoding --------------------------------------------------------------------
    def _encode_covariates(self, covariates, n_docs: int, what: str = "covariates"):
        """Per document: (cell string, feature list, numeric list)."""
        if not self._uses_covariates:
            if covariates is not None:
                raise UserError(f"{what} were given but cell_columns, feature_columns and "
                                "numeric_columns are all empty: name the columns to use")
            return [_ALL_CELL] * n_docs, [[] for _ in range(n_docs)], [[] for _ in range(n_docs)]
        import pandas as pd

        if covariates is None:
            raise UserError(f"{type(self).__name__} needs {what}: pass a DataFrame with columns "
                            f"{[*self.cell_columns, *self.feature_columns, *self.numeric_columns]} "
                            "aligned with the corpus")
        if not isinstance(covariates, pd.DataFrame):
            raise UserError(f"{what} must be a pandas DataFrame (got {type(covariates).__name__})")
        if len(covariates) != n_docs:
            raise UserError(f"{what} has {len(covariates)} rows but the corpus has {n_docs} "
                            "documents: align them (one row per document, same order)")
        needed = [*self.cell_columns, *self.feature_columns, *self.numeric_columns]
        absent = [c for c in needed if c not in covariates.columns]
        if absent:
            raise UserError(f"{what} lacks column(s) {absent}: add them or change "
                            "cell_columns/feature_columns/numeric_columns")
        index = list(covariates.index)
        cells: list[str] = []
        features: list[list[str]] = []
        numerics: list[list[float]] = []
        cell_values = [covariates[c].tolist() for c in self.cell_columns]
        feature_values = [covariates[c].tolist() for c in self.feature_columns]
        numeric_values = [covariates[c].tolist() for c in self.numeric_columns]
        for i in range(n_docs):
            parts = []
            for col, values in zip(self.cell_columns, cell_values):
                v = values[i]
                if _is_missing(v):
                    raise UserError(f"{what} row {index[i]!r}: column {col!r} is missing: fill "
                                    "it (e.g. 'unknown') or drop the document before fitting")
                parts.append(f"{col}={v}")
            cells.append("|".join(parts) if parts else _ALL_CELL)
            feats: list[str] = []
            for col, values in zip(self.feature_columns, feature_values):
                v = values[i]
                items = list(v) if isinstance(v, (list, tuple, set, np.ndarray)) else [v]
                for item in items:
                    if _is_missing(item):
                        raise UserError(f"{what} row {index[i]!r}: column {col!r} is missing: "
                                        "use an empty list for 'no value' or fill it")
                    name = f"{col}={item}"
                    if name not in feats:
                        feats.append(name)
            features.append(feats)
            nums: list[float] = []
            for col, values in zip(self.numeric_columns, numeric_values):
                v = values[i]
                try:
                    x = float(v)
                except (TypeError, ValueError):
                    x = float("nan")
                if not math.isfinite(x):
                    raise UserError(f"{what} row {index[i]!r}: numeric column {col!r} has "
                                    f"{v!r}: fill or drop it before fitting")
                nums.append(x)
            numerics.append(nums)
        return cells, features, numerics

    # -- fit -----------------------------------------------------------------------------------
    def _make_tomotopy(self, n_topics: int):
        import tomotopy as tp

        if self.numeric_columns:
            # metadata_range is left to tomotopy (taken from the data): passing it segfaults
            # tomotopy 0.14.0's GDMRModel constructor.
            return tp.GDMRModel(k=n_topics, degrees=self._degrees(), alpha=float(self.alpha),
                                eta=float(self.base_eta), sigma=float(self.sigma),
                                sigma0=float(self.sigma0), alpha_epsilon=float(self.alpha_epsilon),
                                seed=int(self.random_state))
        return tp.DMRModel(k=n_topics, alpha=float(self.alpha), eta=float(self.base_eta),
                           sigma=float(self.sigma), alpha_epsilon=float(self.alpha_epsilon),
                           seed=int(self.random_state))

    @staticmethod
    def _words(doc, vocabulary: list[str]) -> list[str]:
        words: list[str] = []
        for word_id, count in doc:
            n = int(round(count))
            if n != count:
                raise UserError(f"count {count} is not a whole number: tomotopy samples one topic "
                                "per token, so pass raw term counts (not tf-idf)")
            words.extend([vocabulary[word_id]] * n)
        return words

    def fit(self, corpus, dictionary, covariates=None, *,
            progress: Callable[[str], None] | None = None) -> "SeededDmrModel":
        """Fit on a restartable BoW corpus with its covariates (DataFrame aligned with it).

        ``progress``: called with a line of text every few seconds while the sampler trains
        (sweeps, rate, time left at most — ``tol`` may stop it sooner — and the per-word
        log-likelihood) and while held-out documents are inferred, and with a one-line summary
        at the end. It does not change the result: sweeps in blocks give exactly the state of one
        call (tested)."""
        started = time.perf_counter()
        self._check_params()
        n_terms = self._start_fit(dictionary)
        if self.numeric_columns:
            self._degrees()
        if self.seed_words is not None:
            layout = build_seed_layout(self.seed_words, dictionary.token2id,
                                       self.topics_per_category, self.n_free_topics)
            _report_seeds(self, layout)
            n_topics = layout.n_topics
        else:
            layout = None
            if not isinstance(self.n_free_topics, (int, np.integer)) or self.n_free_topics < 1:
                raise UserError(f"without seed_words, n_free_topics is K and must be >= 1 "
                                f"(got {self.n_free_topics!r})")
            n_topics = int(self.n_free_topics)
        n_declared = check_restartable(corpus)
        cells, features, numerics = self._encode_covariates(covariates, n_declared)
        vocabulary = [dictionary[i] for i in range(n_terms)]

        model = self._make_tomotopy(n_topics)
        if layout is not None:
            self.eta_ = layout.prior_matrix(dictionary.token2id, n_terms, self.base_eta,
                                            self.seed_weight, self.other_topic_seed_eta)
            seeded_ids = sorted({dictionary.token2id[w] for ws in layout.seeds_in_vocab.values()
                                 for w in ws})
            for word_id in seeded_ids:
                model.set_word_prior(vocabulary[word_id], self.eta_[:, word_id].tolist())
        else:
            self.eta_ = np.full((n_topics, n_terms), float(self.base_eta))
        doc_index = np.full(n_declared, -1, dtype=np.int64)  # position in model_.docs or -1
        # drawn by covariate cell before reading the corpus, so it is read once (a drawn empty
        # document is simply not added)
        in_training = self._training_sample(cells, np.ones(n_declared))
        held_out: list[tuple[int, np.ndarray]] = []   # (d, word ids) inferred after training
        n_added = 0

        def take(d: int, doc, n_tokens: float) -> None:
            nonlocal n_added
            if n_tokens == 0:
                return
            if in_training[d]:
                model.add_doc(self._words(doc, vocabulary),
                              **self._doc_kwargs(d, cells, features, numerics))
                doc_index[d] = n_added
                n_added += 1
            else:
                ids = np.fromiter((w for w, _ in doc), dtype=np.int32, count=len(doc))
                counts = np.fromiter((c for _, c in doc), dtype=np.float64, count=len(doc))
                if not np.array_equal(counts, np.round(counts)):
                    raise UserError(f"document {d}: counts are not whole numbers: tomotopy samples "
                                    "one topic per token, so pass raw term counts (not tf-idf)")
                held_out.append((d, np.repeat(ids, counts.astype(np.int64))))

        stats = scan_corpus(corpus, n_terms, on_doc=take)
        if self.burn_in:
            model.burn_in = int(self.burn_in)
        model.optim_interval = int(self.optim_interval)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self._train(model, progress)
        for w in caught:
            if issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning)):
                # library housekeeping, not about this fit: pass it on unchanged
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
                continue
            msg = f"tomotopy: {w.message}"
            self.fit_warnings_.append(msg)
            warnings.warn(msg, TopicModelWarning, stacklevel=2)
        self.model_ = model
        self._read_model(dictionary.token2id, n_terms)

        theta = np.empty((stats.n_docs, n_topics), dtype=np.float64)
        trained = np.flatnonzero(doc_index >= 0)
        if len(trained):
            # iterate, never index: model.docs[i] raises IndexError for i > 0 in tomotopy 0.14.0
            trained_docs = list(model.docs)
            theta[trained] = np.array([trained_docs[int(doc_index[d])].get_topic_dist()
                                       for d in trained], dtype=np.float64)
        self.infer_worker_peaks_ = []
        inferred = self._infer_held_out(held_out, vocabulary, cells, features, numerics, theta,
                                        progress)
        for d in np.flatnonzero(doc_index < 0):
            if d not in inferred:
                theta[d] = self._prior_mean(cells[d], features[d], numerics[d])
        self.doc_topic_ = _normalise_rows(theta, "doc_topic_")
        self.n_train_docs_ = int(n_added)
        self.n_inferred_docs_ = len(inferred)
        self.n_iter_ = int(model.global_step)
        self.per_word_bound_ = float(model.ll_per_word)
        self.bound_kind_ = "gibbs_log_likelihood_per_word"
        if layout is not None:
            self.topic_labels_ = layout.topic_labels()
            self.seed_words_ = layout.seeds_in_vocab
            self.missing_seeds_ = layout.missing
            self.shared_seeds_ = layout.shared
        else:
            self.topic_labels_ = None
            self.seed_words_ = {}
            self.missing_seeds_ = {}
            self.shared_seeds_ = {}
        self._finish_fit(stats, dictionary, started)
        if progress is not None:
            stop = {True: "converged", False: "did not converge", None: "no tol"}[self.converged_]
            progress(f"DMR fit: {self.n_iter_:,} sweeps on {self.n_train_docs_:,} documents "
                     f"({stop}, log-likelihood per word {self.per_word_bound_:.4f}), "
                     f"{self.n_inferred_docs_:,} documents inferred, "
                     f"{time.perf_counter() - started:,.0f} s")
        return self

    def _doc_kwargs(self, d: int, cells, features, numerics) -> dict:
        kwargs = {"metadata": cells[d], "multi_metadata": features[d]}
        if self.numeric_columns:
            kwargs["numeric_metadata"] = numerics[d]
        return kwargs

    def _training_sample(self, cells, doc_lengths) -> np.ndarray:
        """Which documents the sampler trains on: all, or ``max_train_docs`` of them drawn with
        ``random_state``, stratified by covariate cell (each cell keeps its share of the corpus and
        at least min(its size, 20) documents, so λ is estimated for every cell and every held-out
        document's cell was seen in training). Empty documents are never drawn."""
        n_docs = len(doc_lengths)
        usable = np.asarray(doc_lengths) > 0
        mask = usable.copy()
        budget = self.max_train_docs
        if budget is None or int(usable.sum()) <= budget:
            return mask
        rng = np.random.default_rng(self.random_state)
        cell_of = np.asarray([str(c) for c in cells], dtype=object)
        names = sorted(set(cell_of[usable]))
        members = {c: np.flatnonzero(usable & (cell_of == c)) for c in names}
        total = int(usable.sum())
        mask[:] = False
        for c in names:
            pool = members[c]
            take = max(min(len(pool), 20), int(round(budget * len(pool) / total)))
            take = min(take, len(pool))
            mask[rng.choice(pool, size=take, replace=False)] = True
        return mask

    def _train(self, model, progress: Callable[[str], None] | None = None) -> None:
        """``iterations`` Gibbs sweeps, or fewer with ``tol``: every ``check_every`` sweeps the
        per-word log-likelihood is read and sampling stops once it changed by less than ``tol``
        (relative) over the last block. Sweeping in blocks gives exactly the state of one
        ``train`` call of the same length (tomotopy keeps its generator in the model)."""
        self.ll_trace_: list[tuple[int, float]] = []
        self.converged_ = None
        total = int(self.iterations)
        meter = _FitProgress(progress, "DMR sampler", "sweeps", total)
        if self.tol is None:
            if progress is None:
                model.train(total, workers=int(self.workers))
            else:   # in blocks only to report: the same final state
                while model.global_step < total:
                    model.train(min(int(self.check_every), total - int(model.global_step)),
                                workers=int(self.workers))
                    meter.update(int(model.global_step),
                                 f", log-likelihood per word {float(model.ll_per_word):.4f}")
            self.ll_trace_.append((int(model.global_step), float(model.ll_per_word)))
            return
        previous = None
        self.converged_ = False
        while model.global_step < total:
            step = min(int(self.check_every), total - int(model.global_step))
            model.train(step, workers=int(self.workers))
            ll = float(model.ll_per_word)
            self.ll_trace_.append((int(model.global_step), ll))
            meter.update(int(model.global_step), f" at most, log-likelihood per word {ll:.4f}")
            if previous is not None and abs(ll - previous) <= float(self.tol) * abs(previous):
                self.converged_ = True
                break
            previous = ll

    def _infer_held_out(self, held_out, vocabulary, cells, features, numerics,
                        theta: np.ndarray,
                        progress: Callable[[str], None] | None = None) -> set[int]:
        """θ of the documents left out of training (``held_out``: (d, word ids)), on
        ``infer_workers`` threads (None: the cores this process may use)."""
        if not held_out:
            return set()
        workers = self.infer_workers
        if workers is None:
            from .segment import available_cores

            workers = available_cores()
        items = ((d, [vocabulary[i] for i in ids.tolist()]) for d, ids in held_out)
        meter = _FitProgress(progress, "DMR inference", "documents", len(held_out))
        return self._infer_into(theta, items, cells, features, numerics, int(workers),
                                meter=meter)

    def _infer_into(self, theta: np.ndarray, items, cells, features, numerics,
                    workers: int, batch_size: int = 2000,
                    meter: _FitProgress | None = None) -> set[int]:
        """Write θ_d into ``theta`` for each (d, words) of ``items`` by tomotopy ``infer``; words
        the model never saw are dropped, and a document left with none is skipped (the caller
        gives it the prior mean). Returns the d's done.

        ``infer_batch`` = 1: each document on its own (``workers`` threads; the result depends
        neither on the batch nor on the number of threads — tested). ``infer_batch`` = B > 1:
        runs of B consecutive documents sampled jointly on one thread each, the runs spread over
        ``workers`` forked processes (a run's θ depends only on the run — tested)."""
        model = self.model_
        known = set(model.used_vocabs)
        joint = int(self.infer_batch)
        done: set[int] = set()
        batch: list = []
        positions: list[int] = []

        def documents():
            for d, words in items:
                words = [w for w in words if w in known]
                if words:
                    yield d, words, self._doc_kwargs(d, cells, features, numerics)

        if joint == 1:
            def flush() -> None:
                if batch:
                    result, _ = model.infer(batch, iterations=int(self.infer_iterations),
                                            workers=workers)
                    theta[positions] = np.asarray(result, dtype=np.float64)
                    done.update(positions)
                    batch.clear()
                    positions.clear()
                    if meter is not None:
                        meter.update(len(done))

            for d, words, kwargs in documents():
                batch.append(model.make_doc(words, **kwargs))
                positions.append(d)
                if len(batch) >= batch_size:
                    flush()
            flush()
            return done

        def runs():
            docs = documents()
            return iter(lambda: list(islice(docs, joint)), [])

        import multiprocessing

        # the fitted sampler cannot be pickled for a spawned process: without fork (Windows)
        # the runs are inferred here, one after another (the same θ, see the docstring)
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            from collections import deque
            from concurrent.futures import ProcessPoolExecutor
            from concurrent.futures.process import BrokenProcessPool

            # forked, so each process has the fitted sampler without pickling it; at most two
            # runs per process in flight, so a streamed corpus is never held whole
            peaks: dict[int, dict] = {}
            pending: deque = deque()

            def collect() -> None:
                ds, rows, peak = pending.popleft().result()
                theta[ds] = rows
                done.update(ds)
                peaks[peak["pid"]] = peak   # VmHWM only rises: the last report is the peak
                if meter is not None:
                    meter.update(len(done))

            try:
                with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                         initializer=_joint_infer_init,
                                         initargs=(self,)) as pool:
                    for run in runs():
                        pending.append(pool.submit(_joint_infer_run, run))
                        if len(pending) >= 2 * workers:
                            collect()
                    while pending:
                        collect()
            except BrokenProcessPool:
                raise UserError(f"an inference worker process died (out of memory?) after "
                                f"{len(done):,} documents: rerun with fewer infer_workers "
                                f"(n_jobs) or infer_workers=1") from None
            self.infer_worker_peaks_ = list(peaks.values())
            return done
        for run in runs():
            ds, rows = _joint_infer(self, run)
            theta[ds] = rows
            done.update(ds)
            if meter is not None:
                meter.update(len(done))
        return done

    def _read_model(self, token2id: Mapping[str, int], n_terms: int) -> None:
        """β over the full dictionary, λ and the covariate levels from the tomotopy model."""
        model = self.model_
        n_topics = model.k
        used = list(model.used_vocabs)
        ids = np.fromiter((token2id[w] for w in used), dtype=np.int64, count=len(used))
        raw = self.eta_.copy()  # prior pseudo-counts for words the model never saw
        for k in range(n_topics):
            raw[k, ids] = np.asarray(model.get_topic_word_dist(k, normalize=False), dtype=np.float64)
        self.topic_word_ = _normalise_rows(raw, "topic_word_")
        self.lambda_ = np.asarray(model.lambda_, dtype=np.float64)
        self.covariate_cells_ = list(model.metadata_dict)
        self.covariate_features_ = list(model.multi_metadata_dict)
        self.numeric_range_ = ([list(map(float, r)) for r in model.metadata_range]
                               if self.numeric_columns else [])

    # -- prevalence ----------------------------------------------------------------------------
    def _check_levels(self, cell: str, feats: list[str], what: str) -> None:
        if cell not in self.covariate_cells_:
            raise UserError(f"{what}: covariate cell {cell!r} did not occur in the training data "
                            f"(known: {', '.join(self.covariate_cells_)}): use a known cell or "
                            "refit with documents from it")
        unknown = [f for f in feats if f not in self.covariate_features_]
        if unknown:
            raise UserError(f"{what}: feature(s) {unknown} did not occur in the training data: "
                            "drop them or refit with documents that have them")

    def _prior_mean(self, cell: str, feats: list[str], nums: list[float]) -> np.ndarray:
        """E[θ | x] = α(x) / Σ_k α_k(x) with α_k(x) = exp(λ_k · x) + ε."""
        model = self.model_
        if self.numeric_columns:
            return np.asarray(model.tdf(nums, metadata=cell, multi_metadata=feats, normalize=True),
                              dtype=np.float64)
        alpha = np.asarray(model.get_topic_prior(cell, feats, raw=False), dtype=np.float64)
        alpha = alpha + float(self.alpha_epsilon)
        return alpha / alpha.sum()

    def prevalence(self, covariate_values) -> np.ndarray:
        """Expected topic proportions E[θ | x] for a covariate cell.

        ``covariate_values``: a mapping column → value for every cell, feature and numeric column
        (a feature may be a list or absent/empty), e.g. ``{'level': 'central', 'period': 'post'}``;
        or a DataFrame with those columns, giving one row of K proportions per row (returned as a
        DataFrame with the same index and columns ``topic_0 .. topic_{K-1}``).
        """
        import pandas as pd

        self._check_fitted()
        if isinstance(covariate_values, pd.DataFrame):
            frame = covariate_values.copy()
            for col in self.feature_columns:
                if col not in frame.columns:
                    frame[col] = [[] for _ in range(len(frame))]
            cells, feats, nums = self._encode_covariates(
                frame if self._uses_covariates else None, len(frame), what="covariate_values")
            rows = []
            for cell, f, n in zip(cells, feats, nums):
                self._check_levels(cell, f, "prevalence")
                rows.append(self._prior_mean(cell, f, n))
            return pd.DataFrame(np.vstack(rows) if rows else np.zeros((0, self.n_topics_)),
                                index=frame.index,
                                columns=[f"topic_{k}" for k in range(self.n_topics_)])
        if not isinstance(covariate_values, Mapping):
            raise UserError("covariate_values must be a mapping column -> value or a DataFrame "
                            "(e.g. {'level': 'central', 'period': 'post'})")
        values = dict(covariate_values)
        for col in self.feature_columns:
            values.setdefault(col, [])
        # one row; wrapping each value in a list keeps a list-valued feature inside one cell
        frame = pd.DataFrame({col: [value] for col, value in values.items()})
        return self.prevalence(frame).iloc[0].to_numpy()

    def lambda_frame(self):
        """λ as a long DataFrame: topic, cell, term ('(intercept)' or a feature), value (DMR)."""
        import pandas as pd

        self._check_fitted()
        if self.numeric_columns:
            terms = [f"legendre_{j}" for j in range(self.lambda_.shape[2])]
        else:
            terms = ["(intercept)", *self.covariate_features_]
        rows = [{"topic": k, "cell": cell, "term": terms[j], "value": float(self.lambda_[k, c, j])}
                for k in range(self.lambda_.shape[0])
                for c, cell in enumerate(self.covariate_cells_)
                for j in range(self.lambda_.shape[2])]
        return pd.DataFrame(rows, columns=["topic", "cell", "term", "value"])

    # -- transform -----------------------------------------------------------------------------
    def transform(self, corpus, covariates=None) -> np.ndarray:
        """θ_d for new documents (tomotopy ``infer`` with ``infer_iterations``); their covariate
        cells and features must have occurred in training. Empty documents (or documents with
        only unknown words) get the prior mean for their covariates."""
        self._check_fitted()
        stats = scan_corpus(corpus, len(self.vocabulary_), what="transform corpus")
        cells, features, numerics = self._encode_covariates(covariates, stats.n_docs)
        theta = np.empty((stats.n_docs, self.n_topics_), dtype=np.float64)

        def items():
            for d, doc in enumerate(corpus):
                self._check_levels(cells[d], features[d], f"transform document {d}")
                yield d, self._words(doc, self.vocabulary_)

        self.infer_worker_peaks_ = []
        done = self._infer_into(theta, items(), cells, features, numerics, int(self.workers))
        for d in range(stats.n_docs):
            if d not in done:
                theta[d] = self._prior_mean(cells[d], features[d], numerics[d])
        return _normalise_rows(theta, "transform")

    # -- manifest / persistence ----------------------------------------------------------------
    def _library_name(self) -> str:
        return "tomotopy.GDMRModel" if self.numeric_columns else "tomotopy.DMRModel"

    def _determinism(self) -> tuple[bool, str]:
        if int(self.workers) == 1:
            return True, ("tomotopy Gibbs sampling with workers=1 and a fixed seed gives identical "
                          "results; infer returns the same θ for the same input")
        return False, (f"workers={self.workers}: tomotopy warns results may differ between runs "
                       "with the same seed; use workers=1 for replication")

    def _extra_manifest(self) -> dict[str, Any]:
        out: dict[str, Any] = {"covariates": {"cell_columns": list(self.cell_columns),
                                              "feature_columns": list(self.feature_columns),
                                              "numeric_columns": list(self.numeric_columns)}}
        if hasattr(self, "ll_trace_"):
            out.update({"ll_trace": [list(t) for t in self.ll_trace_],
                        "converged": self.converged_,
                        "n_train_docs": getattr(self, "n_train_docs_", None),
                        "n_inferred_docs": getattr(self, "n_inferred_docs_", None)})
        if hasattr(self, "topic_word_"):
            out.update({"covariate_cells": self.covariate_cells_,
                        "covariate_features": self.covariate_features_,
                        "numeric_range": self.numeric_range_,
                        "topic_labels": self.topic_labels_,
                        "seed_words_in_vocabulary": self.seed_words_,
                        "missing_seeds": self.missing_seeds_, "shared_seeds": self.shared_seeds_})
        return out

    _SAVED_ATTRS = BaseTopicModel._SAVED_ATTRS + (
        "topic_labels_", "seed_words_", "missing_seeds_", "shared_seeds_", "covariate_cells_",
        "covariate_features_", "numeric_range_")
    _SAVED_ARRAYS = BaseTopicModel._SAVED_ARRAYS + ("eta_", "lambda_")

    def _attributes_from_json(self, attrs: dict) -> None:
        if attrs.get("topic_labels_") is not None:
            self.topic_labels_ = {int(k): v for k, v in attrs["topic_labels_"].items()}

    def _native_save(self, folder: Path) -> None:
        # DMR: full=False keeps the topic parameters only (enough for infer; θ of the training
        # documents is in arrays.npz). GDMR must be saved in full: loading a GDMRModel saved
        # with full=False segfaults in tomotopy 0.14.0.
        self.model_.save(str(folder / "tomotopy.bin"), full=bool(self.numeric_columns))

    def _native_load(self, folder: Path) -> None:
        import tomotopy as tp

        cls = tp.GDMRModel if self.numeric_columns else tp.DMRModel
        self.model_ = cls.load(str(folder / "tomotopy.bin"))


MODEL_CLASSES = {name: cls for name, cls in _REGISTRY.items()}
