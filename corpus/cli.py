"""Corpus-layer commands of the ``zhengce`` CLI.

The root group (:mod:`zhengce.cli`) finds these commands through the ``zhengce.commands``
entry points. The options every layer's commands share are in :mod:`.cli_options`.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from zhengce.common.errors import UserError

from .cli_options import db_option, open_store


@click.command()
@click.argument("source", type=click.Path(path_type=Path))
@db_option
@click.option("--format", "fmt", type=click.Choice(["table", "folder", "lawrefbook"]),
              help="What SOURCE is (detected when omitted).")
@click.option("--mapping", default=None,
              help="Column mapping: generic, pkulaw, govcn, demo, or a YAML file.")
@click.option("--map", "overrides", multiple=True, metavar="FIELD=COLUMN",
              help="Override one mapping entry, e.g. --map title=标题 (repeatable).")
@click.option("--source", "source_name", default=None, help="Name recorded as the documents' source.")
@click.option("--encoding", default=None, help="Input encoding (default: UTF-8, else GB18030).")
@click.option("--delimiter", default=None, help="CSV delimiter (default , or tab for .tsv).")
@click.option("--sheet", default=None, help="XLSX sheet name (default: the first).")
@click.option("--metadata", "metadata_csv", type=click.Path(path_type=Path), default=None,
              help="Sidecar CSV for a folder: a 'file' column plus metadata columns.")
@click.option("--jobs", "n_jobs", type=int, default=None, help="Worker processes (default: all cores).")
@click.option("--progress/--no-progress", default=None, help="Live progress line (default: on a terminal).")
def load(source, db_path, fmt, mapping, overrides, source_name, encoding, delimiter, sheet,
         metadata_csv, n_jobs, progress):
    """Load documents from a file or folder into the corpus database.

    Re-loading the same input changes nothing; unreadable records go to the
    rejects table with the reason (see: zhengce rejects).

    \b
    Examples:
      zhengce load ../shared/corpora/lawrefbook.jsonl.gz
      zhengce load export.xlsx --mapping pkulaw
      zhengce load rows.csv --map title=标题 --map text=正文 --map issuer=发文机关
      zhengce load ./docs --metadata ./docs/meta.csv
    """
    from .loaders import load_path

    with open_store(db_path, create=True) as store:
        report = load_path(store, source, mapping=mapping, overrides=list(overrides),
                           source=source_name, fmt=fmt, encoding=encoding, delimiter=delimiter,
                           sheet=sheet, metadata_csv=metadata_csv, progress=progress, n_jobs=n_jobs)
    click.echo(report.line())


@click.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def stats(db_path, as_json):
    """Documents by level × decade, sources, and tagging coverage.

    \b
    Example:
      zhengce stats --db data/demo.db
    """
    from .stats import corpus_stats

    with open_store(db_path) as store:
        result = corpus_stats(store)
    if as_json:
        click.echo(json.dumps({"n_documents": result.n_documents, "sources": result.n_sources,
                               "coverage": result.coverage,
                               "by_level_decade": json.loads(result.by_level_decade.to_json(orient="index")),
                               "rejects": result.n_rejects}, ensure_ascii=False, indent=2))
    else:
        click.echo(result.render())


@click.command()
@click.argument("query")
@db_option
@click.option("--limit", default=20, show_default=True, type=int,
              help="Rows to show (1 to 100,000); the total count of matches is always printed.")
@click.option("--level", type=click.Choice(["central", "provincial", "local"]), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print JSON: query, total and rows.")
@click.option("--csv", "as_csv", is_flag=True,
              help="Print CSV rows (the total goes to stderr).")
def search(query, db_path, limit, level, as_json, as_csv):
    """Full-text search (Chinese words are segmented for you).

    \b
    Several words: documents with ALL of them, anywhere.
    A OR B (OR in capitals): either; OR binds tighter than the implicit AND.
    "A B" in double quotes: the exact phrase (and "补贴" the whole word only:
    unquoted, 补贴 also finds 财政补贴 and 反补贴).
    The total number of matching documents is printed, not just the rows shown.

    \b
    Examples:
      zhengce search 出口退税 --db data/demo.db --level provincial
      zhengce search "产业政策 补贴" --limit 5
      zhengce search "产业政策 补贴 OR 补助" --json
      zhengce search '"出口 退税" 增值税' --csv > hits.csv
    """
    from .search import check_limit, json_lines, search as run_search, terminal_safe

    if as_json and as_csv:
        raise UserError("--json and --csv: choose one output format")
    check_limit(limit)
    with open_store(db_path) as store:
        result = run_search(store, query, limit=limit, where="d.level = ?" if level else None,
                            params=[level] if level else None)
    line = f"showing {len(result.rows)} of {result.total:,} result(s) for {query!r}"
    if as_json:
        click.echo(json_lines(result))
    elif as_csv:
        _echo_search_csv(result.rows)
        click.echo(terminal_safe(line), err=True)
    elif not result.rows:
        click.echo(terminal_safe(f"no documents match {query!r}"))
    else:
        for r in result.rows:
            click.echo(f"{r['doc_id']}  {r['year'] or '----'}  {r['level'] or '?':<10} "
                       f"{terminal_safe(r['title'])}")
            click.echo(f"    {terminal_safe(r['snippet'])}")
        click.echo(terminal_safe(line))


def _echo_search_csv(rows: list[dict]) -> None:
    import csv
    import io
    import sys

    from zhengce.common.outputs import spreadsheet_safe

    from .search import terminal_safe

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = ["doc_id", "title", "level", "province", "year", "issuer", "doc_number", "snippet",
               "rank"]
    writer.writerow(columns)
    # on a terminal the cells are shown, so they lose control characters like the table does
    clean = terminal_safe if sys.stdout.isatty() else (lambda value: value)
    for row in rows:
        writer.writerow([spreadsheet_safe(clean(row[c]) if isinstance(row[c], str) else row[c])
                         for c in columns])
    # not click.echo: it would drop some escape sequences when piped, and the data must stay exact
    stream = click.get_text_stream("stdout")
    stream.write(buffer.getvalue())
    stream.flush()


@click.command()
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), metavar="DIR",
              help="Folder to export into (created if needed).")
@db_option
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "parquet"]), default="csv",
              show_default=True, help="Data file format.")
@click.option("--name", default=None,
              help="Data file name without suffix (default: documents, or documents_r with --r); "
                   "another name adds a second file to the folder's datapackage.")
@click.option("--force", is_flag=True, help="Replace a file of the same name from an earlier export.")
@click.option("--run", "run_id", default=None, metavar="RUN",
              help="Add this topic run's strategy shares (share_*) and topic proportions θ "
                   "(theta_*); only the documents it measured are exported.")
@click.option("--level", "levels", multiple=True, type=click.Choice(["central", "provincial", "local"]))
@click.option("--years", default=None, metavar="FROM-TO", help="e.g. 1995-2010, 1995- or -2010")
@click.option("--region", "regions", multiple=True,
              help="Province/prefecture/county name or GB/T 2260 code (a province name may be "
                   "shortened: 浙江).")
@click.option("--agency", "agencies", multiple=True,
              help="Agency id, name or alias (agencies table), e.g. ndrc, 国务院, 发改委.")
@click.option("--sector", "sectors", multiple=True,
              help="GB/T 4754 code (36 includes 361, 3611 …), sector name (汽车制造业) or set name "
                   "(automotive, semiconductors).")
@click.option("--doc-type", "doc_types", multiple=True, help="e.g. 通知, 意见, 办法.")
@click.option("--no-text", is_flag=True, help="Leave the full text out.")
@click.option("--r", "r_friendly", is_flag=True,
              help="R-friendly: covariates + the text as words, ready for stm/quanteda (with "
                   "--run: the model's own tokens and its stopword list).")
@click.option("--datasette", "datasette_out", type=click.Path(path_type=Path), default=None,
              metavar="FILE", help="Also write Datasette metadata.json to FILE.")
def export(out_dir, db_path, fmt, name, force, run_id, levels, years, regions, agencies, sectors,
           doc_types, no_text, r_friendly, datasette_out):
    """Export documents into a folder, with a codebook and one datapackage.json for all its files.

    A second export into the same folder adds its file (give --name) to the datapackage and the
    codebook; one that would replace a file is refused unless --force. Unknown filter values are
    an error that lists the valid ones. CSV cells that a spreadsheet would run as a formula
    (= + - @ first) get a leading apostrophe; the database keeps the raw text.

    \b
    Examples:
      zhengce export --out out/export --format parquet --level provincial --years 1995-2010
      zhengce export --out out/export --name central --level central --agency 国务院
      zhengce export --out out/stm --r --run topics-20261206T101500-ab12cd --sector automotive
      zhengce export --out out/export --format jsonl --datasette data/metadata.json
    """
    from .export import ExportFilter, export_documents, parse_years, write_datasette_metadata

    year_from, year_to = parse_years(years)
    flt = ExportFilter(levels=levels, year_from=year_from, year_to=year_to, regions=regions,
                       agencies=agencies, sectors=sectors, doc_types=doc_types)
    if datasette_out is not None and datasette_out.is_dir():
        raise UserError(f"--datasette {datasette_out} is a folder: give a file, e.g. "
                        f"{datasette_out / 'metadata.json'}")
    with open_store(db_path) as store:
        result = export_documents(store, out_dir, fmt=fmt, name=name, flt=flt,
                                  include_text=not no_text, r_friendly=r_friendly, run_id=run_id,
                                  force=force)
        if datasette_out:
            write_datasette_metadata(store, datasette_out)
    run = f" with the measures of run {run_id}" if run_id else ""
    click.echo(f"exported {result['rows']:,} documents{run} to {result['path']} "
               f"(codebook: {result['codebook']}, {result['datapackage']})")
    if r_friendly and not run_id:
        click.echo("note: segmented_text holds the search index's words, stopwords kept; give "
                   "--run RUN for the topic model's own tokens and its stopword list")


@click.command("demo-corpus")
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("-n", "--documents", "n_documents", default=600, show_default=True)
@click.option("--random-state", default=0, show_default=True)
def demo_corpus(out_dir, n_documents, random_state):
    """Write the offline demo corpus (documents.jsonl + the planted truth beside it).

    \b
    Example:
      zhengce demo-corpus data/demo-src -n 600
      zhengce load data/demo-src/documents.jsonl --mapping demo --db data/demo.db
    """
    from .demo import write_demo_corpus

    counts = write_demo_corpus(out_dir, n_documents=n_documents, random_state=random_state)
    click.echo(f"wrote {n_documents:,} demo documents to {out_dir} ({json.dumps(counts, ensure_ascii=False, default=str)})")


@click.command()
@db_option
@click.option("--limit", default=20, show_default=True)
@click.option("--run", "run_id", default=None, help="Only this run's rejects.")
def rejects(db_path, limit, run_id):
    """List rejected records with their reasons.

    \b
    Example:
      zhengce rejects --db data/demo.db --limit 5
    """
    with open_store(db_path) as store:
        where = "where run_id = ?" if run_id else ""
        rows = store.db.execute(
            f"select id, stage, source, record_ref, reason from rejects {where} order by id desc limit ?",
            ([run_id] if run_id else []) + [limit]).fetchall()
        total = store.count("rejects")
    for r in rows:
        click.echo(f"#{r[0]} [{r[1]}] {r[3]}: {r[4]}")
    click.echo(f"{total:,} reject(s) in total")


@click.command()
@db_option
@click.option("--stage", default=None, help="Only runs of this stage (load, topics, report ...).")
@click.option("-n", "--n", "--limit", "limit", default=10, show_default=True, help="Newest runs shown.")
@click.option("--json", "as_json", is_flag=True,
              help="The full record of each run (parameters, manifest, summary) as one JSON line.")
def runs(db_path, stage, limit, as_json):
    """List runs: one line each (id, status, start, the summary's plain values).

    \b
    Example:
      zhengce runs --db data/demo.db --stage load
      zhengce runs --db data/demo.db --json -n 1
    """
    with open_store(db_path) as store:
        where = "where stage = ?" if stage else ""
        rows = store.db.execute(
            f"select run_id, status, started_at, summary, stage, finished_at, params, manifest "
            f"from runs {where} order by started_at desc limit ?",
            ([stage] if stage else []) + [limit]).fetchall()
    from zhengce.common.memory import MemoryReport

    for run_id, status, started, summary, stage_name, finished, params, manifest in rows:
        data = json.loads(summary) if summary else {}
        if as_json:
            click.echo(json.dumps({"run_id": run_id, "stage": stage_name, "status": status,
                                   "started_at": started, "finished_at": finished,
                                   "params": json.loads(params or "{}"),
                                   "manifest": json.loads(manifest or "{}"), "summary": data},
                                  ensure_ascii=False, default=str))
            continue
        memory = data.pop("peak_memory", None) if isinstance(data, dict) else None
        # nested values (a model's manifest, word lists) make kilobytes per run: --json has them
        plain = {k: v for k, v in data.items() if isinstance(v, (str, int, float, bool))} \
            if isinstance(data, dict) else {}
        peak = f"  [{MemoryReport.from_dict(memory).line()}]" if memory else ""
        click.echo(f"{run_id}  {status:<7} {started}  "
                   f"{json.dumps(plain, ensure_ascii=False, default=str) if plain else ''}{peak}")


@click.command()
@db_option
def retag(db_path):
    """Re-run metadata tagging over the stored raw records (no re-fetching).

    \b
    Example:
      zhengce retag --db data/demo.db
    """
    from .retag import retag_all

    with open_store(db_path) as store:
        summary = retag_all(store)
    click.echo(f"retagged {summary['documents']:,} documents: {summary['changed']:,} changed")
