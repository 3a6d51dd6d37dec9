"""The topics stage end to end: segment → dictionary → topic model(s) → labels → strategy shares.

:func:`run_topics` is what ``make topics`` and ``zhengce topics run`` call. It reads documents
from the store and writes every output back under a run id with a manifest (parameters, seeds,
dictionary and corpus hashes, package versions): ``doc_topics``, ``topics``,
``strategy_shares``, the transparent ``dictionary_scores``, topic tables and an offline pyLDAvis
page. Segmentation is cached per document and segmenter configuration, so changing the model
never re-segments.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from zhengce.common.errors import UserError
from zhengce.common.periods import is_post
from zhengce.common.memory import MemoryReport
from zhengce.corpus.store import Store

MODELS = ("seeded_lda", "lda", "dmr")
#: The one default model, everywhere (TopicsConfig, ``zhengce topics run``, topics_default.yaml,
#: the Makefile, the README): seeded DMR fits faster than seeded LDA on real corpora, reports
#: progress, and recovers a planted signal better (issue 15).
DEFAULT_MODEL = "dmr"


@dataclass
class TopicsConfig:
    """Every choice of the topics stage; ``TopicsConfig.load(path)`` reads a YAML file.

    Dictionary filtering arguments are all explicit (gensim's defaults silently cut the
    vocabulary); the scheme's seed terms are always kept (``keep_seeds``), or filter_extremes'
    ``no_above`` would drop frequent seeds such as 标准 or 监督.
    """

    model: str = DEFAULT_MODEL
    n_free_topics: int = 3
    n_topics: int = 20  # unseeded LDA only
    topics_per_category: int = 1
    seed_weight: float = 5.0
    passes: int = 20
    iterations: int = 200
    dmr_iterations: int = 500
    #: stop the DMR sampler once the per-word log-likelihood changes by less than this (relative)
    #: over ``dmr_check_every`` sweeps; None runs all ``dmr_iterations``
    dmr_tol: float | None = 1e-3
    dmr_check_every: int = 25
    #: corpora above this many documents: DMR trains on a sample of this size stratified by
    #: level × period and infers θ of the others (``dmr_infer_iterations`` sweeps each)
    dmr_max_train_docs: int | None = 6000
    dmr_infer_iterations: int = 20
    #: inferred documents are sampled jointly in runs of this many (1: each alone; see
    #: SeededDmrModel: 3.4x faster at 100, θ changed no more than by the sampler's own noise)
    dmr_infer_batch: int = 100
    random_state: int = 0
    n_restarts: int = 1
    no_below: int = 5
    no_above: float = 0.5
    keep_n: int = 50_000
    keep_seeds: bool = True
    backend: str = "rjieba"
    hmm: bool = False
    #: Traditional -> Simplified characters (OpenCC t2s) before segmenting, for corpora with
    #: Hong Kong, Macao or Taiwan documents; the stored text is not changed
    t2s: bool = False
    scheme: str | None = None
    label_overrides: str | None = None
    ldavis: bool = True
    out_dir: str = "out/topics"
    n_jobs: int | None = None

    @classmethod
    def load(cls, path: str | Path | None, **overrides) -> "TopicsConfig":
        data: dict = {}
        if path:
            import yaml

            p = Path(path)
            if not p.is_file():
                raise UserError(f"topics config {p} not found: give a YAML file (see nlp/topics_default.yaml)")
            try:
                data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as exc:  # e.g. a !!python/... tag: safe_load refuses it
                raise UserError(f"{p} is not a plain YAML settings file ({' '.join(str(exc).split())}); "
                                "write plain keys and values (see nlp/topics_default.yaml)") from None
            if not isinstance(data, dict):
                raise UserError(f"{p}: expected 'setting: value' lines (see nlp/topics_default.yaml)")
            unknown = sorted(set(data) - set(cls.__dataclass_fields__))
            if unknown:
                raise UserError(f"{p}: unknown setting(s) {', '.join(unknown)}; "
                                f"known: {', '.join(cls.__dataclass_fields__)}")
        data.update({k: v for k, v in overrides.items() if v is not None})
        config = cls(**data)
        if config.model not in MODELS:
            raise UserError(f"model {config.model!r}: use one of {', '.join(MODELS)}")
        return config


@dataclass
class TopicsResult:
    run_ids: list[str]
    n_documents: int
    vocabulary: int
    segmented: int
    dictionary_run_id: str | None
    correlations: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    out_dir: str = ""
    #: peak memory (VmHWM) of this process and of the segmentation workers, whole stage
    memory: MemoryReport = field(default_factory=lambda: MemoryReport(main_role="topics"))

    def line(self) -> str:
        corr = ", ".join(f"{k} r={v:.2f}" for k, v in self.correlations.items())
        return (f"topics: {len(self.run_ids)} run(s) on {self.n_documents:,} documents, vocabulary "
                f"{self.vocabulary:,}, {self.segmented:,} newly segmented, {self.seconds:.1f}s; "
                f"topic vs dictionary measure: {corr or 'n/a'}; runs {', '.join(self.run_ids)}; "
                f"{self.memory.line()}")


def _covariates(store: Store, doc_ids: list[str]) -> pd.DataFrame:
    rows = {r[0]: r[1:] for r in store.db.execute("select doc_id, level, year from documents")}
    frame = pd.DataFrame([(d, *rows[d]) for d in doc_ids], columns=["doc_id", "level", "year"])
    frame["level"] = frame["level"].fillna("unknown")
    # the post-2001 rule of zhengce.common.periods; an unknown year counts as pre
    frame["period"] = np.where(is_post(frame["year"]), "post", "pre")
    return frame


def _make_model(config: TopicsConfig, seed_words: dict, random_state: int):
    from .models import LdaTopicModel, SeededDmrModel, SeededLdaModel

    if config.model == "lda":
        return LdaTopicModel(config.n_topics, passes=config.passes, iterations=config.iterations,
                             random_state=random_state)
    if config.model == "seeded_lda":
        return SeededLdaModel(seed_words, config.n_free_topics,
                              topics_per_category=config.topics_per_category,
                              seed_weight=config.seed_weight, passes=config.passes,
                              iterations=config.iterations, random_state=random_state)
    return SeededDmrModel(seed_words, config.n_free_topics, cell_columns=("level", "period"),
                          iterations=config.dmr_iterations, tol=config.dmr_tol,
                          check_every=config.dmr_check_every,
                          max_train_docs=config.dmr_max_train_docs,
                          infer_iterations=config.dmr_infer_iterations,
                          n_jobs=config.n_jobs,   # inference processes: any number, same θ
                          infer_batch=config.dmr_infer_batch,
                          train_n_jobs=1, random_state=random_state)


def run_topics(store: Store, config: TopicsConfig | None = None, *,
               progress: Callable[[str], None] | None = None) -> TopicsResult:
    """Run the whole topics stage on ``store``; see the module docstring."""
    from zhengce.nlp.text.bow import BowCorpus, TokenCorpus, build_dictionary, corpus_hash, dictionary_hash
    from zhengce.nlp.text.normalize import Normalizer
    from zhengce.nlp.scheme import dictionary_scores, load_scheme
    from zhengce.nlp.text.segment import Segmenter, segment_corpus

    config = config or TopicsConfig()
    say = progress or (lambda msg: None)
    start = time.monotonic()
    memory = MemoryReport(main_role="topics")
    if store.count("documents") == 0:
        raise UserError("the database has no documents: load or crawl some first (zhengce load …)")
    scheme = load_scheme(config.scheme)
    seed_words = {name: [s.term for s in cat.seeds] for name, cat in scheme.categories.items()}
    segmenter = Segmenter(backend=config.backend, hmm=config.hmm)
    normalizer = Normalizer(t2s=config.t2s)
    seg = segment_corpus(store, segmenter, normalizer, n_jobs=config.n_jobs)
    say(seg.get("line", f"segmented {seg}"))
    if seg.get("peak_memory"):
        memory.merge(MemoryReport.from_dict(seg["peak_memory"]))
    config_hash = seg.get("config_hash")
    corpus = TokenCorpus(store, config_hash, min_tokens=1)
    keep = scheme.terms() if config.keep_seeds else None
    dictionary, report = build_dictionary(corpus, no_below=config.no_below, no_above=config.no_above,
                                          keep_n=config.keep_n, keep_tokens=keep)
    say(f"vocabulary {report.vocab_before:,} → {report.vocab_after:,} (no_below={config.no_below}, "
        f"no_above={config.no_above}, keep_n={config.keep_n}, {len(keep or [])} seed terms kept)")
    bow = BowCorpus(corpus, dictionary)
    doc_ids = corpus.doc_ids()
    covariates = _covariates(store, doc_ids)
    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    inputs = {"dictionary": dictionary_hash(dictionary), "corpus": corpus_hash(corpus),
              "scheme": scheme.as_dict()}
    run_ids: list[str] = []
    shares_for_corr: pd.DataFrame | None = None
    for restart in range(config.n_restarts):
        seed = config.random_state + restart
        params = {**asdict(config), "random_state": seed, "restart": restart,
                  "config_hash": config_hash, "vocabulary": len(dictionary)}
        with store.run("topics", params, inputs=inputs,
                       packages=["gensim", "tomotopy", "jieba", "rjieba", "pyLDAvis"]) as run:
            model = _make_model(config, seed_words, seed)
            say(f"fitting {config.model} (restart {restart + 1}/{config.n_restarts}, seed {seed})")
            if config.model == "dmr":
                model.fit(bow, dictionary, covariates=covariates, progress=say)
            else:
                model.fit(bow, dictionary, progress=say)
            memory.add_all(getattr(model, "infer_worker_peaks_", ()))
            shares = _save_restart(store, run, model, config, seed_words, doc_ids, dictionary, out)
            run_ids.append(run.run_id)
            if shares_for_corr is None:
                shares_for_corr = shares
    scores = dictionary_scores(corpus, scheme)
    correlations = _measure_correlations(store, scores.run_id, shares_for_corr, doc_ids)
    _record_correlations(store, run_ids, correlations, scores.run_id)
    _write_run_manifests(store, run_ids, out)
    return TopicsResult(run_ids=run_ids, n_documents=len(doc_ids), vocabulary=len(dictionary),
                        segmented=int(seg.get("n_segmented", 0)),
                        dictionary_run_id=scores.run_id, correlations=correlations,
                        seconds=time.monotonic() - start, out_dir=str(out),
                        memory=memory.finish())


def _save_restart(store: Store, run, model, config: TopicsConfig, seed_words: dict,
                  doc_ids: list[str], dictionary, out: Path) -> pd.DataFrame:
    """Labels, stored topics and shares, the topics table and pyLDAvis page of one fitted
    restart; returns its strategy shares."""
    from zhengce.common.outputs import write_table

    from .labels import label_model, save_topic_run, strategy_shares, topic_table

    labels = label_model(model, seed_words, overrides=config.label_overrides)
    counts = save_topic_run(store, run, model, doc_ids, labels, dictionary)
    run_out = out / run.run_id
    run_out.mkdir(parents=True, exist_ok=True)
    table = topic_table(model.topic_word_, model.vocabulary_, model.word_counts_,
                        doc_topic=model.doc_topic_)
    if "topic" in table.columns:
        table = table.merge(labels[["topic", "label", "category", "score"]], on="topic", how="left")
    write_table(table, run_out, "topics")
    summary = {"counts": counts, "out_dir": str(run_out), "model": model.manifest_info(),
               "n_documents": len(doc_ids)}
    if config.ldavis:
        from .ldavis import write_ldavis

        names = dict(zip(labels["topic"], labels["label"]))
        # the model's own counts (its fit corpus is bow): no second pass over the corpus
        path = write_ldavis(model, None, dictionary, run_out / "ldavis.html", topic_names=names)
        summary["ldavis_path"] = str(path)
    run.summary.update(summary)
    return strategy_shares(model.doc_topic_, labels, doc_ids=doc_ids)


def _write_run_manifests(store: Store, run_ids: list[str], out: Path) -> None:
    """``out/<run_id>/manifest.json``: the run's manifest (parameters, seeds, input hashes,
    package versions) and summary, beside its topics table and pyLDAvis page."""
    from zhengce.common.outputs import write_manifest

    for run_id in run_ids:
        row = store.db.execute("select manifest, summary from runs where run_id = ?",
                               [run_id]).fetchone()
        manifest = json.loads(row[0] or "{}")
        write_manifest(out / run_id, {"run_id": run_id, **manifest, "database": str(store.path),
                                      "summary": json.loads(row[1] or "{}")})


def _record_correlations(store: Store, run_ids: list[str], correlations: dict[str, float],
                         scores_run: str) -> None:
    """Add the topic-vs-dictionary correlations to every restart's run summary."""
    for run_id in run_ids:
        row = store.db.execute("select summary from runs where run_id = ?", [run_id]).fetchone()
        summary = json.loads(row[0] or "{}")
        summary["dictionary_correlation"] = correlations
        summary["dictionary_run_id"] = scores_run
        store.db["runs"].update(run_id, {"summary": json.dumps(summary, ensure_ascii=False, default=str)})


def _measure_correlations(store: Store, scores_run: str, shares: pd.DataFrame | None,
                          doc_ids: list[str]) -> dict[str, float]:
    """Pearson correlation, per category, of the topic measure and the dictionary measure."""
    if shares is None:
        return {}
    from zhengce.nlp.scheme import load_dictionary_scores

    dict_scores = load_dictionary_scores(store, scores_run, wide=True)
    dict_scores = dict_scores.reset_index() if "doc_id" not in dict_scores.columns else dict_scores.reset_index(drop=True)
    topic = shares.reset_index() if "doc_id" not in shares.columns else shares.reset_index(drop=True)
    if "doc_id" not in topic.columns:
        topic.insert(0, "doc_id", doc_ids)
    merged = topic.merge(dict_scores, on="doc_id")
    out = {}
    for cat in ("directive", "developmental", "regulatory"):
        a, b = cat, f"share_{cat}"
        if a in merged and b in merged and merged[a].std() > 0 and merged[b].std() > 0:
            out[cat] = float(np.corrcoef(merged[a], merged[b])[0, 1])
    return out
