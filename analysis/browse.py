"""Browsing the corpus in Datasette, with each document linked to its strategy shares and topics.

:func:`prepare_browse` adds two SQL views to the database and writes ``metadata.json``:

* ``document_strategies`` — one row per document of the *latest* successful topic run: doc_id,
  title, level, province, year, agency_id, doc_type, run_id, and one column per strategy
  (directive, developmental, regulatory, other; pivoted from ``strategy_shares``). The view picks
  the latest run when queried, so it stays current after new topic runs.
* ``document_topics`` — (doc_id, title, run_id, topic, label, category, weight) for the same run,
  from ``doc_topics`` joined with ``topics``.

The metadata extends :func:`corpus.export.datasette_metadata` (facets on level, province, year,
agency_id, doc_type; full-text search through ``search_index_fts``) with facets on the views and
canned queries: a document's strategy shares, its topics, the documents most typical of a
strategy, and mean shares by level and year.

:func:`start_datasette` runs ``datasette`` on 127.0.0.1 and a free port in a subprocess and
returns a handle with ``url`` and ``stop()`` (used by ``zhengce browse`` and the browser tests).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from zhengce.common.errors import UserError

from .data import STRATEGIES, has_table

LATEST_RUN_SQL = ("(select r.run_id from runs r where r.stage = 'topics' and r.status = 'ok' "
                  "and r.run_id in (select distinct run_id from strategy_shares) "
                  "order by r.started_at desc, r.rowid desc limit 1)")


def _categories(store) -> list[str]:
    found = [r[0] for r in store.db.execute("select distinct category from strategy_shares")]
    ordered = [c for c in STRATEGIES if c in found]
    ordered += sorted(c for c in found if c not in ordered)
    return ordered


def _safe_column(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name)


def run_sql(run_id: str | None) -> str:
    """The SQL that picks the browsed topic run: ``run_id`` (quoted) or, when None, the latest
    successful topic run at query time."""
    if run_id is None:
        return LATEST_RUN_SQL
    return "'" + str(run_id).replace("'", "''") + "'"


def _check_run(store, run_id: str | None) -> None:
    if run_id is not None and not (has_table(store, "strategy_shares") and store.db.execute(
            "select 1 from strategy_shares where run_id = ? limit 1", [run_id]).fetchone()):
        raise UserError(f"run {run_id!r} has no strategy shares: list topic runs with zhengce topics list")


def create_views(store, run_id: str | None = None) -> list[str]:
    """(Re)create the browsing views of topic run ``run_id`` (None: the latest, chosen when the
    view is queried); returns the names created (none without topic tables)."""
    _check_run(store, run_id)
    chosen = run_sql(run_id)
    created = []
    db = store.db
    if has_table(store, "strategy_shares"):
        cats = _categories(store) or list(STRATEGIES)
        pivots = ",\n  ".join(
            f"max(case when s.category = '{c.replace(chr(39), chr(39) * 2)}' then s.share end) "
            f"as [{_safe_column(c)}]" for c in cats)
        sql = f"""select d.doc_id, d.title, d.level, d.province, d.year, d.agency_id, d.doc_type,
  s.run_id,
  {pivots}
from documents d join strategy_shares s on s.doc_id = d.doc_id
where s.run_id = {chosen}
group by d.doc_id, s.run_id"""
        db.execute("drop view if exists document_strategies")
        db.execute(f"create view document_strategies as {sql}")
        created.append("document_strategies")
    if has_table(store, "doc_topics") and has_table(store, "topics"):
        sql = f"""select t.doc_id, d.title, t.run_id, t.topic, p.label, p.category, t.weight
from doc_topics t join documents d on d.doc_id = t.doc_id
left join topics p on p.run_id = t.run_id and p.topic = t.topic
where t.run_id = {chosen}"""
        db.execute("drop view if exists document_topics")
        db.execute(f"create view document_topics as {sql}")
        created.append("document_topics")
    db.conn.commit()
    return created


def browse_metadata(store, views: list[str] | None = None, run_id: str | None = None) -> dict:
    """Datasette metadata: the corpus export's, plus the strategy views and canned queries."""
    from zhengce.corpus.export import collapse_column_descriptions, datasette_metadata

    meta = datasette_metadata(store)
    name = Path(store.path).stem
    database = meta["databases"][name]
    tables = database.setdefault("tables", {})
    views = views if views is not None else [v for v in ("document_strategies", "document_topics")
                                             if v in store.db.view_names()]
    queries: dict[str, dict] = {}
    which = f"topic run {run_id}" if run_id else "latest topic run"
    if "document_strategies" in views:
        cats = _categories(store)
        tables["document_strategies"] = {
            "title": f"Documents with their strategy shares ({which})",
            "description": "Share of each strategy in each document (Σ θ over the topics labelled "
                           "with it), latest successful topic run.",
            "facets": ["level", "year", "province"],
            "sortable_columns": [_safe_column(c) for c in cats] + ["year"],
            "label_column": "title",
        }
        queries["strategies_of_document"] = {
            "title": "Strategy shares of one document",
            "sql": "select * from document_strategies where doc_id = :doc_id",
        }
        queries["typical_documents"] = {
            "title": "Documents most typical of a strategy",
            "description": "strategy: directive, developmental, regulatory or other",
            "sql": "select s.doc_id, d.title, d.level, d.year, s.share from strategy_shares s "
                   f"join documents d on d.doc_id = s.doc_id where s.run_id = {run_sql(run_id)} "
                   "and s.category = :strategy order by s.share desc limit 50",
        }
        queries["prevalence_by_level_year"] = {
            "title": "Mean strategy shares by level and year",
            "sql": "select level, year, count(*) as n_docs, "
                   + ", ".join(f"round(avg([{_safe_column(c)}]), 4) as [{_safe_column(c)}]" for c in cats)
                   + " from document_strategies group by level, year order by level, year",
        }
    if "document_topics" in views:
        tables["document_topics"] = {
            "title": f"Topic proportions of each document ({which})",
            "facets": ["topic", "category"],
            "sortable_columns": ["weight", "topic"],
        }
        queries["topics_of_document"] = {
            "title": "Topics of one document",
            "sql": "select topic, label, category, round(weight, 4) as weight from document_topics "
                   "where doc_id = :doc_id order by weight desc",
        }
    for table in ("strategy_shares", "doc_topics", "topics", "dictionary_scores", "tokens"):
        if has_table(store, table):
            tables.setdefault(table, {})
    if has_table(store, "topics"):
        tables["topics"].update({"title": "Topics", "facets": ["run_id", "category"]})
    if has_table(store, "tokens"):
        tables["tokens"]["hidden"] = True
    if queries:
        database["queries"] = queries
    for table_meta in tables.values():
        collapse_column_descriptions(table_meta)
    return meta


def prepare_browse(store, out_dir, run_id: str | None = None) -> Path:
    """Create the views of topic run ``run_id`` (None: the latest) and write ``metadata.json``
    into ``out_dir``; returns its path."""
    views = create_views(store, run_id)
    meta = browse_metadata(store, views, run_id)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "metadata.json"
    path.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """In the Datasette child, before exec: ask Linux to send it SIGTERM when its parent dies,
    so ``zhengce browse`` killed by its PID (even with SIGKILL) never leaves a server behind."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)


def _datasette_command() -> list[str]:
    exe = Path(sys.executable).with_name("datasette")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("datasette")
    if found:
        return [found]
    try:
        import datasette  # noqa: F401
    except ImportError:
        raise UserError("Datasette is not installed: pip install 'zhengce[analysis]' "
                        "(or pip install datasette)") from None
    return [sys.executable, "-m", "datasette"]


@dataclass
class DatasetteServer:
    process: subprocess.Popen
    url: str
    db_name: str
    log_path: Path | None = None

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)

    def __enter__(self) -> "DatasetteServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_datasette(db_path, metadata_path=None, *, host: str = "127.0.0.1", port: int | None = None,
                    timeout: float = 30.0, log_path=None) -> DatasetteServer:
    """Start ``datasette db --metadata metadata.json -h host -p port`` and wait until it answers.

    The database is served mutable (``datasette DB``, not ``-i``), so it shows the live file.
    Raises UserError with Datasette's output when it does not come up in ``timeout`` seconds.
    """
    db_path = Path(db_path)
    if not db_path.exists():
        raise UserError(f"no database at {db_path}: pass --db with an existing corpus file")
    port = port or free_port(host)
    cmd = _datasette_command() + [str(db_path), "-h", host, "-p", str(port)]
    if metadata_path is not None:
        cmd += ["--metadata", str(metadata_path)]
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL
    env = dict(os.environ)
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT if log_path else log, env=env,
                               preexec_fn=_die_with_parent)
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = Path(log_path).read_text(errors="replace")[-2000:] if log_path else ""
            raise UserError(f"datasette exited with status {process.returncode}: {output.strip()}")
        try:
            with urllib.request.urlopen(url + "/-/versions.json", timeout=2) as resp:
                if resp.status == 200:
                    return DatasetteServer(process=process, url=url, db_name=db_path.stem,
                                           log_path=Path(log_path) if log_path else None)
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.2)
    process.terminate()
    raise UserError(f"datasette did not answer on {url} within {timeout:.0f} s")
