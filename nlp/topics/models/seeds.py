"""Seed words of a coding scheme laid out over topics (the seeded LDA and the seeded DMR)."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from zhengce.common.errors import UserError

from .validation import TopicModelWarning

logger = logging.getLogger(__name__)

RESERVED_LABELS = ("free", "other")



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


def normalize_seed_words(seed_words) -> dict[str, list[str]]:
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
    seeds = normalize_seed_words(seed_words)
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


