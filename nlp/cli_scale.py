"""``zhengce shards``: Parquet shards and the parallel stages (local processes or a Dask cluster).

A session on a cluster (docs/scaling.md)::

    zhengce shards export --db data/zhengce.db --out /shared/run1 --rows 5000
    zhengce shards segment /shared/run1 --scheduler tcp://10.0.0.5:8786
    zhengce shards dictionary /shared/run1 --scheduler tcp://10.0.0.5:8786
    zhengce shards bow /shared/run1 --scheduler tcp://10.0.0.5:8786
    zhengce shards train /shared/run1 --k 50 --out /shared/run1/model
    zhengce shards infer /shared/run1 --model /shared/run1/model --scheduler tcp://10.0.0.5:8786
    zhengce shards score /shared/run1 --scheduler tcp://10.0.0.5:8786
    zhengce shards import /shared/run1 --db data/zhengce.db

Without ``--scheduler`` every stage runs in a local process pool (``--workers``, default all cores).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

db_option = click.option("--db", "db_path", default=None, metavar="PATH",
                         help="Corpus database (default: $ZHENGCE_DB or data/zhengce.db).")
scheduler_option = click.option(
    "--scheduler", default=None, metavar="ADDRESS",
    help="Dask scheduler (tcp://host:port, or a scheduler file); default: local processes.")
workers_option = click.option("--workers", "n_workers", type=int, default=None,
                              help="Local worker processes (default: all cores; 1 = in this process).")
progress_option = click.option("--progress/--no-progress", default=None,
                               help="A line per finished shard on stderr (default: on a terminal).")
dir_argument = click.argument("folder", metavar="DIR", type=click.Path(path_type=Path))


def _progress(enabled: bool | None):
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None

    def show(state: dict) -> None:
        click.echo(f"{state['stage']}: shard {state['done']}/{state['total']}, "
                   f"{state['documents']:,} documents, {state['docs_per_s']:,.0f} docs/s, "
                   f"{state['elapsed_s']:.0f} s", err=True)

    return show


def _store(db_path):
    from corpus.store import Store

    return Store.open(db_path, create=False)


@click.group()
def shards() -> None:
    """Parquet shards of the corpus and the stages that run on them in parallel.

    \b
    Stages (each reads shards under DIR and writes new ones beside them):
      segment     documents -> tokens        (normalise + segment, as the token cache)
      dictionary  tokens -> dictionary.gensim (filtered vocabulary)
      bow         tokens -> bow              (bag of words with that dictionary)
      train       bow -> a saved LDA model   (streaming, one machine)
      infer       tokens -> doc_topics       (θ of a saved model, deterministic per document)
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
    from corpus import shards as sh

    with _store(db_path) as store:
        if config_hash:
            result = sh.export_tokens(store, out, config_hash, rows=rows, where=where, params=params)
        else:
            result = sh.export_documents(store, out, rows=rows, where=where, params=params)
    click.echo(f"exported {result.n_documents:,} documents in {len(result)} {result.kind} "
               f"shards to {result.folder}")


@shards.command("segment")
@dir_argument
@scheduler_option
@workers_option
@click.option("--backend", type=click.Choice(["rjieba", "jieba"]), default="rjieba",
              show_default=True, help="Segmentation backend (identical tokens; rjieba is faster).")
@click.option("--hmm/--no-hmm", default=False, show_default=True,
              help="jieba's HMM new-word discovery (off: it invents words in formal text).")
@click.option("--min-len", type=int, default=2, show_default=True, help="Shortest token kept.")
@progress_option
def segment_cmd(folder, scheduler, n_workers, backend, hmm, min_len, progress):
    """Normalise and segment DIR/documents into DIR/tokens.

    \b
    Example:
      zhengce shards segment out/shards --scheduler tcp://127.0.0.1:8786
    """
    from .distributed import SegmentStage, run_parallel_stage
    from .segment import Segmenter

    stage = SegmentStage(segmenter=Segmenter(backend=backend, hmm=hmm, min_len=min_len))
    report = run_parallel_stage(stage, folder, scheduler=scheduler, n_workers=n_workers,
                                progress=_progress(progress))
    click.echo(report.line())
    click.echo(f"token config {stage.config_hash}; import with: zhengce shards import {folder} --db DB")


@shards.command("dictionary")
@dir_argument
@click.option("--no-below", type=int, default=5, show_default=True,
              help="Keep tokens in at least this many documents.")
@click.option("--no-above", type=float, default=0.5, show_default=True,
              help="Keep tokens in at most this fraction of documents.")
@click.option("--keep-n", type=int, default=100000, show_default=True,
              help="Then keep the most frequent N (0 = no cap).")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Where to save the dictionary (default DIR/dictionary.gensim).")
@scheduler_option
@workers_option
def dictionary_cmd(folder, no_below, no_above, keep_n, out, scheduler, n_workers):
    """Build the filtered vocabulary of DIR/tokens (per-shard counts in parallel, merged here).

    \b
    Example:
      zhengce shards dictionary out/shards --no-below 5 --no-above 0.5 --keep-n 50000
    """
    from .distributed import build_dictionary_from_shards

    _, report, path = build_dictionary_from_shards(folder, no_below=no_below, no_above=no_above,
                                                   keep_n=keep_n or None, scheduler=scheduler,
                                                   n_workers=n_workers, out=out)
    click.echo(f"dictionary: {report.n_documents:,} documents, vocabulary {report.vocab_before:,} -> "
               f"{report.vocab_after:,} (no_below={no_below}, no_above={no_above}, "
               f"keep_n={keep_n or None}); saved to {path}")


@shards.command("bow")
@dir_argument
@click.option("--dictionary", "dictionary_path", type=click.Path(path_type=Path), default=None,
              help="A saved gensim Dictionary (default DIR/dictionary.gensim).")
@scheduler_option
@workers_option
@progress_option
def bow_cmd(folder, dictionary_path, scheduler, n_workers, progress):
    """Bag of words of DIR/tokens with a dictionary, into DIR/bow.

    \b
    Example:
      zhengce shards bow out/shards
    """
    from .distributed import BowStage, run_parallel_stage

    stage = BowStage(dictionary_path or Path(folder) / "dictionary.gensim")
    report = run_parallel_stage(stage, folder, scheduler=scheduler, n_workers=n_workers,
                                progress=_progress(progress))
    click.echo(report.line())


@shards.command("train")
@dir_argument
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder to save the model in.")
@click.option("--k", "n_topics", type=int, default=50, show_default=True, help="Number of topics K.")
@click.option("--passes", type=int, default=10, show_default=True)
@click.option("--iterations", type=int, default=100, show_default=True, help="E-step iterations per document.")
@click.option("--chunksize", type=int, default=2000, show_default=True, help="Documents per online update.")
@click.option("--random-state", type=int, default=0, show_default=True)
def train_cmd(folder, out, n_topics, passes, iterations, chunksize, random_state):
    """Fit deterministic gensim LDA on DIR/bow, streaming one shard at a time (one machine).

    \b
    Example:
      zhengce shards train out/shards
    """
    from .distributed import train_from_shards
    from .models import LdaTopicModel

    model = LdaTopicModel(n_topics=n_topics, passes=passes, iterations=iterations,
                          chunksize=chunksize, random_state=random_state)
    train_from_shards(folder, model, out=out)
    click.echo(f"LDA K={n_topics}: {model.n_docs_:,} documents, per-word bound "
               f"{model.per_word_bound_:.3f}, {model.fit_seconds_:.1f} s; saved to {out}")


@shards.command("infer")
@dir_argument
@click.option("--model", "model_path", required=True, type=click.Path(path_type=Path),
              help="A model folder saved by model.save() / shards train (gensim LDA).")
@click.option("--random-state", type=int, default=None,
              help="Seed of the per-document starts (default: the model's random_state).")
@scheduler_option
@workers_option
@progress_option
def infer_cmd(folder, model_path, random_state, scheduler, n_workers, progress):
    """Document-topic shares θ of DIR/tokens under a saved model, into DIR/doc_topics.

    \b
    Example:
      zhengce shards infer out/shards
    """
    from .distributed import InferStage, run_parallel_stage

    stage = InferStage(model_path, random_state=random_state)
    report = run_parallel_stage(stage, folder, scheduler=scheduler, n_workers=n_workers,
                                progress=_progress(progress))
    click.echo(report.line())


@shards.command("score")
@dir_argument
@click.option("--scheme", "scheme_path", type=click.Path(path_type=Path), default=None,
              help="Coding scheme YAML (default nlp/schemes/tan.yaml).")
@scheduler_option
@workers_option
@progress_option
def score_cmd(folder, scheme_path, scheduler, n_workers, progress):
    """The coding scheme's dictionary measure of DIR/tokens, into DIR/dictionary_scores.

    \b
    Example:
      zhengce shards score out/shards
    """
    from .distributed import ScoreStage, run_parallel_stage

    report = run_parallel_stage(ScoreStage(scheme_path), folder, scheduler=scheduler,
                                n_workers=n_workers, progress=_progress(progress))
    click.echo(report.line())


@shards.command("import")
@dir_argument
@db_option
@click.option("--kind", "kinds", multiple=True,
              type=click.Choice(["tokens", "doc_topics", "dictionary_scores"]),
              help="Import only these result kinds (default: every one present).")
def import_cmd(folder, db_path, kinds):
    """Import result shards (tokens, doc_topics, dictionary_scores) into the store; re-running
    changes nothing.

    \b
    Example:
      zhengce shards import out/shards --db data/demo.db
    """
    from corpus import shards as sh

    with _store(db_path) as store:
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
    from corpus import shards as sh

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
