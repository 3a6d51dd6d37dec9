"""Corpus statistics: what is in the store and how well it is tagged."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .store import Store

LEVEL_ORDER = ["central", "provincial", "local", "unknown"]


@dataclass
class CorpusStats:
    n_documents: int
    n_sources: dict[str, int]
    coverage: dict[str, float]  # share of documents with the field set
    by_level_decade: pd.DataFrame
    n_rejects: int
    n_near_duplicates: int
    n_duplicate_provenances: int

    def render(self) -> str:
        lines = [f"{self.n_documents:,} documents from {len(self.n_sources)} source(s): "
                 + ", ".join(f"{k} {v:,}" for k, v in self.n_sources.items())]
        lines.append("tagged: " + ", ".join(f"{k} {100 * v:.1f}%" for k, v in self.coverage.items()))
        lines.append(f"rejects {self.n_rejects:,}; near-duplicates flagged {self.n_near_duplicates:,}; "
                     f"extra provenances (same text, other source) {self.n_duplicate_provenances:,}")
        lines.append("")
        lines.append("documents by level × decade:")
        lines.append(self.by_level_decade.to_string())
        return "\n".join(lines)


def corpus_stats(store: Store) -> CorpusStats:
    db = store.db
    n = store.count("documents")
    sources = dict(db.execute("select source, count(*) from documents group by source order by 2 desc").fetchall())
    coverage = {}
    if n:
        row = db.execute("""
            select avg(level is not null), avg(province is not null or level = 'central'),
                   avg(coalesce(issued_date, published_date, effective_date) is not null),
                   avg(year is not null), avg(doc_type is not null), avg(agency_id is not null or level != 'central'),
                   avg(sectors is not null)
            from documents""").fetchone()
        coverage = dict(zip(["level", "region", "date", "year", "doc_type", "agency", "sector"],
                            [float(x or 0) for x in row]))
    rows = db.execute("""
        select coalesce(level, 'unknown') as level,
               case when year is null then 'no date' else ((year / 10) * 10) || 's' end as decade,
               count(*)
        from documents group by 1, 2""").fetchall()
    frame = pd.DataFrame(rows, columns=["level", "decade", "n"])
    if len(frame):
        table = frame.pivot_table(index="decade", columns="level", values="n", aggfunc="sum",
                                  fill_value=0)
        table = table[[c for c in LEVEL_ORDER if c in table.columns]]
        table["total"] = table.sum(axis=1)
        table.loc["total"] = table.sum(axis=0)
        table.columns.name = None
    else:
        table = pd.DataFrame()
    extra = db.execute("select count(*) from document_sources where relation = 'duplicate'").fetchone()[0]
    return CorpusStats(
        n_documents=n, n_sources=sources, coverage=coverage, by_level_decade=table,
        n_rejects=store.count("rejects"), n_near_duplicates=store.count("near_duplicates"),
        n_duplicate_provenances=extra,
    )
