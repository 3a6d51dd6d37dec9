"""NLP commands of the ``zhengce`` CLI: segment, topics, scheme, labels (registered lazily)."""

from __future__ import annotations

from pathlib import Path

import click

from corpus.errors import UserError

db_option = click.option("--db", "db_path", default=None, metavar="PATH",
                         help="Corpus database (default: $ZHENGCE_DB or data/zhengce.db).")


def _store(db_path):
    from corpus.store import Store

    return Store.open(db_path, create=False)


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
    from .normalize import Normalizer
    from .segment import Segmenter, print_progress, segment_corpus

    with _store(db_path) as store:
        summary = segment_corpus(store, Segmenter(backend=backend, hmm=hmm, user_dict=user_dict),
                                 Normalizer(), n_jobs=n_jobs, progress=print_progress)
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
    from .topics_stage import TopicsConfig, run_topics

    config = TopicsConfig.load(config_path, model=model, n_topics=n_topics,
                               n_free_topics=n_free_topics, n_restarts=n_restarts,
                               random_state=random_state, scheme=scheme,
                               label_overrides=label_overrides, out_dir=out_dir,
                               ldavis=False if no_ldavis else None)
    with _store(db_path) as store:
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
    from analysis.outputs import write_table

    from .bow import BowCorpus, TokenCorpus, build_dictionary
    from .models import LdaTopicModel
    from .normalize import Normalizer
    from .segment import Segmenter, segment_corpus
    from .selection import search_k

    try:
        grid = [int(k) for k in ks.split(",") if k.strip()]
    except ValueError:
        raise UserError(f"--ks {ks!r}: give whole numbers separated by commas, e.g. 5,10,20") from None
    with _store(db_path) as store:
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

    with _store(db_path) as store:
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
    from .bow import TokenCorpus
    from .normalize import Normalizer
    from .scheme import load_scheme, scheme_check
    from .segment import Segmenter, segment_corpus

    sch = load_scheme(scheme_path)
    segmenter = Segmenter()
    with _store(db_path) as store:
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

    from .labels import write_label_file

    with _store(db_path) as store:
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

    from .labels import read_label_overrides, strategy_shares

    with _store(db_path) as store:
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
