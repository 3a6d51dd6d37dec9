"""Provenance of every analysis result: a run row in the store and a manifest beside the files.

Each command that writes results (trajectories, effects, estimate-effect, code score, the report)
opens :func:`result_run`: a ``runs`` row of its own stage whose parameters name the database,
the strategy run(s) it read (topic runs, or a dictionary_scores run) and every setting, and a
``manifest.json`` in its output folder with the same record, so a table found on a disk months
later says where it came from. :func:`describe_runs` is the line every command prints about which
run it used (no silent "latest").
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

from zhengce.common.outputs import write_manifest

from .data import StrategyData

ANALYSIS_PACKAGES = ("numpy", "pandas", "scipy", "statsmodels", "matplotlib")


def describe_runs(data: StrategyData, asked: bool) -> str:
    """Which run(s) a command uses: ``asked`` is whether the user named them with --run."""
    kind = "topic run" if data.measure == "topics" else "dictionary_scores run"
    head = f"{kind} {data.run_ids[0]}"
    if len(data.run_ids) > 1:
        head += f" pooled with {len(data.run_ids) - 1} restart(s): {', '.join(data.run_ids[1:])}"
    how = "as asked" if asked else "the latest; choose another with --run RUN_ID (zhengce topics list)"
    return f"using {head} ({how}); {data.n_documents:,} documents"


@contextmanager
def result_run(store, stage: str, params: Mapping[str, Any], *, data: StrategyData | None = None,
               run_ids: list[str] | None = None, out_dir: str | Path | None = None,
               packages=ANALYSIS_PACKAGES) -> Iterator[Any]:
    """A ``store.run`` of ``stage`` recording the database, the run(s) read and ``params``;
    when the block ends, ``out_dir/manifest.json`` (if given) holds the same record and the
    run's summary. Yields the :class:`~zhengce.corpus.store.Run`."""
    used = list(data.run_ids) if data is not None else list(run_ids or [])
    full = {**params, "database": str(store.path), "strategy_runs": used}
    if data is not None:
        full.update(measure=data.measure, excluded=dict(data.excluded))
    inputs = {"strategy_runs": used}
    with store.run(stage, full, inputs=inputs, packages=packages) as run:
        yield run
        if out_dir is not None:
            row = store.db.execute("select manifest from runs where run_id = ?", [run.run_id]).fetchone()
            manifest = json.loads(row[0]) if row and row[0] else {}
            write_manifest(out_dir, {"run_id": run.run_id, **manifest, "summary": run.summary})
