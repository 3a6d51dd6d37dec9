"""The measures of one topic run, for ``zhengce export --run RUN``.

A topic run stores, per document, its strategy shares (table ``strategy_shares``) and its topic
proportions θ (table ``doc_topics``), and names in its parameters the token configuration it was
fitted on (``config_hash``: table ``tokens``, configuration in ``segmenter_configs``). The export
adds ``share_<category>`` and ``theta_<k>`` columns and, for the R file, the model's own tokens and
the stopword list they were filtered with.

The stopword list is rebuilt from the sources the token configuration records (stopword files,
``stopwords-iso:zh``) and checked against the SHA-256 of the list the run used
(``stopwords_sha256``), so an export never ships a list that differs from the model's.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zhengce.common.errors import UserError
from .codebook import measure_field
from .store import Store

#: the stopword source that names stopwords-iso's Chinese list (zhengce.nlp.text.segment_backends)
STOPWORDS_ISO_ZH = "stopwords-iso:zh"


@dataclass
class RunMeasures:
    """What a topic run adds to an export: column names, their schema, and rows per chunk."""

    run_id: str
    categories: list[str]
    topics: list[int]
    topic_labels: dict[int, str] = field(default_factory=dict)
    config_hash: str | None = None

    @classmethod
    def load(cls, store: Store, run_id: str) -> "RunMeasures":
        row = store.db.execute("select stage, status, params from runs where run_id = ?",
                               [run_id]).fetchone()
        if row is None or row[0] != "topics":
            runs = [r[0] for r in store.db.execute(
                "select run_id from runs where stage = 'topics' and status = 'ok' "
                "order by started_at desc limit 10")]
            raise UserError(f"--run {run_id!r} is not a topic run of this database; topic runs: "
                            f"{', '.join(runs) if runs else 'none (zhengce topics run makes one)'}")
        if row[1] != "ok":
            raise UserError(f"--run {run_id}: the run's status is {row[1]!r}, not 'ok'; "
                            "export a finished run (zhengce runs --stage topics)")
        params = json.loads(row[2] or "{}")
        topics = [r[0] for r in store.db.execute(
            "select distinct topic from doc_topics where run_id = ? order by topic", [run_id])]
        if not topics:
            raise UserError(f"--run {run_id}: the run stored no topic proportions (doc_topics)")
        categories = [r[0] for r in store.db.execute(
            "select distinct category from strategy_shares where run_id = ? order by category",
            [run_id])]
        labels = {t: lab for t, lab in store.db.execute(
            "select topic, label from topics where run_id = ?", [run_id]) if lab}
        return cls(run_id=run_id, categories=categories, topics=topics, topic_labels=labels,
                   config_hash=params.get("config_hash"))

    # -- columns and schema ------------------------------------------------------------------
    def columns(self) -> list[str]:
        return [f"share_{c}" for c in self.categories] + [f"theta_{t}" for t in self.topics]

    def fields(self) -> list[dict[str, Any]]:
        shares = [measure_field(f"share_{c}", f"Strategy share '{c}' of the document (run {self.run_id})",
                                "sum of the topic proportions of the topics labelled with this "
                                "category, table strategy_shares") for c in self.categories]
        theta = [measure_field(f"theta_{t}", f"θ: proportion of topic {t}"
                               + (f" ({self.topic_labels[t]})" if t in self.topic_labels else "")
                               + f" in the document (run {self.run_id})",
                               "the topic model's document-topic distribution, table doc_topics")
                 for t in self.topics]
        return shares + theta

    # -- rows -----------------------------------------------------------------------------------
    def measured(self, store: Store, doc_ids: list[str]) -> dict[str, dict[str, float]]:
        """doc_id → its share_*/theta_* values, for the documents of ``doc_ids`` the run measured."""
        out: dict[str, dict[str, float]] = {}
        marks = ", ".join("?" for _ in doc_ids)
        for doc_id, topic, weight in store.db.execute(
                f"select doc_id, topic, weight from doc_topics where run_id = ? and doc_id in ({marks})",
                [self.run_id, *doc_ids]):
            out.setdefault(doc_id, {})[f"theta_{topic}"] = float(weight)
        for doc_id, category, share in store.db.execute(
                f"select doc_id, category, share from strategy_shares where run_id = ? "
                f"and doc_id in ({marks})", [self.run_id, *doc_ids]):
            if doc_id in out:
                out[doc_id][f"share_{category}"] = float(share)
        return out

    def tokens(self, store: Store, doc_ids: list[str]) -> dict[str, str]:
        """doc_id → the space-separated tokens the model was fitted on."""
        self._need_tokens(store)
        marks = ", ".join("?" for _ in doc_ids)
        return dict(store.db.execute(
            f"select doc_id, tokens from tokens where config_hash = ? and doc_id in ({marks})",
            [self.config_hash, *doc_ids]).fetchall())

    def _need_tokens(self, store: Store) -> None:
        if not self.config_hash or "tokens" not in store.db.table_names() or store.db.execute(
                "select 1 from tokens where config_hash = ? limit 1", [self.config_hash]).fetchone() is None:
            raise UserError(f"--run {self.run_id}: its tokens (config {self.config_hash}) are not in "
                            "this database, so the R file cannot carry the model's own tokens; "
                            "export without --r, or re-run zhengce topics run")

    def stopwords(self, store: Store) -> list[str]:
        """The stopword list the run's tokens were filtered with, sorted (verified by SHA-256)."""
        self._need_tokens(store)
        row = store.db.execute("select config from segmenter_configs where config_hash = ?",
                               [self.config_hash]).fetchone()
        if row is None:
            raise UserError(f"--run {self.run_id}: token config {self.config_hash} is not in "
                            "segmenter_configs; re-run zhengce topics run")
        segmenter = json.loads(row[0])["segmenter"]
        words: set[str] = set()
        for source in segmenter["params"].get("stopwords") or []:
            words |= _stopword_source(source, self.run_id)
        listed = sorted(words)
        digest = hashlib.sha256("\n".join(listed).encode("utf-8")).hexdigest()
        if digest != segmenter["config"].get("stopwords_sha256"):
            raise UserError(f"--run {self.run_id}: the stopword files it used have changed since "
                            "(their SHA-256 differs from the run's), so the list cannot be "
                            "exported as used; restore the files or re-run zhengce topics run")
        return listed


def _stopword_source(source: str, run_id: str) -> set[str]:
    """The words of one stopword source, read as zhengce.nlp.text.segment_backends reads them
    (one word a line, # comments and blank lines ignored, a leading BOM dropped)."""
    if source == STOPWORDS_ISO_ZH:
        try:
            import stopwordsiso
        except ImportError:
            raise UserError(f"--run {run_id} used {STOPWORDS_ISO_ZH}: pip install stopwordsiso "
                            "to export its stopword list") from None
        return set(stopwordsiso.stopwords("zh"))
    path = Path(source)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"--run {run_id}: cannot read its stopword file {path} ({exc}); "
                        "restore the file or re-run zhengce topics run") from None
    return {w.strip() for w in text.splitlines() if w.strip() and not w.strip().startswith("#")}
