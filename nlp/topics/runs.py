"""Stored topic runs: listing them, their representative documents, and re-labelling them.

What ``zhengce topics list``, ``zhengce topics show --docs N`` and ``zhengce labels apply`` do
with a run already in the store (the ``runs``, ``topics``, ``doc_topics`` and
``strategy_shares`` tables that :func:`~zhengce.nlp.topics.labels.save_topic_run` wrote).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from zhengce.common.errors import UserError

from .labels import read_label_overrides, representative_docs, strategy_shares


def representative_listing(store, run_id: str, topic_rows, n: int, *, window: int = 20,
                           max_snippets: int = 2) -> dict[int, list[dict]]:
    """For ``zhengce topics show --docs N``: per topic of ``topic_rows`` (topic, label, category,
    score, top_words, frex as stored), its ``n`` documents of highest θ_dk in the stored run, each
    with title and keyword-in-context snippets of the topic's FREX words (STM's findThoughts)."""
    weights = pd.DataFrame(store.db.execute("select doc_id, topic, weight from doc_topics where run_id = ?",
                                            [run_id]).fetchall(), columns=["doc_id", "topic", "weight"])
    if weights.empty:
        raise UserError(f"run {run_id} has no document-topic shares (doc_topics) to rank documents by")
    matrix = weights.pivot(index="doc_id", columns="topic", values="weight").sort_index(axis=1).fillna(0.0)
    doc_ids = list(matrix.index)
    texts: dict[str, tuple[str, str]] = {}

    def text_of(doc_id):
        if doc_id not in texts:
            row = store.db.execute("select title, text from documents where doc_id = ?", [doc_id]).fetchone()
            texts[doc_id] = (row[0] or "", row[1] or "") if row else ("", "")
        return texts[doc_id][1]

    out: dict[int, list[dict]] = {}
    for topic, _label, _category, _score, words, frex_words in topic_rows:
        keywords = json.loads(frex_words or "[]")[:10] or json.loads(words or "[]")[:10]
        column = list(matrix.columns).index(topic)
        found = representative_docs(matrix.to_numpy(), column, n=n, doc_ids=doc_ids, get_text=text_of,
                                    keywords=keywords, window=window, max_snippets=max_snippets)
        out[int(topic)] = [{"rank": int(r.rank), "doc_id": r.doc_id, "weight": float(r.weight),
                            "title": texts.get(r.doc_id, ("", ""))[0], "snippets": list(r.snippets)}
                           for r in found.itertuples()]
    return out


def topic_run_listing(store, *, limit: int = 20) -> list[dict[str, Any]]:
    """The finished topic runs, newest first: run_id, model, n_topics (K), started_at,
    n_documents and a label summary ("directive 1, regulatory 2, other 3")."""
    runs = store.db.execute("select run_id, started_at, params, summary from runs where stage = 'topics' "
                            "and status = 'ok' order by started_at desc, rowid desc limit ?",
                            [int(limit)]).fetchall()
    out = []
    for run_id, started, params, summary in runs:
        params = json.loads(params or "{}")
        summary = json.loads(summary or "{}")
        cats = [r[0] for r in store.db.execute("select category from topics where run_id = ?", [run_id])]
        counts = {c: cats.count(c) for c in dict.fromkeys(cats)}
        n_docs = summary.get("n_documents")
        if n_docs is None:
            n_docs = store.db.execute("select count(distinct doc_id) from strategy_shares where run_id = ?",
                                      [run_id]).fetchone()[0]
        out.append({"run_id": run_id, "model": str(params.get("model") or
                                                   (summary.get("model") or {}).get("model") or "?"),
                    "n_topics": len(cats), "started_at": started or "", "n_documents": int(n_docs or 0),
                    "labels": ", ".join(f"{c} {n}" for c, n in counts.items()) or "no topics stored"})
    return out


def apply_label_file(store, run_id: str, path, *, scheme=None) -> dict[str, Any]:
    """Re-label a stored topic run from an edited label file and recompute its strategy shares.

    The allowed categories are the coding scheme's (``scheme``: a :class:`~zhengce.nlp.scheme.Scheme`,
    a path, or None for the scheme the run was fitted with), never the run's current labels, so
    any application can be undone by another. Records a ``labels`` run whose manifest names the
    topic run, the label file (hash), the scheme and the database. Returns the counts.
    """
    from zhengce.nlp.scheme import Scheme, load_scheme

    db = store.db
    topic_rows = db.execute("select topic, label, category from topics where run_id = ? order by topic",
                            [run_id]).fetchall()
    if not topic_rows:
        raise UserError(f"no topics stored for run {run_id!r}: list runs with zhengce topics list")
    if not isinstance(scheme, Scheme):
        scheme = load_scheme(scheme if scheme is not None else run_scheme_path(store, run_id))
    categories = scheme.category_names
    overrides = read_label_overrides(path, n_topics=len(topic_rows), categories=categories)
    frame = pd.DataFrame(topic_rows, columns=["topic", "label", "category"])
    for topic, entry in overrides.items():
        frame.loc[frame["topic"] == topic, "category"] = entry["category"]
        frame.loc[frame["topic"] == topic, "label"] = entry.get("label") or entry["category"]
    weights = pd.DataFrame(db.execute("select doc_id, topic, weight from doc_topics where run_id = ?",
                                      [run_id]).fetchall(), columns=["doc_id", "topic", "weight"])
    matrix = weights.pivot(index="doc_id", columns="topic", values="weight").sort_index(axis=1)
    shares = strategy_shares(matrix.to_numpy(dtype=float), frame, categories=categories,
                             doc_ids=list(matrix.index))
    params = {"topic_run": run_id, "label_file": str(path), "scheme": scheme.path,
              "database": str(store.path)}
    with store.run("labels", params, inputs={"label_file": Path(path), "scheme": scheme.as_dict()}) as run:
        with db.conn:
            for row in frame.itertuples(index=False):
                db.execute("update topics set category = ?, label = ?, "
                           "source = case when ? then 'override' else source end "
                           "where run_id = ? and topic = ?",
                           [row.category, row.label, int(row.topic) in overrides, run_id, int(row.topic)])
            db.execute("delete from strategy_shares where run_id = ?", [run_id])
            values = shares.to_numpy()
            db.conn.executemany(
                "insert into strategy_shares (run_id, doc_id, category, share) values (?, ?, ?, ?)",
                [(run_id, doc_id, c, float(values[i, j])) for i, doc_id in enumerate(shares.index)
                 for j, c in enumerate(shares.columns)])
        counts = {"topics": len(topic_rows), "applied": len(overrides), "documents": len(shares),
                  "categories": list(shares.columns)}
        run.summary.update(counts)
    counts["run_id"] = run.run_id
    return counts


def run_scheme_path(store, run_id: str) -> str | None:
    """The coding scheme a topic run was fitted with (its ``scheme`` parameter; None: default)."""
    row = store.db.execute("select params from runs where run_id = ?", [run_id]).fetchone()
    try:
        params = json.loads(row[0]) if row and row[0] else {}
    except ValueError:
        params = {}
    return params.get("scheme") if isinstance(params, dict) else None
