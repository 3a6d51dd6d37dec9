"""Seeded LDA: a hand-built topic-word prior η pulls topics towards scheme categories."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from zhengce.common.errors import UserError

from .lda import LdaTopicModel
from .seeds import build_seed_layout, _report_seeds

class SeededLdaModel(LdaTopicModel):
    """LDA with seed words: η (K × V) built by hand (gensim ``LdaModel(eta=matrix)``).

    Topics ``0 .. C·topics_per_category - 1`` belong to the C categories of ``seed_words`` in
    mapping order; the ``n_free_topics`` that follow are unseeded. For a seed word v of category c,
    η_kv = ``seed_weight`` on c's topics; with ``other_topic_seed_eta`` set, η_kv on every other
    topic is that (small) value, so the seed is pushed towards its own category (keyATM-style);
    all other entries are ``base_eta``. Because gensim's initial λ is η plus Gamma(100, 1/100)
    noise (≈ 1), ``seed_weight`` acts both as a pseudo-count and as the starting push; on a large
    corpus raise it until each seeded topic keeps its seeds among its top words (check with
    ``nlp.topics.labels``), and report the value.

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
                 n_jobs: int | None = None, eval_every: int | None = None,
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
        self.n_jobs = n_jobs
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


