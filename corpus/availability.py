"""Availability over time: which crawled documents are no longer online, by issuer, level,
publication year and age, and how long documents stay online (a survival curve).

Reads ``url_availability`` (kept by the crawl and by ``zhengce crawl verify``). A document is
*gone* when every one of its checked URLs was last found gone (404/410, a redirect to an index
page, a "页面不存在" page); a document whose URLs were never checked since the crawl counts as
available when seen, and the tables say how many were checked (``n_checked``).

Age is counted from the publication date (else the issue date, else 1 July of the analysis
year) to ``gone_since`` for gone documents and to the last check (else last sighting) for the
others. The survival curve is the Kaplan–Meier estimate S(t) = ∏_{tᵢ ≤ t} (1 − dᵢ/nᵢ) over ages
in years, with documents still online censored at their last check: it does not assume that
every document was checked equally late.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

GROUP_COLUMNS = ["n_documents", "n_checked", "n_gone", "share_gone"]


@dataclass
class Availability:
    documents: pd.DataFrame
    by_issuer: pd.DataFrame
    by_level: pd.DataFrame
    by_year: pd.DataFrame
    by_age: pd.DataFrame
    by_reason: pd.DataFrame
    survival: pd.DataFrame
    params: dict = field(default_factory=dict)

    def line(self) -> str:
        d = self.documents
        gone = int(d["gone"].sum()) if len(d) else 0
        share = gone / len(d) if len(d) else 0.0
        return (f"availability: {len(d):,} crawled documents, {int(d['checked'].sum()) if len(d) else 0:,} "
                f"checked again, {gone:,} no longer available ({share:.1%})")


def _date(value) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _read(db) -> pd.DataFrame:
    sql = ("select a.url, a.doc_id, a.site, a.last_status, a.gone_reason, a.gone_since, "
           "a.last_checked, a.last_seen, d.agency_id, d.level, d.published_date, d.issued_date, "
           "d.year from url_availability a left join documents d on d.doc_id = a.doc_id "
           "where a.kind = 'detail' and a.doc_id is not null")
    return pd.DataFrame(list(db.execute(sql).fetchall()),
                        columns=["url", "doc_id", "site", "last_status", "gone_reason",
                                 "gone_since", "last_checked", "last_seen", "agency_id", "level",
                                 "published_date", "issued_date", "year"])


def _per_document(urls: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for doc_id, group in urls.groupby("doc_id", sort=True):
        first = group.iloc[0]
        gone = bool((group["last_status"] == "gone").all())
        published = _date(first["published_date"]) or _date(first["issued_date"]) or (
            date(int(first["year"]), 7, 1) if pd.notna(first["year"]) else None)
        end = (_date(group["gone_since"].dropna().min()) if gone
               else _date(group["last_checked"].dropna().max())
               or _date(group["last_seen"].dropna().max()))
        age = (end - published).days / 365.25 if published and end else None
        rows.append({"doc_id": doc_id, "site": first["site"],
                     "issuer": first["agency_id"] or "(unknown)",
                     "level": first["level"] or "(unknown)",
                     "pub_year": published.year if published else None,
                     "checked": bool(group["last_checked"].notna().any()), "gone": gone,
                     "gone_reason": ",".join(sorted(set(group["gone_reason"].dropna())))
                     if gone else None,
                     "gone_since": group["gone_since"].dropna().min() if gone else None,
                     "age_years": round(max(age, 0.0), 3) if age is not None else None})
    return pd.DataFrame(rows, columns=["doc_id", "site", "issuer", "level", "pub_year", "checked",
                                       "gone", "gone_reason", "gone_since", "age_years"])


def _group(docs: pd.DataFrame, by: str) -> pd.DataFrame:
    frame = docs.dropna(subset=[by])
    if frame.empty:
        return pd.DataFrame(columns=[by, *GROUP_COLUMNS])
    out = frame.groupby(by, sort=True).agg(n_documents=("doc_id", "size"),
                                           n_checked=("checked", "sum"),
                                           n_gone=("gone", "sum")).reset_index()
    out["share_gone"] = (out["n_gone"] / out["n_documents"]).round(4)
    if by == "pub_year":
        out[by] = out[by].astype(int)
    return out[[by, *GROUP_COLUMNS]]


AGE_BINS = [0, 1, 2, 5, 10, 20, 1000]
AGE_LABELS = ["<1", "1-2", "2-5", "5-10", "10-20", "20+"]


def kaplan_meier(ages: pd.Series, events: pd.Series) -> pd.DataFrame:
    """S(t) at each whole year t where something happened; ``events`` True = gone at that age,
    False = still online (censored)."""
    frame = pd.DataFrame({"age": ages.astype(float).apply(lambda a: int(a)), "event": events})
    rows = [{"age_years": 0, "at_risk": len(frame), "gone": 0, "censored": 0, "survival": 1.0}]
    survival = 1.0
    for age in sorted(frame["age"].unique()):
        at_risk = int((frame["age"] >= age).sum())
        here = frame[frame["age"] == age]
        gone = int(here["event"].sum())
        if at_risk:
            survival *= 1 - gone / at_risk
        row = {"age_years": int(age) + 1, "at_risk": at_risk, "gone": gone,
               "censored": int(len(here) - gone), "survival": round(survival, 4)}
        rows.append(row)
    return pd.DataFrame(rows, columns=["age_years", "at_risk", "gone", "censored", "survival"])


def availability(db) -> Availability:
    """The availability tables of the store (``db``: sqlite3 connection or sqlite-utils Database)."""
    docs = _per_document(_read(db))
    aged = docs.dropna(subset=["age_years"])
    by_age = docs.assign(age=pd.cut(docs["age_years"].astype(float), AGE_BINS, right=False,
                                    labels=AGE_LABELS).astype(object))
    reasons = docs[docs["gone"]].assign(
        gone_reason=docs["gone_reason"]).groupby("gone_reason").size().reset_index(name="n_gone")
    return Availability(
        documents=docs, by_issuer=_group(docs, "issuer"), by_level=_group(docs, "level"),
        by_year=_group(docs, "pub_year"), by_age=_group(by_age, "age"),
        by_reason=reasons, survival=kaplan_meier(aged["age_years"], aged["gone"]),
        params={"estimator": "kaplan_meier", "age_bins": AGE_LABELS})


def survival_figure(result: Availability):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    s = result.survival
    ax.step(s["age_years"], s["survival"], where="post", color="#4c72b0")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("years since publication")
    ax.set_ylabel("share still online (Kaplan-Meier)")
    ax.set_title("Availability of crawled documents")
    return fig


def write_availability(result: Availability, out_dir: str | Path) -> dict[str, dict[str, Path]]:
    from zhengce.common.outputs import save_figure, write_manifest, write_table

    out = Path(out_dir)
    tables = {"availability_by_issuer": (result.by_issuer, "No longer available, by issuer"),
              "availability_by_level": (result.by_level, "No longer available, by level"),
              "availability_by_year": (result.by_year, "No longer available, by publication year"),
              "availability_by_age": (result.by_age, "No longer available, by age (years)"),
              "availability_by_reason": (result.by_reason, "How documents disappeared"),
              "availability_survival": (result.survival, "Survival of documents online")}
    paths = {name: write_table(frame, out, name, caption=caption)
             for name, (frame, caption) in tables.items()}
    paths["availability_documents"] = write_table(result.documents, out, "availability_documents")
    paths["availability_survival_figure"] = save_figure(survival_figure(result), out,
                                                        "availability_survival")
    write_manifest(out, {"stage": "availability", "params": result.params,
                         "summary": result.line(),
                         "files": {k: {f: str(p) for f, p in v.items()} for k, v in paths.items()}},
                   name="availability_manifest.json")
    return paths
