"""Migration set ``zhengce.topics``: topic-model output (:mod:`zhengce.nlp.topics.labels`), strategy
shares and dictionary scores (:mod:`zhengce.nlp.scheme`), all keyed by run id."""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("zhengce.topics")

TABLES = ("doc_topics", "topics", "strategy_shares", "dictionary_scores")


@migrations()
def m001_topic_runs(db: sqlite_utils.Database) -> None:
    # if_not_exists: databases made before the migration sets created these on first use.
    # doc_topics is long: 43,000 documents x 50 topics = 2.15M rows, fine for SQLite with this
    # key, and queryable per topic without unpacking JSON.
    db["doc_topics"].create({"run_id": str, "doc_id": str, "topic": int, "weight": float},
                            pk=("run_id", "doc_id", "topic"), if_not_exists=True)
    db["topics"].create(
        {"run_id": str, "topic": int, "label": str, "category": str, "score": float,
         "source": str, "prevalence": float, "top_words": str, "frex": str, "lift": str},
        pk=("run_id", "topic"), if_not_exists=True)
    db["strategy_shares"].create(
        {"run_id": str, "doc_id": str, "category": str, "share": float},
        pk=("run_id", "doc_id", "category"), if_not_exists=True)
    db["doc_topics"].create_index(["run_id", "topic"], if_not_exists=True)


@migrations()
def m002_dictionary_scores(db: sqlite_utils.Database) -> None:
    db["dictionary_scores"].create(
        {"doc_id": str, "run_id": str, "category": str, "n_terms": int, "weighted_terms": float,
         "n_tokens": int, "share": float, "share_of_scheme": float},
        pk=("run_id", "doc_id", "category"), if_not_exists=True)
    db["dictionary_scores"].create_index(["run_id", "category"], if_not_exists=True)
