"""pyLDAvis output that works offline and keeps the model's topic ids.

:func:`write_ldavis` writes one self-contained HTML file: the d3 (v5) and LDAvis (v3) JavaScript
shipped inside the pyLDAvis package and its CSS are inlined, so the page loads nothing from the
internet (pyLDAvis's own ``save_html`` points at a CDN) and stays readable in an archive.

Topic ids: topics are not re-sorted by prevalence (``sort_topics=False``), so LDAvis topic ``n`` is
model topic ``n - 1`` — LDAvis numbers from 1 because its JavaScript reserves 0 for "no topic
selected". The page lists that correspondence with each topic's label under the chart.

Pitfalls handled (../shared/reference/library-pitfalls.md): ``sort_topics=False``; ``mds='pcoa'``
by default (``mmds`` breaks with scikit-learn 1.10); the vocabulary is capped (``max_terms`` most
frequent words) and ``R`` bounded, since ``prepare`` is slow on large vocabularies; the file is
written through a file object we open and close.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from zhengce.common.errors import UserError

from .models import CorpusStats, scan_corpus

logger = logging.getLogger(__name__)

PAGE = """<!DOCTYPE html>
<html lang="zh">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
{css}
body {{ font-family: sans-serif; margin: 1em; }}
table.topic-ids {{ border-collapse: collapse; margin-top: 1em; font-size: 0.9em; }}
table.topic-ids td, table.topic-ids th {{ border: 1px solid #ccc; padding: 2px 8px; }}
</style>
<script type="text/javascript">
{d3}
</script>
<script type="text/javascript">
{ldavis}
</script>
</head>
<body>
<h1>{title}</h1>
<p>{note}</p>
<div id="ldavis"></div>
<script type="application/json" id="ldavis-data">{data}</script>
<script type="text/javascript">
new LDAvis("#ldavis", JSON.parse(document.getElementById("ldavis-data").textContent));
</script>
<table class="topic-ids">
<thead><tr><th>LDAvis topic</th><th>model topic id</th><th>label</th><th>share of tokens</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</body>
</html>
"""


def _assets() -> dict[str, str]:
    """The JavaScript and CSS pyLDAvis ships (its ``urls`` module names the local copies)."""
    import pyLDAvis.urls as urls

    out = {}
    for key, path in (("d3", urls.D3_LOCAL), ("ldavis", urls.LDAVIS_LOCAL),
                      ("css", urls.LDAVIS_CSS_LOCAL)):
        p = Path(path)
        if not p.is_file():
            raise UserError(f"pyLDAvis is missing its bundled file {p}: reinstall pyLDAvis "
                            "(pip install --force-reinstall 'pyLDAvis>=3.4.1,<3.5')")
        text = p.read_text(encoding="utf-8")
        if "</script" in text.lower():
            raise RuntimeError(f"{p} contains '</script' and cannot be inlined safely")
        out[key] = text
    return out


def prepare_ldavis(model, corpus, dictionary=None, *, doc_topic=None, R: int = 30,
                   max_terms: int = 5000, mds="pcoa", lambda_step: float = 0.01, n_jobs: int = 1):
    """pyLDAvis ``PreparedData`` for a fitted model with the model's topic order.

    ``corpus`` gives document lengths and term frequencies; ``doc_topic`` defaults to
    ``model.doc_topic_`` (which must then belong to this corpus). ``corpus=None`` takes both from
    the model's own fit (``word_counts_``, ``doc_lengths_``) without reading the corpus again. The vocabulary is cut to the
    ``max_terms`` most frequent words and β_k renormalized over them (display only).
    """
    import pyLDAvis

    if not hasattr(model, "topic_word_"):
        raise UserError("write_ldavis needs a fitted model: call fit() first")
    phi = np.asarray(model.topic_word_, dtype=np.float64)
    n_topics, n_terms = phi.shape
    vocab = [str(dictionary[i]) for i in range(len(dictionary))] if dictionary is not None \
        else list(model.vocabulary_)
    if len(vocab) != n_terms:
        raise UserError(f"dictionary has {len(vocab)} words but the model has {n_terms}: pass "
                        "the dictionary the model was fitted with")
    if corpus is None:
        if doc_topic is not None or not hasattr(model, "doc_lengths_"):
            raise UserError("pass the corpus: without it only the model's own fit corpus (its "
                            "word_counts_, doc_lengths_ and doc_topic_) can be shown")
        stats = CorpusStats(n_docs=len(model.doc_lengths_), n_words=int(model.word_counts_.sum()),
                            n_empty_docs=int((model.doc_lengths_ == 0).sum()),
                            word_counts=np.asarray(model.word_counts_, dtype=np.float64),
                            doc_lengths=model.doc_lengths_)
    else:
        stats = scan_corpus(corpus, n_terms, what="ldavis corpus")
    theta = np.asarray(model.doc_topic_ if doc_topic is None else doc_topic, dtype=np.float64)
    if theta.shape != (stats.n_docs, n_topics):
        raise UserError(f"doc_topic has shape {theta.shape} but the corpus has {stats.n_docs} "
                        f"documents and the model {n_topics} topics: pass "
                        "doc_topic=model.transform(corpus) for a corpus the model was not fitted on")
    if not isinstance(R, (int, np.integer)) or R < 1:
        raise UserError(f"R must be a positive integer (got {R!r})")
    if not isinstance(max_terms, (int, np.integer)) or max_terms < R:
        raise UserError(f"max_terms must be an integer >= R ({R}); got {max_terms!r}")
    counts = stats.word_counts
    present = np.flatnonzero(counts > 0)
    keep = present[np.argsort(-counts[present], kind="stable")[:max_terms]]
    keep.sort()
    if len(keep) < len(present):
        logger.info("ldavis: showing the %d most frequent of %d words", len(keep), len(present))
    phi_kept = phi[:, keep]
    phi_kept = phi_kept / phi_kept.sum(axis=1, keepdims=True)
    doc_lengths = stats.doc_lengths
    return pyLDAvis.prepare(
        topic_term_dists=phi_kept, doc_topic_dists=theta, doc_lengths=doc_lengths,
        vocab=[vocab[i] for i in keep], term_frequency=counts[keep], R=int(min(R, len(keep))),
        lambda_step=lambda_step, mds=mds, n_jobs=n_jobs, sort_topics=False, start_index=1)


def ldavis_html(prepared, *, title: str = "Topic model", topic_names: Mapping[int, str] | None = None) -> str:
    """A self-contained HTML page for a pyLDAvis ``PreparedData`` (no external scripts)."""
    assets = _assets()
    data = prepared.to_json()
    # "</" inside a <script> element would end it early; "\\/" is the same character in JSON.
    data = data.replace("</", "<\\/")
    coords = prepared.topic_coordinates
    shares = dict(zip(coords["topics"].astype(int), coords["Freq"].astype(float)))
    names = dict(topic_names or {})
    rows = "\n".join(
        f"<tr><td>{t}</td><td>{t - 1}</td><td>{html.escape(str(names.get(t - 1, '')))}</td>"
        f"<td>{shares.get(t, 0.0):.1f}%</td></tr>"
        for t in sorted(shares))
    note = ("LDAvis topic n is model topic n − 1 (topics kept in model order, not re-sorted). "
            "Generated offline: d3 and LDAvis are embedded in this file.")
    return PAGE.format(title=html.escape(title), css=assets["css"], d3=assets["d3"],
                       ldavis=assets["ldavis"], note=html.escape(note), data=data, rows=rows)


def write_ldavis(model, corpus, dictionary, path, R: int = 30, *, doc_topic=None,
                 max_terms: int = 5000, mds="pcoa", lambda_step: float = 0.01, n_jobs: int = 1,
                 title: str | None = None, topic_names: Mapping[int, str] | None = None) -> Path:
    """Write an offline pyLDAvis page for ``model`` to ``path`` and return the path.

    ``topic_names``: model topic id → label shown in the id table (e.g. from
    ``nlp.topics.labels.label_topics``: ``dict(zip(labels.topic, labels.label))``); defaults to the
    model's seeded ``topic_labels_`` if it has them.
    """
    prepared = prepare_ldavis(model, corpus, dictionary, doc_topic=doc_topic, R=R,
                              max_terms=max_terms, mds=mds, lambda_step=lambda_step, n_jobs=n_jobs)
    if topic_names is None:
        topic_names = getattr(model, "topic_labels_", None) or {}
    page = ldavis_html(prepared, title=title or f"{type(model).__name__}, K = {model.n_topics_}",
                       topic_names=topic_names)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # our own file object, closed here (pyLDAvis.save_html(vis, "path") leaks the handle)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(page)
    return path


def ldavis_payload(html_text: str) -> dict:
    """The LDAvis data embedded in a page written by :func:`write_ldavis` (for checks/tests)."""
    start_tag = '<script type="application/json" id="ldavis-data">'
    start = html_text.find(start_tag)
    if start < 0:
        raise UserError("this HTML was not written by write_ldavis (no ldavis-data block)")
    start += len(start_tag)
    end = html_text.find("</script>", start)
    return json.loads(html_text[start:end])
