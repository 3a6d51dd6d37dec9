"""The three analyses the CLI and the benchmark run: load into the store, fit, write the report.

- :func:`run_paper`: the paper's protocol on a monthly REIGN file (default: the bundled sample).
- :func:`run_honest`: the honest protocol on a monthly REIGN file, next to the paper's.
- :func:`run_real`: both protocols on REIGN country-years joined to Powell & Thyne attempts,
  tested out of sample on 2010-2019.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from zhengce.companions.common import default_out_dir
from zhengce.common.errors import UserError
from zhengce.corpus.store import Store, resolve_db_path

from .loader import REIGN_2019, join_country_year, load_ptcoups, load_reign_country_year, \
    load_reign_monthly, sample_path
from .model import HonestCoupModel, PaperCoupModel, noise_probe
from .report import store_results, write_report

NAME = "coup"
PACKAGES = ["scikit-learn", "matplotlib"]
REAL_VALIDATION_START = 2000
REAL_TEST_START = 2010
REFERENCE_NOTE = (
    "Reference: a published random-forest coup forecast of this design (REIGN and other "
    "predictors, Powell & Thyne attempts, test forecasts for 2010-2019) reports ROC-AUC ≈ 0.79 "
    "and PR-AUC ≈ 0.05 at a 1.2% base rate."
)


@dataclass
class RunResult:
    out: Path
    run_id: str
    summary: dict[str, Any]
    line: str
    paper: PaperCoupModel | None = None
    honest: HonestCoupModel | None = None
    paths: dict[str, Any] = field(default_factory=dict)


def shared_coups_dir() -> Path | None:
    """``$ZHENGCE_SHARED/data/coups`` or ``../shared/data/coups`` beside the checkout, if present."""
    candidates = []
    if os.environ.get("ZHENGCE_SHARED"):
        candidates.append(Path(os.environ["ZHENGCE_SHARED"]) / "data" / "coups")
    candidates.append(Path(__file__).resolve().parents[2].parent / "shared" / "data" / "coups")
    candidates.append(Path("..") / "shared" / "data" / "coups")
    for c in candidates:
        if c.is_dir():
            return c
    return None


def _metrics_line(prefix: str, m: dict[str, Any]) -> str:
    return (f"{prefix} ROC-AUC {m['roc_auc']:.3f}, PR-AUC {m['pr_auc']:.3f} "
            f"(base rate {m['base_rate']:.4f}, {m['positives']}/{m['n']} test rows)")


def run_paper(input_path: str | Path | None = None, *, out: str | Path | None = None,
              db: str | None = None, n_estimators: int = 500, test_size: float = 0.3,
              n_thresholds: int = 1000, random_state: int | None = 0, n_jobs: int = 2,
              echo: Callable[[str], None] = print) -> RunResult:
    """The paper's protocol on a monthly REIGN file (default: the bundled 2019-2020 sample)."""
    path = Path(input_path) if input_path else sample_path(REIGN_2019)
    synthetic = input_path is None
    out = Path(out) if out else default_out_dir(NAME) / "paper"
    params = {"analysis": "paper", "input": str(path), "synthetic": synthetic,
              "n_estimators": n_estimators, "test_size": test_size, "n_thresholds": n_thresholds,
              "random_state": random_state, "n_jobs": n_jobs}
    with Store.open(resolve_db_path(db)) as store:
        with store.run(NAME, params, inputs={"reign": path}, packages=PACKAGES) as run:
            loaded = load_reign_monthly(store, path, run=run)
            echo(f"loaded {loaded.line()}")
            echo(f"fitting the paper's RandomForestRegressor ({n_estimators} trees)...")
            paper = PaperCoupModel(n_estimators=n_estimators, test_size=test_size,
                                   n_thresholds=n_thresholds, random_state=random_state,
                                   n_jobs=n_jobs).fit(loaded.frame)
            league = paper.league_table(loaded.frame)
            store_results(store, run.run_id, paper=paper, paper_league=league)
            context = {"input": f"{path}" + (" (bundled SYNTHETIC sample)" if synthetic else ""),
                       "REIGN schema": loaded.version, "rows": loaded.report.n_rows,
                       "run id": run.run_id}
            paths = write_report(out, title="Coup attempts: the paper's variable-threshold forest",
                                 context=context, paper=paper, paper_league=league)
            f1 = paper.thresholds_.set_index("choice").loc["f1"]
            summary = {**paper.metrics_, "f1_threshold": float(f1["threshold"]),
                       "f1": float(f1["f1"]), "reign_version": loaded.version, "out": str(out)}
            run.summary.update(summary)
    line = (f"coup paper: {loaded.report.n_rows} REIGN {loaded.version} rows, best-F1 τ="
            f"{f1['threshold']:.6f} (P={f1['precision']:.3f}, R={f1['recall']:.3f}, "
            f"F1={f1['f1']:.3f}); " + _metrics_line("test", paper.metrics_)
            + (" [SYNTHETIC data]" if synthetic else "") + f"; wrote {out}")
    return RunResult(out=out, run_id=run.run_id, summary=summary, line=line, paper=paper,
                     paths=paths)


def run_honest(input_path: str | Path | None = None, *, out: str | Path | None = None,
               db: str | None = None, n_estimators: int = 500, min_samples_leaf: int = 10,
               validation_start: int | None = None, test_start: int | None = None,
               history_features: bool = True, permutation_repeats: int = 5, compare: bool = True,
               random_state: int | None = 0, n_jobs: int = 2,
               echo: Callable[[str], None] = print) -> RunResult:
    """The honest protocol on a monthly REIGN file, with the paper's protocol beside it."""
    path = Path(input_path) if input_path else sample_path(REIGN_2019)
    synthetic = input_path is None
    out = Path(out) if out else default_out_dir(NAME) / "honest"
    params = {"analysis": "honest", "input": str(path), "synthetic": synthetic,
              "n_estimators": n_estimators, "min_samples_leaf": min_samples_leaf,
              "validation_start": validation_start, "test_start": test_start,
              "history_features": history_features, "permutation_repeats": permutation_repeats,
              "compare": compare, "random_state": random_state, "n_jobs": n_jobs}
    with Store.open(resolve_db_path(db)) as store:
        with store.run(NAME, params, inputs={"reign": path}, packages=PACKAGES) as run:
            loaded = load_reign_monthly(store, path, run=run)
            echo(f"loaded {loaded.line()}")
            echo(f"fitting the honest forecaster ({n_estimators} trees, time split)...")
            honest = HonestCoupModel(n_estimators=n_estimators, min_samples_leaf=min_samples_leaf,
                                     validation_start=validation_start, test_start=test_start,
                                     history_features=history_features,
                                     permutation_repeats=permutation_repeats,
                                     random_state=random_state, n_jobs=n_jobs).fit(loaded.frame)
            paper = league = probe = None
            if compare:
                echo("fitting the paper's protocol on the same rows for comparison...")
                paper = PaperCoupModel(n_estimators=n_estimators, random_state=random_state,
                                       n_jobs=n_jobs).fit(loaded.frame)
                league = paper.league_table(loaded.frame)
                echo("refitting the paper's model with a pure-noise column (importance probe)...")
                probe = noise_probe(loaded.frame, n_estimators=n_estimators,
                                    random_state=random_state, n_jobs=n_jobs)
            store_results(store, run.run_id, paper=paper, paper_league=league, honest=honest)
            context = {"input": f"{path}" + (" (bundled SYNTHETIC sample)" if synthetic else ""),
                       "REIGN schema": loaded.version, "rows": loaded.report.n_rows,
                       "unit": "country-month (leader-months collapsed)", "run id": run.run_id}
            paths = write_report(out, title="Coup attempts: honest forecast vs the paper's protocol",
                                 context=context, paper=paper, paper_league=league, honest=honest,
                                 probe=probe)
            summary = {**{f"honest_{k}": v for k, v in honest.metrics_.items()},
                       **({f"paper_{k}": v for k, v in paper.metrics_.items()} if paper else {}),
                       **({"noise_probe_rank": probe["rank"]} if probe else {}),
                       "out": str(out)}
            run.summary.update(summary)
    line = ("coup honest: " + _metrics_line(f"test {honest.split_.test[0]}-{honest.split_.test[1]}",
                                            honest.metrics_)
            + (f"; paper protocol on the same rows ROC-AUC {paper.metrics_['roc_auc']:.3f}, "
               f"PR-AUC {paper.metrics_['pr_auc']:.3f}" if paper else "")
            + (" [SYNTHETIC data]" if synthetic else "") + f"; wrote {out}")
    return RunResult(out=out, run_id=run.run_id, summary=summary, line=line, paper=paper,
                     honest=honest, paths=paths)


def resolve_real_inputs(reign: str | Path | None, ptcoups: str | Path | None) -> tuple[Path, Path]:
    """The country-year inputs: given paths, else ../shared/data/coups, else a UserError."""
    if reign and ptcoups:
        return Path(reign), Path(ptcoups)
    shared = shared_coups_dir()
    if shared is None:
        raise UserError("no --reign/--ptcoups given and ../shared/data/coups is absent: pass "
                        "--reign reign_country_year.csv --ptcoups ptcoups_country_year.csv "
                        "(or the Powell & Thyne event list)")
    return (Path(reign) if reign else shared / "reign_country_year.csv",
            Path(ptcoups) if ptcoups else shared / "ptcoups_country_year.csv")


def fit_real(panel_frame, *, n_estimators: int = 500, min_samples_leaf: int = 10,
             validation_start: int = REAL_VALIDATION_START, test_start: int = REAL_TEST_START,
             history_features: bool = True, permutation_repeats: int = 5, compare: bool = True,
             random_state: int | None = 0, n_jobs: int = 2):
    """Both protocols on a joined country-year panel (no store, no files): (honest, paper)."""
    honest = HonestCoupModel(n_estimators=n_estimators, min_samples_leaf=min_samples_leaf,
                             validation_start=validation_start, test_start=test_start,
                             history_features=history_features,
                             permutation_repeats=permutation_repeats, unit="gwcode",
                             random_state=random_state, n_jobs=n_jobs).fit(panel_frame)
    paper = (PaperCoupModel(n_estimators=n_estimators, random_state=random_state,
                            n_jobs=n_jobs).fit(panel_frame) if compare else None)
    return honest, paper


def run_real(reign: str | Path | None = None, ptcoups: str | Path | None = None, *,
             out: str | Path | None = None, db: str | None = None, n_estimators: int = 500,
             min_samples_leaf: int = 10, validation_start: int = REAL_VALIDATION_START,
             test_start: int = REAL_TEST_START, history_features: bool = True,
             permutation_repeats: int = 5, compare: bool = True, random_state: int | None = 0,
             n_jobs: int = 2, echo: Callable[[str], None] = print) -> RunResult:
    """Both protocols on REIGN country-years joined to Powell & Thyne attempts."""
    reign_path, pt_path = resolve_real_inputs(reign, ptcoups)
    out = Path(out) if out else default_out_dir(NAME) / "real"
    params = {"analysis": "real", "reign": str(reign_path), "ptcoups": str(pt_path),
              "n_estimators": n_estimators, "min_samples_leaf": min_samples_leaf,
              "validation_start": validation_start, "test_start": test_start,
              "history_features": history_features, "permutation_repeats": permutation_repeats,
              "compare": compare, "random_state": random_state, "n_jobs": n_jobs}
    with Store.open(resolve_db_path(db)) as store:
        with store.run(NAME, params, inputs={"reign": reign_path, "ptcoups": pt_path},
                       packages=PACKAGES) as run:
            reign_load = load_reign_country_year(store, reign_path, run=run)
            echo(f"loaded {reign_load.line()}")
            pt_load = load_ptcoups(store, pt_path, run=run)
            echo(f"loaded {pt_load.report.line()} (Powell & Thyne {pt_load.kind.replace('_', '-')})")
            panel = join_country_year(reign_load.frame, pt_load.frame, pt_load.kind,
                                      store=store, run=run)
            if len(panel.unmatched_events):
                echo(f"note: {len(panel.unmatched_events)} Powell & Thyne event(s) have no REIGN "
                     "country-year and are not in the panel (listed in rejects)")
            echo(f"fitting the honest forecaster ({n_estimators} trees; validation from "
                 f"{validation_start}, test {test_start}+)...")
            honest, paper = fit_real(panel.frame, n_estimators=n_estimators,
                                     min_samples_leaf=min_samples_leaf,
                                     validation_start=validation_start, test_start=test_start,
                                     history_features=history_features,
                                     permutation_repeats=permutation_repeats, compare=compare,
                                     random_state=random_state, n_jobs=n_jobs)
            league = probe = None
            if paper is not None:
                league = paper.league_table(panel.frame, unit="gwcode")
                echo("refitting the paper's model with a pure-noise column (importance probe)...")
                probe = noise_probe(panel.frame, n_estimators=n_estimators,
                                    random_state=random_state, n_jobs=n_jobs)
            store_results(store, run.run_id, paper=paper, paper_league=league, honest=honest)
            context = {"REIGN country-years": f"{reign_path} ({reign_load.n_stored} rows)",
                       "Powell & Thyne": f"{pt_path} ({pt_load.kind.replace('_', '-')})",
                       "panel": f"{len(panel.frame)} country-years, "
                                f"{int(panel.frame['pt_attempt'].sum())} with an attempt, "
                                f"{panel.frame['year'].min()}–{panel.frame['year'].max()}",
                       "unmatched P&T events": len(panel.unmatched_events),
                       "run id": run.run_id}
            paths = write_report(out, title="Coup attempts on real country-years: honest vs paper",
                                 context=context, paper=paper, paper_league=league, honest=honest,
                                 reference=REFERENCE_NOTE, probe=probe)
            summary = {**{f"honest_{k}": v for k, v in honest.metrics_.items()},
                       **({f"paper_{k}": v for k, v in paper.metrics_.items()} if paper else {}),
                       **({"noise_probe_rank": probe["rank"]} if probe else {}),
                       "panel_rows": len(panel.frame), "out": str(out)}
            run.summary.update(summary)
    line = ("coup real: " + _metrics_line(f"out-of-sample {honest.split_.test[0]}-"
                                          f"{honest.split_.test[1]}", honest.metrics_)
            + (f"; paper protocol on the same data ROC-AUC {paper.metrics_['roc_auc']:.3f}, "
               f"PR-AUC {paper.metrics_['pr_auc']:.3f}" if paper else "") + f"; wrote {out}")
    return RunResult(out=out, run_id=run.run_id, summary=summary, line=line, paper=paper,
                     honest=honest, paths=paths)
