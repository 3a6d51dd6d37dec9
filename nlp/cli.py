"""NLP commands of the ``zhengce`` CLI: segment, topics, scheme, labels, and ``shards``.

``zhengce shards``: Parquet shards and the parallel stages (local processes or a Dask cluster).

A session on a cluster (docs/scaling.md)::

    zhengce shards export --db data/zhengce.db --out /shared/run1 --rows 5000
    zhengce shards segment /shared/run1 --scheduler tcp://10.0.0.5:8786
    zhengce shards dictionary /shared/run1 --scheduler tcp://10.0.0.5:8786
    zhengce shards bow /shared/run1 --scheduler tcp://10.0.0.5:8786
    zhengce shards train /shared/run1 --model dmr --config topics.yaml --db data/zhengce.db \\
        --out /shared/run1/dmr
    zhengce shards infer /shared/run1 --model /shared/run1/dmr --scheduler tcp://10.0.0.5:8786
    zhengce shards import /shared/run1 --db data/zhengce.db --model /shared/run1/dmr

Without ``--scheduler`` every stage runs in a local process pool (``--jobs``, default all cores).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from zhengce.corpus.cli_options import db_option, open_store
from zhengce.common.errors import UserError



@click.command()
@db_option
@click.option("--backend", type=click.Choice(["rjieba", "jieba"]), default="rjieba", show_default=True)
@click.option("--hmm/--no-hmm", default=False, show_default=True, help="jieba's HMM for unknown words.")
@click.option("--user-dict", type=click.Path(exists=True, dir_okay=False), default=None,
              help="User dictionary (default: nlp/dictionaries/userdict.txt).")
@click.option("--jobs", "n_jobs", type=int, default=None, help="Worker processes (default: all cores).")
def segment(db_path, backend, hmm, user_dict, n_jobs):
    """Segment the corpus into the token cache (only what is missing or stale).

    \b
    Example:
      zhengce segment --db data/demo.db --backend rjieba
    """
    from .text.normalize import Normalizer
    from .text.segment import Segmenter, segment_corpus

    with open_store(db_path) as store:   # a progress bar on a terminal, then the summary line
        summary = segment_corpus(store, Segmenter(backend=backend, hmm=hmm, user_dict=user_dict),
                                 Normalizer(), n_jobs=n_jobs)
    click.echo(summary.get("line", str(summary)))


@click.group()
def topics():
    """Topic models and strategy shares (seeded LDA, LDA, seeded DMR with covariates)."""


@topics.command("run")
@db_option
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="YAML with any TopicsConfig setting (see nlp/topics_default.yaml).")
@click.option("--model", type=click.Choice(["seeded_lda", "lda", "dmr"]), default=None)
@click.option("--k", "n_topics", type=int, default=None, help="Topics (unseeded LDA).")
@click.option("--free-topics", "n_free_topics", type=int, default=None,
              help="Unseeded topics beside the seeded ones.")
@click.option("--restarts", "n_restarts", type=int, default=None, help="Runs with consecutive seeds.")
@click.option("--random-state", type=int, default=None)
@click.option("--scheme", default=None, help="Coding scheme YAML (default nlp/schemes/tan.yaml).")
@click.option("--labels", "label_overrides", default=None, help="Label override file (YAML/CSV).")
@click.option("--out", "out_dir", default=None, help="Output folder (default out/topics).")
@click.option("--no-ldavis", is_flag=True, help="Skip the pyLDAvis page.")
def run(db_path, config_path, model, n_topics, n_free_topics, n_restarts, random_state, scheme,
        label_overrides, out_dir, no_ldavis):
    """Segment, build the dictionary, fit, label, and store strategy shares.

    \b
    Examples:
      zhengce topics run --db data/demo.db --model dmr --restarts 3
      zhengce topics run --config nlp/topics_default.yaml --db data/zhengce.db
    """
    from .topics.stage import TopicsConfig, run_topics

    config = TopicsConfig.load(config_path, model=model, n_topics=n_topics,
                               n_free_topics=n_free_topics, n_restarts=n_restarts,
                               random_state=random_state, scheme=scheme,
                               label_overrides=label_overrides, out_dir=out_dir,
                               ldavis=False if no_ldavis else None)
    with open_store(db_path) as store:
        result = run_topics(store, config, progress=lambda msg: click.echo(msg, err=True))
    click.echo(result.line())


@topics.command("search-k")
@db_option
@click.option("--ks", default="5,10,20", show_default=True, help="Comma-separated numbers of topics.")
@click.option("--seeds", "n_seeds", default=3, show_default=True, help="Seeds per K (stability).")
@click.option("--random-state", default=0, show_default=True)
@click.option("--out", "out_dir", default="out/topics", show_default=True)
def search_k_cmd(db_path, ks, n_seeds, random_state, out_dir):
    """Compare K: held-out fit, coherence (c_npmi, c_v), exclusivity, stability.

    \b
    Example:
      zhengce topics search-k --db data/demo.db --ks 5,10,20 --seeds 3
    """
    from zhengce.common.outputs import write_table

    from .text.bow import BowCorpus, TokenCorpus, build_dictionary
    from .topics.models import LdaTopicModel
    from .text.normalize import Normalizer
    from .text.segment import Segmenter, segment_corpus
    from .topics.selection import search_k

    try:
        grid = [int(k) for k in ks.split(",") if k.strip()]
    except ValueError:
        raise UserError(f"--ks {ks!r}: give whole numbers separated by commas, e.g. 5,10,20") from None
    with open_store(db_path) as store:
        seg = segment_corpus(store, Segmenter(), Normalizer())
        corpus = TokenCorpus(store, seg["config_hash"], min_tokens=1)
        dictionary, _ = build_dictionary(corpus, no_below=5, no_above=0.5, keep_n=50_000)
        table = search_k(BowCorpus(corpus, dictionary), dictionary, grid,
                         lambda k, seed: LdaTopicModel(k, passes=10, iterations=100, random_state=seed),
                         n_seeds=n_seeds, random_state=random_state, texts=corpus)
    paths = write_table(table, Path(out_dir), "search_k")
    click.echo(table.to_string())
    click.echo(f"recommended K = {table.attrs.get('recommended_k')} ({table.attrs.get('rule', '')}); "
               f"table: {paths['csv']}")


@topics.command("show")
@click.argument("run_id")
@db_option
@click.option("--n", "n_words", default=10, show_default=True)
def show(run_id, db_path, n_words):
    """Print a run's topics: label, category, top words.

    \b
    Example:
      zhengce topics show topics-20261123T035105-9f8c29 --db data/demo.db
    """
    import json

    with open_store(db_path) as store:
        rows = store.db.execute("select topic, label, category, score, top_words from topics "
                                "where run_id = ? order by topic", [run_id]).fetchall()
    if not rows:
        raise UserError(f"no topics stored for run {run_id!r}: list runs with zhengce runs --stage topics")
    for topic, label, category, score, words in rows:
        top = json.loads(words or "[]")[:n_words]
        click.echo(f"{topic:>3} {category or '':<14} {label or '':<20} {score or 0:.2f}  {' '.join(map(str, top))}")


@click.group()
def scheme():
    """The coding scheme (categories, definitions, seed terms)."""


@scheme.command("check")
@db_option
@click.option("--scheme", "scheme_path", default=None, help="Scheme YAML (default nlp/schemes/tan.yaml).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None, help="Also write a CSV.")
def scheme_check_cmd(db_path, scheme_path, out_path):
    """Each seed's document frequency, vocabulary membership and segmentation.

    \b
    Example:
      zhengce scheme check --db data/demo.db --scheme nlp/schemes/tan.yaml
    """
    from .text.bow import TokenCorpus
    from .text.normalize import Normalizer
    from .scheme import load_scheme, scheme_check
    from .text.segment import Segmenter, segment_corpus

    sch = load_scheme(scheme_path)
    segmenter = Segmenter()
    with open_store(db_path) as store:
        seg = segment_corpus(store, segmenter, Normalizer())
        table = scheme_check(store, sch, TokenCorpus(store, seg["config_hash"]), segmenter=segmenter)
    if out_path:
        table.to_csv(out_path, index=False)
    click.echo(table.to_string(index=False))
    flagged = int((table["issues"].fillna("") != "").sum()) if "issues" in table else 0
    click.echo(f"{len(table)} seeds checked, {flagged} flagged")


@click.group()
def labels():
    """Export or apply the researcher's topic → category mapping for a run."""


@labels.command("export")
@click.argument("run_id")
@click.argument("path", type=click.Path(dir_okay=False))
@db_option
def labels_export(run_id, path, db_path):
    """Write a run's labels to an editable YAML/CSV file.

    \b
    Example:
      zhengce labels export topics-20261123T035105-9f8c29 labels.csv --db data/demo.db
    """
    import pandas as pd

    from .topics.labels import write_label_file

    with open_store(db_path) as store:
        frame = pd.DataFrame(store.db.execute(
            "select topic, label, category, score, top_words from topics where run_id = ? order by topic",
            [run_id]).fetchall(), columns=["topic", "label", "category", "score", "top_words"])
    if frame.empty:
        raise UserError(f"no topics stored for run {run_id!r}: list runs with zhengce runs --stage topics")
    out = write_label_file(frame, path)
    click.echo(f"wrote {len(frame)} topic labels to {out}; edit 'category' and run zhengce labels apply")


@labels.command("apply")
@click.argument("run_id")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@db_option
def labels_apply(run_id, path, db_path):
    """Apply an edited label file: re-label the run's topics and recompute its strategy shares.

    \b
    Example:
      zhengce labels apply topics-20261123T035105-9f8c29 labels.csv --db data/demo.db
    """
    import numpy as np
    import pandas as pd

    from .topics.labels import read_label_overrides, strategy_shares

    with open_store(db_path) as store:
        db = store.db
        topics_rows = db.execute("select topic, label, category from topics where run_id = ? order by topic",
                                 [run_id]).fetchall()
        if not topics_rows:
            raise UserError(f"no topics stored for run {run_id!r}: list runs with zhengce runs --stage topics")
        categories = sorted({c for _, _, c in topics_rows if c and c not in ("other", "free")})
        overrides = read_label_overrides(path, n_topics=len(topics_rows), categories=categories)
        frame = pd.DataFrame(topics_rows, columns=["topic", "label", "category"])
        for topic, entry in overrides.items():
            frame.loc[frame["topic"] == topic, "category"] = entry.get("category")
            if entry.get("label"):
                frame.loc[frame["topic"] == topic, "label"] = entry["label"]
        weights = pd.DataFrame(db.execute("select doc_id, topic, weight from doc_topics where run_id = ?",
                                          [run_id]).fetchall(), columns=["doc_id", "topic", "weight"])
        matrix = weights.pivot(index="doc_id", columns="topic", values="weight").sort_index(axis=1)
        shares = strategy_shares(matrix.to_numpy(dtype=float), frame, doc_ids=list(matrix.index))
        shares = shares.reset_index() if "doc_id" not in shares.columns else shares
        with db.conn:
            for row in frame.itertuples(index=False):
                db.execute("update topics set category = ?, label = ? where run_id = ? and topic = ?",
                           [row.category, row.label, run_id, int(row.topic)])
            db.execute("delete from strategy_shares where run_id = ?", [run_id])
            cats = [c for c in shares.columns if c != "doc_id"]
            db.conn.executemany(
                "insert into strategy_shares (run_id, doc_id, category, share) values (?, ?, ?, ?)",
                [(run_id, r["doc_id"], c, float(r[c])) for r in shares.to_dict("records") for c in cats
                 if not np.isnan(r[c])])
    click.echo(f"applied {len(overrides)} label(s) to {run_id}; strategy shares recomputed for "
               f"{len(shares):,} documents")


# ---------------------------------------------------------------------------------------------
# zhengce shards
# ---------------------------------------------------------------------------------------------

scheduler_option = click.option(
    "--scheduler", default=None, metavar="ADDRESS",
    help="Dask scheduler (tcp://host:port, or a scheduler file); default: local processes.")
jobs_option = click.option("--jobs", "n_jobs", type=int, default=None,
                           help="Local worker processes (default: all cores; 1 = in this process).")
progress_option = click.option("--progress/--no-progress", default=None,
                               help="A progress bar of the shards on stderr (default: on a terminal).")
dir_argument = click.argument("folder", metavar="DIR", type=click.Path(path_type=Path))


@click.group()
def shards() -> None:
    """Parquet shards of the corpus and the stages that run on them in parallel.

    \b
    Stages (each reads shards under DIR and writes new ones beside them):
      segment     documents -> tokens        (normalize + segment, as the token cache)
      dictionary  tokens -> dictionary.gensim (filtered vocabulary)
      bow         tokens -> bow              (bag of words with that dictionary)
      train       bow -> a saved model       (make topics' model with --model/--config; one machine)
      infer       tokens|bow -> doc_topics   (θ of a saved model, the same whatever the sharding)
      score       tokens -> dictionary_scores (the coding scheme's dictionary measure)
    Run them on a Dask cluster with --scheduler tcp://host:port; DIR must then be on a
    filesystem every worker sees at the same path. See docs/scaling.md.
    """


@shards.command("export")
@db_option
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), metavar="DIR",
              help="Shard folder to write (DIR/documents or DIR/tokens).")
@click.option("--rows", type=int, default=5000, show_default=True, help="Documents per shard.")
@click.option("--where", default=None, help="SQL condition on documents (alias d), e.g. \"d.level = ?\".")
@click.option("--param", "params", multiple=True, help="A parameter of --where (repeatable).")
@click.option("--tokens", "config_hash", default=None, metavar="CONFIG_HASH",
              help="Export the token cache of this segmentation instead of the documents.")
def export_cmd(db_path, out, rows, where, params, config_hash):
    """Export the store's documents (or cached tokens) to Parquet shards of --rows documents.

    \b
    Example:
      zhengce shards export out/shards --db data/demo.db --rows 5000
    """
    from zhengce.corpus import shards as sh

    with open_store(db_path) as store:
        if config_hash:
            result = sh.export_tokens(store, out, config_hash, rows=rows, where=where, params=params)
        else:
            result = sh.export_documents(store, out, rows=rows, where=where, params=params)
    click.echo(f"exported {result.n_documents:,} documents in {len(result)} {result.kind} "
               f"shards to {result.folder}")


@shards.command("segment")
@dir_argument
@scheduler_option
@jobs_option
@click.option("--backend", type=click.Choice(["rjieba", "jieba"]), default="rjieba",
              show_default=True, help="Segmentation backend (identical tokens; rjieba is faster).")
@click.option("--hmm/--no-hmm", default=False, show_default=True,
              help="jieba's HMM new-word discovery (off: it invents words in formal text).")
@click.option("--min-len", type=int, default=2, show_default=True, help="Shortest token kept.")
@progress_option
def segment_cmd(folder, scheduler, n_jobs, backend, hmm, min_len, progress):
    """Normalize and segment DIR/documents into DIR/tokens.

    \b
    Example:
      zhengce shards segment out/shards --scheduler tcp://127.0.0.1:8786
    """
    from .distributed import SegmentStage, run_parallel_stage
    from .text.segment import Segmenter

    stage = SegmentStage(segmenter=Segmenter(backend=backend, hmm=hmm, min_len=min_len))
    report = run_parallel_stage(stage, folder, scheduler=scheduler, n_jobs=n_jobs,
                                progress=progress)
    click.echo(report.line())
    click.echo(f"token config {stage.config_hash}; import with: zhengce shards import {folder} --db DB")


@shards.command("dictionary")
@dir_argument
@click.option("--no-below", type=int, default=None,
              help="Keep tokens in at least this many documents (default 5, or --config's).")
@click.option("--no-above", type=float, default=None,
              help="Keep tokens in at most this fraction of documents (default 0.5, or --config's).")
@click.option("--keep-n", type=int, default=None,
              help="Then keep the most frequent N (0 = no cap; default 100000, or --config's).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="A topics config (as make topics): its filter settings, and the scheme's seed "
                   "terms kept (keep_seeds), so the vocabulary is make topics' vocabulary.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Where to save the dictionary (default DIR/dictionary.gensim).")
@scheduler_option
@jobs_option
def dictionary_cmd(folder, no_below, no_above, keep_n, config_path, out, scheduler, n_jobs):
    """Build the filtered vocabulary of DIR/tokens (per-shard counts in parallel, merged here).

    \b
    Example:
      zhengce shards dictionary out/shards --no-below 5 --no-above 0.5 --keep-n 50000
      zhengce shards dictionary out/shards --config nlp/topics_default.yaml
    """
    from .distributed import build_dictionary_from_shards

    keep_tokens = None
    if config_path:
        from .scheme import load_scheme
        from .topics.stage import TopicsConfig

        config = TopicsConfig.load(config_path)
        no_below = config.no_below if no_below is None else no_below
        no_above = config.no_above if no_above is None else no_above
        keep_n = config.keep_n if keep_n is None else keep_n
        keep_tokens = load_scheme(config.scheme).terms() if config.keep_seeds else None
    no_below = 5 if no_below is None else no_below
    no_above = 0.5 if no_above is None else no_above
    keep_n = 100000 if keep_n is None else keep_n
    _, report, path = build_dictionary_from_shards(folder, no_below=no_below, no_above=no_above,
                                                   keep_n=keep_n or None, keep_tokens=keep_tokens,
                                                   scheduler=scheduler, n_jobs=n_jobs, out=out)
    click.echo(f"dictionary: {report.n_documents:,} documents, vocabulary {report.vocab_before:,} -> "
               f"{report.vocab_after:,} (no_below={no_below}, no_above={no_above}, "
               f"keep_n={keep_n or None}, {len(keep_tokens or [])} seed terms kept); saved to {path}")


@shards.command("bow")
@dir_argument
@click.option("--dictionary", "dictionary_path", type=click.Path(path_type=Path), default=None,
              help="A saved gensim Dictionary (default DIR/dictionary.gensim).")
@scheduler_option
@jobs_option
@progress_option
def bow_cmd(folder, dictionary_path, scheduler, n_jobs, progress):
    """Bag of words of DIR/tokens with a dictionary, into DIR/bow.

    \b
    Example:
      zhengce shards bow out/shards
    """
    from .distributed import BowStage, run_parallel_stage

    stage = BowStage(dictionary_path or Path(folder) / "dictionary.gensim")
    report = run_parallel_stage(stage, folder, scheduler=scheduler, n_jobs=n_jobs,
                                progress=progress)
    click.echo(report.line())


@shards.command("train")
@dir_argument
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder to save the model in.")
@click.option("--model", "model_name", type=click.Choice(["dmr", "seeded_lda", "lda"]), default=None,
              help="Fit this model of make topics with its TopicsConfig (needs --db); without "
                   "--model and --config: unsupervised gensim LDA (--k, --passes ...).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="The topics config YAML of make topics (its model unless --model).")
@db_option
@click.option("--k", "n_topics", type=int, default=None, help="Number of topics K (LDA; default 50).")
@click.option("--free-topics", "n_free_topics", type=int, default=None,
              help="Unseeded topics besides the seeded ones (seeded_lda, dmr).")
@click.option("--scheme", default=None, help="Coding scheme YAML (default nlp/schemes/tan.yaml).")
@click.option("--max-train-docs", "dmr_max_train_docs", type=int, default=None,
              help="DMR: train on a sample of this many documents stratified by level x period.")
@click.option("--passes", type=int, default=None, help="Passes over the corpus (LDA; default 10).")
@click.option("--iterations", type=int, default=None,
              help="E-step iterations per document (LDA; default 100).")
@click.option("--chunksize", type=int, default=2000, show_default=True,
              help="Documents per online update (unsupervised LDA).")
@click.option("--random-state", type=int, default=None, help="Seed (default 0, or --config's).")
def train_cmd(folder, out, model_name, config_path, db_path, n_topics, n_free_topics, scheme,
              dmr_max_train_docs, passes, iterations, chunksize, random_state):
    """Fit a topic model on DIR/bow, streaming one shard at a time (one machine).

    With --model or --config: the model of make topics (seeded DMR on a sample stratified by
    level x period, covariates from --db), saved with its dictionary, scheme hash, covariate
    coding and the plan of the joint inference runs; then shards infer and shards import --model.

    \b
    Examples:
      zhengce shards train out/shards --out out/shards/model
      zhengce shards train out/shards --model dmr --config topics.yaml --db data/zhengce.db \\
          --out out/shards/dmr
    """
    if model_name is None and config_path is None:
        from .distributed import train_from_shards
        from .topics.models import LdaTopicModel

        n_topics = n_topics or 50
        model = LdaTopicModel(n_topics=n_topics, passes=passes or 10, iterations=iterations or 100,
                              chunksize=chunksize, random_state=random_state or 0)
        train_from_shards(folder, model, out=out)
        click.echo(f"LDA K={n_topics}: {model.n_docs_:,} documents, per-word bound "
                   f"{model.per_word_bound_:.3f}, {model.fit_seconds_:.1f} s; saved to {out}")
        return
    from .shard_dmr import train_topics_from_shards
    from .topics.stage import TopicsConfig

    config = TopicsConfig.load(config_path, model=model_name, n_topics=n_topics,
                               n_free_topics=n_free_topics, scheme=scheme, passes=passes,
                               iterations=iterations, random_state=random_state,
                               dmr_max_train_docs=dmr_max_train_docs)
    with open_store(db_path) as store:
        model = train_topics_from_shards(folder, store, config, out, progress=click.echo)
    inferred = "" if config.model != "dmr" else (
        f", {int((~model.trained_rows_).sum()):,} to infer with zhengce shards infer")
    click.echo(f"{config.model}: K={model.n_topics_} on {model.n_docs_:,} documents{inferred}; "
               f"saved to {out}")


@shards.command("infer")
@dir_argument
@click.option("--model", "model_path", required=True, type=click.Path(path_type=Path),
              help="A model folder saved by shards train (DMR: its joint runs) or model.save() "
                   "(gensim LDA).")
@click.option("--random-state", type=int, default=None,
              help="Gensim LDA: seed of the per-document starts (default: the model's).")
@scheduler_option
@jobs_option
@progress_option
def infer_cmd(folder, model_path, random_state, scheduler, n_jobs, progress):
    """Document-topic shares θ of DIR under a saved model, into DIR/doc_topics.

    \b
    Example:
      zhengce shards infer out/shards --model out/shards/dmr --scheduler tcp://10.0.0.5:8786
    """
    from .distributed import InferStage, run_parallel_stage
    from .shard_dmr import TRAIN_FILE, DmrInferStage

    trained = Path(model_path) / TRAIN_FILE
    if trained.is_file():
        name = json.loads(trained.read_text(encoding="utf-8"))["model"]
        if name != "dmr":
            click.echo(f"{model_path}: {name} was fitted on every document, so θ is the fit's; "
                       f"nothing to infer: zhengce shards import {folder} --model {model_path}")
            return
        stage = DmrInferStage(model_path, folder)
    else:
        stage = InferStage(model_path, random_state=random_state)
    report = run_parallel_stage(stage, folder, scheduler=scheduler, n_jobs=n_jobs,
                                progress=progress)
    click.echo(report.line())


@shards.command("score")
@dir_argument
@click.option("--scheme", "scheme_path", type=click.Path(path_type=Path), default=None,
              help="Coding scheme YAML (default nlp/schemes/tan.yaml).")
@scheduler_option
@jobs_option
@progress_option
def score_cmd(folder, scheme_path, scheduler, n_jobs, progress):
    """The coding scheme's dictionary measure of DIR/tokens, into DIR/dictionary_scores.

    \b
    Example:
      zhengce shards score out/shards
    """
    from .distributed import ScoreStage, run_parallel_stage

    report = run_parallel_stage(ScoreStage(scheme_path), folder, scheduler=scheduler,
                                n_jobs=n_jobs, progress=progress)
    click.echo(report.line())


@shards.command("import")
@dir_argument
@db_option
@click.option("--kind", "kinds", multiple=True,
              type=click.Choice(["tokens", "doc_topics", "dictionary_scores"]),
              help="Import only these result kinds (default: every one present).")
@click.option("--model", "model_path", type=click.Path(path_type=Path), default=None,
              help="A folder from shards train --model/--config: write its topic run as make "
                   "topics does (labels, topics, strategy shares, dictionary measure).")
@click.option("--out", "out_dir", default=None,
              help="With --model: folder of the topic tables (default: the config's out_dir).")
def import_cmd(folder, db_path, kinds, model_path, out_dir):
    """Import result shards (tokens, doc_topics, dictionary_scores) into the store; re-running
    changes nothing. With --model: the topic run of that model, so zhengce report works as
    after make topics.

    \b
    Examples:
      zhengce shards import out/shards --db data/demo.db
      zhengce shards import out/shards --db data/demo.db --model out/shards/dmr
    """
    from zhengce.nlp import shard_import as sh

    if model_path is not None:
        with open_store(db_path) as store:
            result = sh.import_topic_run(store, folder, model_path, out_dir=out_dir)
        corr = ", ".join(f"{k} r={v:.2f}" for k, v in result["correlations"].items())
        click.echo(f"topic run {result['run_id']} on {result['n_documents']:,} documents "
                   f"(dictionary measure {result['dictionary_run_id']}; topic vs dictionary: "
                   f"{corr or 'n/a'})")
        return
    with open_store(db_path) as store:
        result = sh.import_shards(store, folder, kinds=list(kinds) or None)
    for kind, info in result.items():
        key = info.get("run_id") or info.get("config_hash")
        click.echo(f"imported {kind}: {info['documents']:,} documents ({key})")


@shards.command("info")
@dir_argument
def info_cmd(folder):
    """List the shard kinds under DIR with their document counts.

    \b
    Example:
      zhengce shards info out/shards
    """
    from zhengce.corpus import shards as sh

    found = False
    for kind in sh.KINDS:
        if sh.has_shards(folder, kind):
            found = True
            s = sh.shard_set(folder, kind)
            extra = {k: s.manifest[k] for k in ("run_id", "config_hash", "stage", "executor")
                     if s.manifest.get(k)}
            click.echo(f"{kind}: {s.n_documents:,} documents in {len(s)} shards, "
                       f"{s.manifest.get('created_at')} {json.dumps(extra, ensure_ascii=False)}")
    if not found:
        click.echo(f"no shards under {folder}")
