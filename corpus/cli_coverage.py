"""``zhengce coverage`` and ``zhengce availability``: how complete the corpus is, and what
disappeared (see :mod:`.coverage` and :mod:`.availability`)."""

from __future__ import annotations

from pathlib import Path

import click

from zhengce.common.errors import UserError

from .cli_options import db_option, open_store


@click.command()
@db_option
@click.option("--prefix", "prefixes", multiple=True,
              help="Only this 发文字号 prefix (repeatable), e.g. --prefix 国发.")
@click.option("--years", default=None, help="Only these 发文字号 years: FIRST-LAST or one year.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Folder for the tables (CSV, Markdown, LaTeX), gaps.csv and the figure.")
@click.option("--identify", is_flag=True,
              help="First match the same document across sources (same 发文字号, issuer, date, "
                   "similar text) and record it as one document with several provenance rows.")
@click.option("--similarity", type=float, default=0.5, show_default=True,
              help="With --identify: the least character-bigram Jaccard similarity of the texts.")
def coverage(db_path, prefixes, years, out_dir, identify, similarity):
    """Sequence coverage of every 发文字号 series: numbers seen, highest, gaps, estimated missing.

    gaps.csv lists every missing number: the input of zhengce crawl --sites govcn --gaps.

    \b
    Example:
      zhengce coverage --db data/zhengce.db --prefix 国发 --years 1995-2010 --out out/coverage
    """
    from .coverage import parse_years, sequence_coverage, write_coverage

    with open_store(db_path) as store:
        if identify:
            _identify(store, similarity, out_dir)
        result = sequence_coverage(store.db.conn, prefixes=list(prefixes) or None,
                                   years=parse_years(years))
    write_coverage(result, out_dir)
    click.echo(result.line())
    click.echo(f"tables and figure in {out_dir}; missing numbers in {out_dir / 'gaps.csv'}")


def _identify(store, similarity: float, out_dir: Path) -> None:
    from zhengce.common.outputs import write_table

    from .identity import match_sources, record_identity

    if not 0 < similarity <= 1:
        raise UserError(f"--similarity {similarity}: give a number in (0, 1], e.g. 0.5")
    matches = match_sources(store.db.conn, similarity)
    added = record_identity(store.db, matches)
    write_table(matches, out_dir, "coverage_identity",
                caption="Documents matched across sources (one document, several provenance rows)")
    click.echo(f"identity: {len(matches):,} documents matched to one held by another source "
               f"({added:,} new provenance rows)")


@click.command()
@db_option
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True,
              help="Folder for the tables (CSV, Markdown, LaTeX) and the survival figure.")
def availability(db_path, out_dir):
    """Share of crawled documents no longer available, by issuer, level, publication year and
    age, and their survival curve (run zhengce crawl verify first).

    \b
    Example:
      zhengce availability --db data/zhengce.db --out out/availability
    """
    from .availability import availability as compute, write_availability

    with open_store(db_path) as store:
        result = compute(store.db.conn)
    write_availability(result, out_dir)
    click.echo(result.line())
