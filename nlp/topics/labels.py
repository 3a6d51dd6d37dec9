"""Topic labels: word lists, scheme scores, researcher overrides, strategy shares, store output.

From a fitted model (any class in :mod:`nlp.topics.models`) this module builds what a researcher reads and
what the analysis uses:

- topic tables: top words by β_k, FREX words and lift words (:func:`topic_table`);
- representative documents (highest θ_dk) with keyword-in-context snippets
  (:func:`representative_docs`);
- a proposed category per topic: seeded topics carry their category; other topics are scored
  against the coding scheme (directive / developmental / regulatory seed words) and get the best
  category, or ``'other'`` below a threshold (:func:`label_topics`);
- a researcher-editable mapping file (YAML or CSV, topic id → category) that overrides any label
  (:func:`write_label_file`, :func:`read_label_overrides`);
- document strategy shares: the sum of θ_dk over the topics of each category
  (:func:`strategy_shares`) — Tan's (2021) directive / developmental / regulatory mix per document;
- :func:`save_topic_run`, which writes all of it to the corpus store under a run id.

Definitions (K topics, V words, β_kv = ``topic_word[k, v]``):

- exclusivity E_kv = β_kv / Σ_j β_jv (Bischof & Airoldi 2012; STM's ``calcfrex``).
- FREX_kv = 1 / (w / F_kv + (1 - w) / X_kv), where F_kv and X_kv are the ranks of β_kv and E_kv
  among topic k's V words divided by V (the empirical CDF; ties get the average rank, as STM's
  ``data.table::frank``), and w (``frex_weight``, default 0.5) weights frequency — STM ``calcfrex``.
- lift_kv = β_kv / p_v with p_v the word's share of all corpus tokens (Taddy 2012; LDAvis).
"""

from __future__ import annotations

import csv
import json
import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from zhengce.common.errors import UserError

logger = logging.getLogger(__name__)

OTHER = "other"
FREE = "free"

#: Default thresholds below which a scored topic is labelled 'other', per scoring method.
#: 'mass': 5% of the topic's probability on one category's seed terms; 'frex_share': 10% of the
#: topic's top-N FREX words are that category's seeds. Starting points: calibrate them against a
#: hand-coded sample and report the value used.
DEFAULT_THRESHOLDS = {"mass": 0.05, "frex_share": 0.10}


# ---------------------------------------------------------------------------------------------
# Word scores
# ---------------------------------------------------------------------------------------------


def _check_topic_word(topic_word) -> np.ndarray:
    phi = np.asarray(topic_word, dtype=np.float64)
    if phi.ndim != 2 or phi.shape[0] < 1 or phi.shape[1] < 1:
        raise UserError(f"topic_word must be a K × V matrix (got shape {phi.shape})")
    if np.any(~np.isfinite(phi)) or np.any(phi < 0):
        raise UserError("topic_word has negative or non-finite entries: pass model.topic_word_")
    if not np.allclose(phi.sum(axis=1), 1.0, atol=1e-6):
        raise UserError("topic_word rows do not sum to 1: pass model.topic_word_ (β_k rows)")
    return phi


def exclusivity(topic_word) -> np.ndarray:
    """E_kv = β_kv / Σ_j β_jv (K × V)."""
    phi = _check_topic_word(topic_word)
    col = phi.sum(axis=0, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(col > 0, phi / np.where(col > 0, col, 1.0), 0.0)
    return out


def frex(topic_word, w: float = 0.5) -> np.ndarray:
    """FREX score of every word in every topic (K × V), STM's ``calcfrex`` with weight ``w``.

    FREX_kv = 1 / (w / F_kv + (1 - w) / X_kv), F and X the within-topic ECDF ranks (average
    ties) of β_kv and of the exclusivity β_kv / Σ_j β_jv.
    """
    if not 0.0 <= float(w) <= 1.0:
        raise UserError(f"frex weight w must be between 0 and 1 (got {w!r})")
    phi = _check_topic_word(topic_word)
    excl = exclusivity(phi)
    n_words = phi.shape[1]
    freq_rank = np.vstack([rankdata(row, method="average") for row in phi]) / n_words
    excl_rank = np.vstack([rankdata(row, method="average") for row in excl]) / n_words
    return 1.0 / (float(w) / freq_rank + (1.0 - float(w)) / excl_rank)


def lift(topic_word, word_counts) -> np.ndarray:
    """lift_kv = β_kv / p_v, p_v = word_counts[v] / Σ word_counts (K × V; 0 where p_v = 0)."""
    phi = _check_topic_word(topic_word)
    counts = np.asarray(word_counts, dtype=np.float64)
    if counts.shape != (phi.shape[1],):
        raise UserError(f"word_counts has {counts.shape} entries but topic_word has "
                        f"{phi.shape[1]} words: pass model.word_counts_")
    if np.any(counts < 0) or counts.sum() <= 0:
        raise UserError("word_counts must be non-negative with a positive total")
    p = counts / counts.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(p > 0, phi / np.where(p > 0, p, 1.0), 0.0)


def stm_exclusivity(topic_word, n: int = 10, frexw: float = 0.7) -> np.ndarray:
    """Exclusivity of each topic as STM's ``exclusivity()`` computes it (Roberts et al.).

    For topic k: the sum, over its ``n`` most probable words, of FREX with weight ``frexw`` on
    *exclusivity* (STM's convention here: FREX = 1 / (frexw / X + (1 - frexw) / F)). Ranges from
    ``n`` × small to ``n`` (every top word the most frequent and most exclusive).
    """
    phi = _check_topic_word(topic_word)
    n = min(int(n), phi.shape[1])
    # STM's exclusivity() weights exclusivity by frexw; frex() above weights frequency by w.
    scores = frex(phi, w=1.0 - float(frexw))
    top = np.argsort(-phi, axis=1, kind="stable")[:, :n]
    return np.take_along_axis(scores, top, axis=1).sum(axis=1)


def _top_indices(scores: np.ndarray, n: int, mask: np.ndarray | None = None) -> np.ndarray:
    s = scores if mask is None else np.where(mask[None, :], scores, -np.inf)
    return np.argsort(-s, axis=1, kind="stable")[:, :n]


def _vocab_list(vocabulary, n_terms: int) -> list[str]:
    if hasattr(vocabulary, "token2id"):  # a gensim Dictionary
        vocab = [str(vocabulary[i]) for i in range(len(vocabulary))]
    else:
        vocab = [str(v) for v in vocabulary]
    if len(vocab) != n_terms:
        raise UserError(f"vocabulary has {len(vocab)} words but topic_word has {n_terms}: pass "
                        "the dictionary the model was fitted with (or model.vocabulary_)")
    return vocab


def topic_table(topic_word, vocabulary, word_counts, *, doc_topic=None, n: int = 10,
                frex_weight: float = 0.5, lift_min_count: float = 5) -> pd.DataFrame:
    """One row per topic: ``topic``, ``prevalence`` (mean θ_dk, if ``doc_topic`` is given),
    ``top_words`` (by β_k), ``frex`` (by FREX, weight ``frex_weight``) and ``lift`` (by lift,
    among words seen at least ``lift_min_count`` times — lift otherwise ranks one-off words first),
    each a list of ``n`` words."""
    phi = _check_topic_word(topic_word)
    vocab = _vocab_list(vocabulary, phi.shape[1])
    counts = np.asarray(word_counts, dtype=np.float64)
    top = _top_indices(phi, n)
    frex_top = _top_indices(frex(phi, frex_weight), n)
    mask = counts >= float(lift_min_count)
    if not mask.any():
        raise UserError(f"no word occurs {lift_min_count} times: lower lift_min_count")
    lift_top = _top_indices(lift(phi, counts), n, mask)
    rows = []
    for k in range(phi.shape[0]):
        rows.append({"topic": k,
                     "top_words": [vocab[v] for v in top[k]],
                     "frex": [vocab[v] for v in frex_top[k]],
                     "lift": [vocab[v] for v in lift_top[k]]})
    table = pd.DataFrame(rows)
    if doc_topic is not None:
        theta = np.asarray(doc_topic, dtype=np.float64)
        if theta.ndim != 2 or theta.shape[1] != phi.shape[0]:
            raise UserError(f"doc_topic must be D × {phi.shape[0]} (got {theta.shape})")
        table.insert(1, "prevalence", theta.mean(axis=0))
    return table


# ---------------------------------------------------------------------------------------------
# Representative documents and keyword in context
# ---------------------------------------------------------------------------------------------


def kwic(text: str, keywords: Sequence[str], *, window: int = 20, max_snippets: int = 3) -> list[str]:
    """Keyword-in-context snippets: up to ``max_snippets`` passages of ``text`` around the first
    occurrences of any keyword (longest keywords first, non-overlapping), the keyword in 【】."""
    words = sorted({k for k in keywords if k}, key=len, reverse=True)
    if not text or not words:
        return []
    pattern = re.compile("|".join(re.escape(w) for w in words))
    snippets: list[str] = []
    last_end = -1
    for match in pattern.finditer(text):
        if match.start() < last_end:
            continue
        start = max(0, match.start() - window)
        end = min(len(text), match.end() + window)
        snippet = (("…" if start > 0 else "") + text[start:match.start()] + "【" + match.group()
                   + "】" + text[match.end():end] + ("…" if end < len(text) else ""))
        snippets.append(re.sub(r"\s+", " ", snippet))
        last_end = end
        if len(snippets) >= max_snippets:
            break
    return snippets


def representative_docs(doc_topic, topic: int, *, n: int = 5, doc_ids: Sequence | None = None,
                        get_text: Callable[[Any], str] | None = None,
                        keywords: Sequence[str] = (), window: int = 20,
                        max_snippets: int = 3) -> pd.DataFrame:
    """The ``n`` documents with the highest θ_dk for ``topic``, with KWIC snippets.

    ``get_text(doc_id)`` returns a document's text (e.g. from the store); ``keywords`` are the
    topic's words to show in context (e.g. its FREX list). Columns: ``topic``, ``rank``,
    ``doc_index`` (row in ``doc_topic``), ``doc_id``, ``weight`` (θ_dk), ``snippets``.
    """
    theta = np.asarray(doc_topic, dtype=np.float64)
    if theta.ndim != 2:
        raise UserError(f"doc_topic must be a D × K matrix (got shape {theta.shape})")
    if not 0 <= int(topic) < theta.shape[1]:
        raise UserError(f"topic {topic} does not exist: the model has topics 0..{theta.shape[1] - 1}")
    if doc_ids is not None and len(doc_ids) != theta.shape[0]:
        raise UserError(f"doc_ids has {len(doc_ids)} entries but doc_topic has {theta.shape[0]} "
                        "rows: pass the ids in corpus order")
    # stable sort on -θ: ties keep corpus order, so the listing is reproducible
    order = np.argsort(-theta[:, int(topic)], kind="stable")[: int(n)]
    rows = []
    for rank, d in enumerate(order, start=1):
        doc_id = doc_ids[d] if doc_ids is not None else int(d)
        snippets = kwic(get_text(doc_id), keywords, window=window, max_snippets=max_snippets) \
            if get_text is not None else []
        rows.append({"topic": int(topic), "rank": rank, "doc_index": int(d), "doc_id": doc_id,
                     "weight": float(theta[d, int(topic)]), "snippets": snippets})
    return pd.DataFrame(rows, columns=["topic", "rank", "doc_index", "doc_id", "weight", "snippets"])


# ---------------------------------------------------------------------------------------------
# Scoring topics against the coding scheme
# ---------------------------------------------------------------------------------------------


def _seed_mapping(seed_words) -> dict[str, list[str]]:
    from .models import normalize_seed_words

    return normalize_seed_words(seed_words)


def score_topics(topic_word, vocabulary, seed_words, *, method: str = "mass", top_n: int = 30,
                 frex_weight: float = 0.5) -> pd.DataFrame:
    """Score every topic against every category of the scheme (K × C DataFrame).

    - ``method='mass'``: Σ_{v ∈ seeds(c)} β_kv, the probability topic k puts on category c's seeds.
    - ``method='frex_share'``: the share of topic k's ``top_n`` FREX words that are seeds of c.

    Seeds missing from the vocabulary contribute nothing (they are listed in
    ``result.attrs['missing_seeds']``).
    """
    phi = _check_topic_word(topic_word)
    vocab = _vocab_list(vocabulary, phi.shape[1])
    seeds = _seed_mapping(seed_words)
    index = {w: i for i, w in enumerate(vocab)}
    missing = {c: [w for w in ws if w not in index] for c, ws in seeds.items()}
    ids = {c: np.array([index[w] for w in ws if w in index], dtype=np.int64) for c, ws in seeds.items()}
    if method == "mass":
        scores = {c: phi[:, i].sum(axis=1) if len(i) else np.zeros(phi.shape[0]) for c, i in ids.items()}
    elif method == "frex_share":
        top = _top_indices(frex(phi, frex_weight), int(top_n))
        scores = {c: np.isin(top, i).sum(axis=1) / top.shape[1] for c, i in ids.items()}
    else:
        raise UserError(f"method must be 'mass' or 'frex_share' (got {method!r})")
    out = pd.DataFrame(scores, index=pd.RangeIndex(phi.shape[0], name="topic"))
    out.attrs["missing_seeds"] = {c: ws for c, ws in missing.items() if ws}
    out.attrs["method"] = method
    return out


def label_topics(topic_word, vocabulary, seed_words, *, topic_labels: Mapping[int, str] | None = None,
                 method: str = "mass", threshold: float | None = None, top_n: int = 30,
                 frex_weight: float = 0.5, overrides=None) -> pd.DataFrame:
    """Propose a category for every topic; apply researcher overrides last.

    - A topic seeded for category c (``topic_labels[k] == c``, e.g. a seeded model's
      ``topic_labels_``) gets c, ``source='seeded'``.
    - Every other topic (unseeded, or a seeded model's ``'free'`` topics) is scored with
      :func:`score_topics`; it gets the best-scoring category when that score is at least
      ``threshold`` (default :data:`DEFAULT_THRESHOLDS` for the method) and strictly above the
      runner-up, else ``'other'``; ``source='scored'``.
    - ``overrides`` (a path to a YAML/CSV file, or a mapping topic → category or
      topic → {category, label}) replaces category and label; ``source='override'``.

    Returns one row per topic: ``topic``, ``label``, ``category``, ``score`` (the scheme score
    of the chosen category; for 'other', the best score), ``runner_up``, ``runner_up_score``,
    ``source``, then one ``score_<category>`` column per category.
    """
    phi = _check_topic_word(topic_word)
    seeds = _seed_mapping(seed_words)
    categories = list(seeds)
    scores = score_topics(phi, vocabulary, seeds, method=method, top_n=top_n,
                          frex_weight=frex_weight)
    if threshold is None:
        threshold = DEFAULT_THRESHOLDS[method]
    topic_labels = dict(topic_labels or {})
    rows = []
    for k in range(phi.shape[0]):
        s = scores.loc[k]
        ranked = s.sort_values(ascending=False, kind="stable")
        best_cat, best = str(ranked.index[0]), float(ranked.iloc[0])
        runner_cat = str(ranked.index[1]) if len(ranked) > 1 else None
        runner = float(ranked.iloc[1]) if len(ranked) > 1 else float("nan")
        seeded = topic_labels.get(k)
        if seeded is not None and seeded not in (FREE, OTHER):
            if seeded not in categories:
                raise UserError(f"topic {k} is seeded as {seeded!r}, which is not a category of "
                                f"the scheme ({', '.join(categories)}): use the same scheme")
            category, score, source = seeded, float(s[seeded]), "seeded"
        elif best >= float(threshold) and not (len(ranked) > 1 and best == runner):
            category, score, source = best_cat, best, "scored"
        else:
            category, score, source = OTHER, best, "scored"
        row = {"topic": k, "label": category, "category": category, "score": score,
               "runner_up": runner_cat, "runner_up_score": runner, "source": source}
        row.update({f"score_{c}": float(s[c]) for c in categories})
        rows.append(row)
    labels = pd.DataFrame(rows)
    if overrides is not None:
        if isinstance(overrides, Mapping):
            mapping = _check_override_mapping(overrides, phi.shape[0], categories, "overrides")
        else:
            mapping = read_label_overrides(overrides, n_topics=phi.shape[0], categories=categories)
        for k, entry in mapping.items():
            labels.loc[k, "category"] = entry["category"]
            labels.loc[k, "label"] = entry.get("label") or entry["category"]
            labels.loc[k, "source"] = "override"
    labels.attrs["method"] = method
    labels.attrs["threshold"] = float(threshold)
    labels.attrs["missing_seeds"] = scores.attrs["missing_seeds"]
    labels.attrs["categories"] = categories
    return labels


def label_model(model, seed_words, **kwargs) -> pd.DataFrame:
    """:func:`label_topics` for a fitted model (uses its β, vocabulary and seeded labels)."""
    return label_topics(model.topic_word_, model.vocabulary_, seed_words,
                        topic_labels=kwargs.pop("topic_labels", getattr(model, "topic_labels_", None)),
                        **kwargs)


# ---------------------------------------------------------------------------------------------
# Researcher-editable label file
# ---------------------------------------------------------------------------------------------


def _check_override_mapping(raw: Mapping, n_topics: int, categories: Sequence[str],
                            where: str) -> dict[int, dict[str, str]]:
    allowed = [*categories, OTHER]
    out: dict[int, dict[str, str]] = {}
    for key, value in raw.items():
        try:
            k = int(str(key).strip())
        except ValueError:
            raise UserError(f"{where}: topic {key!r} is not a topic number: use the topic ids "
                            f"0..{n_topics - 1}") from None
        if not 0 <= k < n_topics:
            raise UserError(f"{where}: topic {k} does not exist (the model has topics "
                            f"0..{n_topics - 1}): fix or delete that entry")
        if isinstance(value, Mapping):
            category = value.get("category")
            label = value.get("label")
        else:
            category, label = value, None
        category = str(category).strip() if category is not None else ""
        if category not in allowed:
            raise UserError(f"{where}: topic {k} has category {category!r}; use one of "
                            f"{', '.join(allowed)}")
        if k in out:
            raise UserError(f"{where}: topic {k} appears twice: keep one entry")
        out[k] = {"category": category,
                  "label": str(label).strip() if label not in (None, "") and not (
                      isinstance(label, float) and math.isnan(label)) else category}
    return out


def read_label_overrides(path, *, n_topics: int, categories: Sequence[str]) -> dict[int, dict[str, str]]:
    """Read a researcher's topic → category file.

    YAML: ``{3: directive, 7: {category: regulatory, label: product standards}}``.
    CSV (UTF-8, header row): columns ``topic``, ``category`` and optionally ``label``; rows with
    an empty ``category`` are skipped (they keep the proposed label), so the file written by
    :func:`write_label_file` can be edited in place.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"label file {path} does not exist: write one with write_label_file() "
                        "and edit its category column")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        import yaml

        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
        except yaml.YAMLError as exc:
            raise UserError(f"label file {path} is not valid YAML ({exc}): fix its syntax") from None
        if not isinstance(raw, Mapping):
            raise UserError(f"label file {path} must map topic ids to categories "
                            "(e.g. '3: directive')")
        # entries whose category is left empty keep the proposed label, as blank CSV cells do
        raw = {k: v for k, v in raw.items()
               if (v.get("category") if isinstance(v, Mapping) else v) not in (None, "")}
        return _check_override_mapping(raw, n_topics, categories, str(path))
    if suffix == ".csv":
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            fields = reader.fieldnames or []
            if "topic" not in fields or "category" not in fields:
                raise UserError(f"label file {path} needs columns 'topic' and 'category' "
                                f"(found {fields})")
            raw: dict[str, Any] = {}
            for line, row in enumerate(reader, start=2):
                if not (row.get("category") or "").strip():
                    continue
                key = (row.get("topic") or "").strip()
                if key in raw:
                    raise UserError(f"{path} line {line}: topic {key} appears twice: keep one row")
                raw[key] = {"category": row["category"], "label": row.get("label")}
        return _check_override_mapping(raw, n_topics, categories, str(path))
    raise UserError(f"label file {path} must end in .yaml, .yml or .csv")


LABEL_FILE_SUFFIXES = (".csv", ".yaml", ".yml")
LABEL_FILE_COLUMNS = ["topic", "category", "label", "proposed", "score", "source", "top_words", "frex"]


def _words_text(value) -> str:
    """A word list (list, JSON array text or plain text) as space-separated words."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.startswith("[") else value
        except ValueError:
            return value
    return value if isinstance(value, str) else " ".join(map(str, value))


def label_file_rows(labels: pd.DataFrame, table: pd.DataFrame | None = None) -> list[dict]:
    """The rows of a label file: one per topic, ``category`` and ``label`` left empty for the
    researcher, ``proposed`` the current category. ``labels`` needs ``topic`` and ``category``;
    ``score``, ``source``, ``top_words`` and ``frex`` are used when present (from
    :func:`label_topics`, or the store's ``topics`` table)."""
    words = {}
    if table is not None:
        words = {int(r.topic): (_words_text(r.top_words), _words_text(r.frex))
                 for r in table.itertuples()}
    rows = []
    for r in labels.to_dict("records"):
        topic = int(r["topic"])
        top, fx = words.get(topic, (_words_text(r.get("top_words")), _words_text(r.get("frex"))))
        score = r.get("score")
        rows.append({"topic": topic, "category": "", "label": "", "proposed": r.get("category"),
                     "score": None if score is None or (isinstance(score, float) and math.isnan(score))
                     else round(float(score), 4),
                     "source": r.get("source") or "", "top_words": top, "frex": fx})
    return rows


def write_label_file(labels: pd.DataFrame, path, *, table: pd.DataFrame | None = None,
                     categories: Sequence[str] | None = None) -> Path:
    """Write the proposed labels for the researcher to edit, as CSV or YAML (by the suffix):
    ``topic``, ``category`` (left empty — fill it to override), ``label``, ``proposed``,
    ``score``, ``source`` and the ``top_words`` / ``frex`` words (from ``table``, the output of
    :func:`topic_table`, or from ``labels`` itself). ``categories`` (the scheme's) are named in
    the YAML header. :func:`read_label_overrides` reads either file back; blank categories keep
    the proposal, so a file can be applied, edited and applied again."""
    path = Path(path)
    if path.suffix.lower() not in LABEL_FILE_SUFFIXES:
        raise UserError(f"label file {path.name}: name it *.csv, *.yaml or *.yml")
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = label_file_rows(labels, table)
    if path.suffix.lower() == ".csv":
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(LABEL_FILE_COLUMNS)
            for row in rows:
                writer.writerow(["" if row[c] is None else
                                 (f"{row[c]:.4f}" if c == "score" else row[c])
                                 for c in LABEL_FILE_COLUMNS])
        return path
    import yaml

    allowed = " | ".join([*(categories or []), OTHER])
    body = {row["topic"]: {"category": None, "label": None,
                           **{k: row[k] for k in ("proposed", "score", "source", "top_words", "frex")}}
            for row in rows}
    header = ("# Topic labels: fill in 'category' (" + allowed + ") and optionally 'label';\n"
              "# topics left empty keep their proposed category. Then: zhengce labels apply RUN FILE\n")
    path.write_text(header + yaml.safe_dump(body, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# Strategy shares
# ---------------------------------------------------------------------------------------------


def _category_per_topic(labels, n_topics: int) -> list[str]:
    if isinstance(labels, pd.DataFrame):
        if "topic" not in labels.columns or "category" not in labels.columns:
            raise UserError("labels DataFrame needs 'topic' and 'category' columns "
                            "(from label_topics)")
        mapping = dict(zip(labels["topic"].astype(int), labels["category"].astype(str)))
    elif isinstance(labels, Mapping):
        mapping = {int(k): str(v) for k, v in labels.items()}
    else:
        seq = list(labels)
        mapping = {k: str(v) for k, v in enumerate(seq)}
    missing = [k for k in range(n_topics) if k not in mapping]
    extra = [k for k in mapping if not 0 <= k < n_topics]
    if missing or extra:
        raise UserError(f"labels must give a category for each of the {n_topics} topics "
                        f"(missing {missing[:10]}, unknown {extra[:10]}): label every topic, "
                        "using 'other' for none")
    return [mapping[k] for k in range(n_topics)]


def strategy_shares(doc_topic, labels, *, categories: Sequence[str] | None = None,
                    doc_ids: Sequence | None = None) -> pd.DataFrame:
    """Share of each category in each document: Σ_{k: category(k) = c} θ_dk.

    ``labels``: a DataFrame with ``topic`` and ``category`` (from :func:`label_topics`), a mapping
    topic → category, or a list of K categories. Topics labelled ``'other'`` or ``'free'`` go to
    the ``'other'`` column. ``categories`` fixes the column order and keeps categories that no
    topic carries (as zeros); by default, the categories in order of first appearance.
    Returns a D × (C + 1) DataFrame (index ``doc_ids`` if given) whose rows sum to 1.
    """
    theta = np.asarray(doc_topic, dtype=np.float64)
    if theta.ndim != 2:
        raise UserError(f"doc_topic must be a D × K matrix (got shape {theta.shape})")
    if np.any(theta < 0) or not np.allclose(theta.sum(axis=1), 1.0, atol=1e-6):
        raise UserError("doc_topic rows must be non-negative and sum to 1: pass model.doc_topic_")
    per_topic = [OTHER if c in (OTHER, FREE) else c for c in _category_per_topic(labels, theta.shape[1])]
    if categories is None:
        categories = list(dict.fromkeys(c for c in per_topic if c != OTHER))
    else:
        categories = [str(c) for c in categories if str(c) != OTHER]
        unknown = sorted({c for c in per_topic if c != OTHER and c not in categories})
        if unknown:
            raise UserError(f"labels use categories {unknown} not in categories={list(categories)}: "
                            "add them or relabel those topics")
    columns = [*categories, OTHER]
    out = np.zeros((theta.shape[0], len(columns)), dtype=np.float64)
    for k, c in enumerate(per_topic):
        out[:, columns.index(c)] += theta[:, k]
    if doc_ids is not None and len(doc_ids) != theta.shape[0]:
        raise UserError(f"doc_ids has {len(doc_ids)} entries but doc_topic has {theta.shape[0]} rows")
    index = pd.Index(list(doc_ids), name="doc_id") if doc_ids is not None \
        else pd.RangeIndex(theta.shape[0], name="doc")
    return pd.DataFrame(out, index=index, columns=columns)


# ---------------------------------------------------------------------------------------------
# Store
# ---------------------------------------------------------------------------------------------

# The tables of one topic run (created by the store's migrations, zhengce.corpus.schema.topics).
TOPIC_TABLES = ("doc_topics", "topics", "strategy_shares")


def save_topic_run(store, run, model, doc_ids: Sequence, labels, dictionary=None, *,
                   doc_topic=None, n_words: int = 20, frex_weight: float = 0.5,
                   lift_min_count: float = 5) -> dict[str, int]:
    """Write a fitted model's output to the store under ``run.run_id``.

    - ``doc_topics`` (run_id, doc_id, topic, weight): the full θ matrix, long format, primary
      key (run_id, doc_id, topic);
    - ``topics`` (run_id, topic, label, category, score, source, prevalence, top_words, frex,
      lift — the word lists as JSON arrays of ``n_words`` words);
    - ``strategy_shares`` (run_id, doc_id, category, share): :func:`strategy_shares` in long
      format, one row per document and category including 'other'.

    ``doc_ids`` are the store ids of the documents in corpus order; ``doc_topic`` defaults to
    ``model.doc_topic_`` (pass ``model.transform(...)`` output for other documents); ``labels`` is
    the output of :func:`label_topics` (or a mapping topic → category). The model's
    ``manifest_info()`` and the row counts go into the run summary. Re-running with the same run
    id replaces its rows.
    """
    if not hasattr(model, "topic_word_"):
        raise UserError("save_topic_run needs a fitted model: call fit() first")
    theta = np.asarray(model.doc_topic_ if doc_topic is None else doc_topic, dtype=np.float64)
    ids = [str(d) for d in doc_ids]
    if len(ids) != theta.shape[0]:
        raise UserError(f"doc_ids has {len(ids)} entries but the document-topic matrix has "
                        f"{theta.shape[0]} rows: pass the ids in corpus order")
    if len(set(ids)) != len(ids):
        dup = next(d for d in ids if ids.count(d) > 1)
        raise UserError(f"doc_id {dup!r} appears more than once in doc_ids: each document once")
    vocabulary = dictionary if dictionary is not None else model.vocabulary_
    table = topic_table(model.topic_word_, vocabulary, model.word_counts_, doc_topic=theta,
                        n=n_words, frex_weight=frex_weight, lift_min_count=lift_min_count)
    if isinstance(labels, pd.DataFrame):
        label_rows = labels.set_index("topic")
    else:
        cats = _category_per_topic(labels, theta.shape[1])
        label_rows = pd.DataFrame({"label": cats, "category": cats, "score": np.nan,
                                   "source": "given"}, index=range(theta.shape[1]))
    shares = strategy_shares(theta, labels, doc_ids=ids)
    run_id = run.run_id
    db = store.db
    topic_rows = []
    for r in table.itertuples():
        lr = label_rows.loc[int(r.topic)]
        score = lr.get("score")
        topic_rows.append((
            run_id, int(r.topic), str(lr.get("label")), str(lr.get("category")),
            None if score is None or (isinstance(score, float) and math.isnan(score)) else float(score),
            str(lr.get("source")), float(r.prevalence),
            json.dumps(r.top_words, ensure_ascii=False), json.dumps(r.frex, ensure_ascii=False),
            json.dumps(r.lift, ensure_ascii=False)))
    n_topics = theta.shape[1]
    conn = db.conn
    with conn:
        for name in TOPIC_TABLES:
            conn.execute(f"delete from [{name}] where run_id = ?", [run_id])
        conn.executemany(
            "insert into doc_topics (run_id, doc_id, topic, weight) values (?, ?, ?, ?)",
            ((run_id, ids[d], k, float(theta[d, k])) for d in range(len(ids)) for k in range(n_topics)))
        conn.executemany(
            "insert into topics (run_id, topic, label, category, score, source, prevalence, "
            "top_words, frex, lift) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", topic_rows)
        values = shares.to_numpy()
        columns = list(shares.columns)
        conn.executemany(
            "insert into strategy_shares (run_id, doc_id, category, share) values (?, ?, ?, ?)",
            ((run_id, ids[d], columns[c], float(values[d, c]))
             for d in range(len(ids)) for c in range(len(columns))))
    counts = {"doc_topics": len(ids) * n_topics, "topics": len(topic_rows),
              "strategy_shares": len(ids) * len(columns)}
    run.summary["model"] = model.manifest_info()
    run.summary["rows"] = counts
    run.summary["categories"] = columns
    return counts
