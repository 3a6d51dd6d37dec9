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
from contextlib import contextmanager
from pathlib import Path

import click

from zhengce.corpus.cli_options import db_option, open_store
from zhengce.common.errors import UserError


@click.command()
@db_option
@click.option("--backend", type=click.Choice(["rjieba", "jieba"]), default="rjieba", show_default=True)
@click.option("--hmm/--no-hmm", default=False, show_default=True, help="jieba's HMM for unknown words.")
@click.option("--t2s", is_flag=True, help="Traditional -> Simplified (OpenCC) before segmenting.")
@click.option("--user-dict", type=click.Path(exists=True, dir_okay=False), default=None,
              help="User dictionary (default: nlp/dictionaries/userdict.txt).")
@click.option("--jobs", "n_jobs", type=int, default=None, help="Worker processes (default: all cores).")
def segment(db_path, backend, hmm, t2s, user_dict, n_jobs):
    """Segment the corpus into the token cache (only what is missing or stale).

    \b
    Example:
      zhengce segment --db data/demo.db --backend rjieba
    """
    from .text.normalize import Normalizer
    from .text.segment import Segmenter, segment_corpus

    with open_store(db_path) as store:   # a progress bar on a terminal, then the summary line
        summary = segment_corpus(store, Segmenter(backend=backend, hmm=hmm, user_dict=user_dict),
                                 Normalizer(t2s=t2s), n_jobs=n_jobs)
    click.echo(summary.get("line", str(summary)))


@contextmanager
def one_line_messages():
    """Yield ``say`` (a line to stderr) and, while the block runs, route the nlp loggers'
    warnings and the models' TopicModelWarning through it: each message once, one line, no
    source-line echo (a model logs and warns the same text)."""
    import logging
    import warnings

    from .topics.models.validation import TopicModelWarning

    said: set[str] = set()

    def say(msg: str) -> None:
        if msg not in said:
            said.add(msg)
            click.echo(msg, err=True)

    def show_warning(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, TopicModelWarning):
            if str(message) not in said:
                say(f"warning: {message}")
            return
        default_showwarning(message, category, filename, lineno, file, line)

    class SayHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            say(record.getMessage())

    nlp_logger = logging.getLogger("zhengce.nlp")
    handler = SayHandler(level=logging.WARNING)
    default_showwarning, propagate = warnings.showwarning, nlp_logger.propagate
    warnings.showwarning = show_warning
    nlp_logger.addHandler(handler)
    nlp_logger.propagate = False
    try:
        yield say
    finally:
        warnings.showwarning = default_showwarning
        nlp_logger.removeHandler(handler)
        nlp_logger.propagate = propagate


@click.group()
def topics():
    """Topic models and strategy shares (seeded DMR by default; seeded LDA, LDA)."""


@topics.command("run")
@db_option
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="YAML with any TopicsConfig setting (see nlp/topics_default.yaml).")
@click.option("--model", type=click.Choice(["dmr", "seeded_lda", "lda"]), default=None,
              help="dmr: seeded DMR with level × period covariates (the default, also of "
                   "topics_default.yaml); seeded_lda; lda (unseeded).  [default: dmr]")
@click.option("--k", "n_topics", type=int, default=None, help="Topics (unseeded LDA).")
@click.option("--free-topics", "n_free_topics", type=int, default=None,
              help="Unseeded topics beside the seeded ones.")
@click.option("--restarts", "n_restarts", type=int, default=None, help="Runs with consecutive seeds.")
@click.option("--random-state", type=int, default=None)
@click.option("--scheme", default=None, help="Coding scheme YAML (default nlp/schemes/tan.yaml).")
@click.option("--labels", "label_overrides", default=None, help="Label override file (YAML/CSV).")
@click.option("--out", "out_dir", default=None, help="Output folder (default out/topics).")
@click.option("--no-ldavis", is_flag=True, help="Skip the pyLDAvis page.")
@click.option("--t2s", is_flag=True, default=None,
              help="Traditional -> Simplified (OpenCC) before segmenting (config key t2s).")
def run(db_path, config_path, model, n_topics, n_free_topics, n_restarts, random_state, scheme,
        label_overrides, out_dir, no_ldavis, t2s):
    """Segment, build the dictionary, fit, label, and store strategy shares.

    \b
    Examples:
      zhengce topics run --db data/demo.db --restarts 3
      zhengce topics run --config nlp/topics_default.yaml --db data/zhengce.db
    """
    from .topics.stage import TopicsConfig, run_topics

    config = TopicsConfig.load(config_path, model=model, n_topics=n_topics,
                               n_free_topics=n_free_topics, n_restarts=n_restarts,
                               random_state=random_state, scheme=scheme,
                               label_overrides=label_overrides, out_dir=out_dir,
                               ldavis=False if no_ldavis else None, t2s=t2s or None)
    with open_store(db_path) as store, one_line_messages() as say:
        result = run_topics(store, config, progress=say)
    click.echo(result.line())


@topics.command("search-k")
@db_option
@click.option("--ks", default="5,10,20", show_default=True, help="Comma-separated numbers of topics.")
@click.option("--seeds", "n_seeds", default=3, show_default=True, help="Seeds per K (stability).")
@click.option("--random-state", default=0, show_default=True)
@click.option("--out", "out_dir", default="out/topics", show_default=True,
              help="Folder for the search_k table.")
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
    with open_store(db_path) as store, one_line_messages() as say:
        seg = segment_corpus(store, Segmenter(), Normalizer())
        corpus = TokenCorpus(store, seg["config_hash"], min_tokens=1)
        dictionary, _ = build_dictionary(corpus, no_below=5, no_above=0.5, keep_n=50_000)
        table = search_k(BowCorpus(corpus, dictionary), dictionary, grid,
                         lambda k, seed: LdaTopicModel(k, passes=10, iterations=100, random_state=seed),
                         n_seeds=n_seeds, random_state=random_state, texts=corpus, progress=say)
    paths = write_table(table, Path(out_dir), "search_k")
    click.echo(table.to_string())
    click.echo(f"recommended K = {table.attrs.get('recommended_k')} ({table.attrs.get('rule', '')}); "
               f"table: {paths['csv']}")


@topics.command("list")
@db_option
@click.option("-n", "--n", "limit", default=20, show_default=True, help="Newest runs shown.")
def list_cmd(db_path, limit):
    """One line per topic run: id, model, K, date, documents, label summary.

    \b
    Example:
      zhengce topics list --db data/demo.db
    """
    from .topics.runs import topic_run_listing

    with open_store(db_path) as store:
        rows = topic_run_listing(store, limit=limit)
    if not rows:
        click.echo("no topic runs yet: zhengce topics run --db DB")
        return
    for r in rows:
        click.echo(f"{r['run_id']}  {r['model']:<10} K={r['n_topics']:<3} {r['started_at'][:16]}  "
                   f"{r['n_documents']:>7,} docs  {r['labels']}")


@topics.command("show")
@click.argument("run_id")
@db_option
@click.option("-n", "--n", "n_words", default=10, show_default=True, help="Top words per topic.")
@click.option("--docs", "n_docs", default=0, show_default=True,
              help="Representative documents per topic (highest θ), with keywords in context.")
@click.option("--topic", "topic_ids", type=int, multiple=True, help="Only these topics (repeatable).")
def show(run_id, db_path, n_words, n_docs, topic_ids):
    """Print a run's topics: label, category, top words (and representative documents).

    \b
    --docs N lists each topic's N documents with the highest share θ_dk and keyword-in-context
    snippets of the topic's FREX words (as stm's findThoughts).
    Example:
      zhengce topics show topics-20261123T035105-9f8c29 --db data/demo.db --docs 3
    """
    from .topics.runs import representative_listing

    with open_store(db_path) as store:
        rows = store.db.execute("select topic, label, category, score, top_words, frex from topics "
                                "where run_id = ? order by topic", [run_id]).fetchall()
        if not rows:
            raise UserError(f"no topics stored for run {run_id!r}: list runs with zhengce topics list")
        if topic_ids:
            unknown = sorted(set(topic_ids) - {r[0] for r in rows})
            if unknown:
                raise UserError(f"--topic {unknown}: the run has topics 0..{len(rows) - 1}")
            rows = [r for r in rows if r[0] in set(topic_ids)]
        docs = representative_listing(store, run_id, rows, n_docs) if n_docs > 0 else {}
    for topic, label, category, score, words, frex in rows:
        top = json.loads(words or "[]")[:n_words]
        click.echo(f"{topic:>3} {category or '':<14} {label or '':<20} {score or 0:.2f}  {' '.join(map(str, top))}")
        for d in docs.get(topic, []):
            click.echo(f"      {d['rank']}. θ={d['weight']:.2f} {d['doc_id']} {d['title']}")
            for snippet in d["snippets"]:
                click.echo(f"           {snippet}")


@click.group()
def scheme():
    """The coding scheme (categories, definitions, seed terms)."""


@scheme.command("check")
@db_option
@click.option("--scheme", "scheme_path", default=None, help="Scheme YAML (default nlp/schemes/tan.yaml).")
@click.option("-o", "--output", "out_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the table to this CSV file.")
def scheme_check_cmd(db_path, scheme_path, out_path):
    """Each seed's document frequency, vocabulary membership and segmentation.

    \b
    Progress lines go to stderr while the corpus is read (twice).
    Example:
      zhengce scheme check --db data/demo.db --scheme nlp/schemes/tan.yaml -o seeds.csv
    """
    from zhengce.common.progress import Progress

    from .text.bow import TokenCorpus
    from .text.normalize import Normalizer
    from .scheme import load_scheme, scheme_check
    from .text.segment import Segmenter, segment_corpus

    sch = load_scheme(scheme_path)
    segmenter = Segmenter()
    with open_store(db_path) as store, one_line_messages() as say:
        seg = segment_corpus(store, segmenter, Normalizer())
        say(seg.get("line", "segmentation up to date"))
        corpus = TokenCorpus(store, seg["config_hash"])
        n_docs = len(corpus)
        with Progress("scheme check", total=2 * n_docs, unit="doc", enabled=False, echo=say,
                      every=2.0, echo_final=True) as meter:
            table = scheme_check(store, sch, corpus, segmenter=segmenter, progress=meter)
    if out_path:
        table.to_csv(out_path, index=False)
    click.echo(table.to_string(index=False))
    flagged = int((table["issues"].fillna("") != "").sum()) if "issues" in table else 0
    click.echo(f"{len(table)} seeds checked, {flagged} flagged" + (f"; table: {out_path}" if out_path else ""))


@click.group()
def labels():
    """Export or apply the researcher's topic → category mapping for a run."""


@labels.command("export")
@click.argument("run_id")
@click.option("-o", "--output", "path", type=click.Path(dir_okay=False), default=None,
              help="Label file to write, .csv or .yaml (default: out/labels/RUN_ID.csv).")
@db_option
def labels_export(run_id, path, db_path):
    """Write a run's labels to an editable CSV or YAML file.

    \b
    Round trip: export, fill in the 'category' column, apply; edit and apply again at will.
    Example:
      zhengce labels export topics-20261123T035105-9f8c29 -o labels.csv --db data/demo.db
      zhengce labels apply topics-20261123T035105-9f8c29 labels.csv --db data/demo.db
    """
    import pandas as pd

    from .scheme import load_scheme
    from .topics.labels import write_label_file
    from .topics.runs import run_scheme_path

    with open_store(db_path) as store:
        frame = pd.DataFrame(store.db.execute(
            "select topic, label, category, score, source, top_words, frex from topics "
            "where run_id = ? order by topic", [run_id]).fetchall(),
            columns=["topic", "label", "category", "score", "source", "top_words", "frex"])
        if frame.empty:
            raise UserError(f"no topics stored for run {run_id!r}: list runs with zhengce topics list")
        categories = load_scheme(run_scheme_path(store, run_id)).category_names
    out = write_label_file(frame, path or Path("out/labels") / f"{run_id}.csv", categories=categories)
    click.echo(f"wrote {len(frame)} topic labels to {out}; fill in 'category' "
               f"({' | '.join([*categories, 'other'])}) and run: zhengce labels apply {run_id} {out}")


@labels.command("apply")
@click.argument("run_id")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--scheme", "scheme_path", default=None,
              help="Coding scheme whose categories are allowed (default: the run's scheme).")
@db_option
def labels_apply(run_id, path, scheme_path, db_path):
    """Apply an edited label file: re-label the run's topics and recompute its strategy shares.

    \b
    Categories come from the coding scheme, so one application can be undone by another.
    Example:
      zhengce labels apply topics-20261123T035105-9f8c29 labels.csv --db data/demo.db
    """
    from .topics.runs import apply_label_file

    with open_store(db_path) as store:
        result = apply_label_file(store, run_id, path, scheme=scheme_path)
    click.echo(f"applied {result['applied']} label(s) to {run_id}; strategy shares recomputed for "
               f"{result['documents']:,} documents; recorded as run {result['run_id']}")


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
      zhengce shards export --out out/shards --db data/demo.db --rows 5000
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
@click.option("--t2s", is_flag=True, default=None,
              help="Traditional -> Simplified (OpenCC) before segmenting.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="A topics config (as make topics): its backend, hmm and t2s, so the tokens "
                   "are make topics' tokens.")
@progress_option
def segment_cmd(folder, scheduler, n_jobs, backend, hmm, min_len, t2s, config_path, progress):
    """Normalize and segment DIR/documents into DIR/tokens.

    \b
    Example:
      zhengce shards segment out/shards --scheduler tcp://127.0.0.1:8786
      zhengce shards segment out/shards --config nlp/topics_default.yaml
    """
    from .distributed import SegmentStage, run_parallel_stage
    from .text.normalize import Normalizer
    from .text.segment import Segmenter

    if config_path:
        from .topics.stage import TopicsConfig

        config = TopicsConfig.load(config_path)
        backend, hmm = config.backend, config.hmm
        t2s = config.t2s if t2s is None else t2s
    stage = SegmentStage(normalizer=Normalizer(t2s=bool(t2s)),
                         segmenter=Segmenter(backend=backend, hmm=hmm, min_len=min_len))
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
@click.option("-o", "--output", "out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="File to save the dictionary to (default DIR/dictionary.gensim).")
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
              help="Folder of the topic tables, with --model (default: the config's out_dir).")
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
