"""Issue 15 (first run and daily use), the analysis commands: provenance of every result (a run
row, a manifest, the run used printed and named in the tables), the report as a self-contained
folder with figures in reading order, --years / --level, and no font-warning noise."""

from __future__ import annotations

import json
import logging
import re

import pandas as pd
import pytest
from click.testing import CliRunner

from zhengce.cli import cli
from zhengce.corpus.store import Store


@pytest.fixture
def db(tmp_path, build_report_store):
    path = tmp_path / "first.db"
    store = Store.open(path)
    run_id = build_report_store(store, n_per_cell=6, years=range(1998, 2006), thin_year=1998)
    store.close()
    return path, run_id


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _runs(path, stage):
    with Store.open(path) as store:
        return [(json.loads(p), json.loads(m), s) for p, m, s in store.db.execute(
            "select params, manifest, status from runs where stage = ?", [stage])]


# ---------------------------------------------------------------------------------------------
# Finding 6: provenance
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command, stage, extra", [
    ("trajectories", "trajectories", ["--n-boot", 10, "--english"]),
    ("effects", "effects", ["--category", "regulatory"]),
    ("estimate-effect", "estimate_effect", ["--n-draws", 5]),
])
def test_every_result_records_a_run_and_a_manifest(db, tmp_path, command, stage, extra):
    path, topic_run = db
    out = tmp_path / command
    result = run(command, "--db", path, "--out", out, *extra)
    assert result.exit_code == 0, result.output
    # no silent latest: the first line names the run and says it was the default
    first = result.output.splitlines()[0]
    assert first.startswith(f"using topic run {topic_run} (the latest; choose another with --run")
    (params, manifest, status), = _runs(path, stage)
    assert status == "ok"
    assert params["database"] == str(path) and params["strategy_runs"] == [topic_run]
    assert manifest["inputs"]["strategy_runs"]
    on_disk = json.loads((out / "manifest.json").read_text("utf-8"))
    assert on_disk["stage"] == stage and on_disk["params"]["strategy_runs"] == [topic_run]
    # the tables name the run they were computed from
    tables = [p for p in out.glob("*.csv")]
    assert tables and all(set(pd.read_csv(p)["runs"]) == {topic_run} for p in tables)
    # --run names it explicitly
    result = run(command, "--db", path, "--out", tmp_path / "again", "--run", topic_run, *extra)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith(f"using topic run {topic_run} (as asked)")


def test_code_score_records_a_run(db, tmp_path):
    path, topic_run = db
    result = run("code", "sample", "--db", path, "-n", 9, "--out", tmp_path / "c")
    assert result.exit_code == 0, result.output
    sheet = pd.read_csv(tmp_path / "c" / "coding_sample.csv", encoding="utf-8-sig", keep_default_na=False)
    sheet["category"] = "regulatory"
    sheet["coder"] = "ann"
    sheet.to_csv(tmp_path / "c" / "ann.csv", index=False)
    result = run("code", "score", tmp_path / "c" / "ann.csv", "--db", path, "--out", tmp_path / "s")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"using topic run {topic_run}")
    (params, _, status), = _runs(path, "code_score")
    assert status == "ok" and params["strategy_runs"] == [topic_run]
    assert json.loads((tmp_path / "s" / "manifest.json").read_text("utf-8"))["stage"] == "code_score"


# ---------------------------------------------------------------------------------------------
# Finding 7: the report, --years / --level, default x range, no noise
# ---------------------------------------------------------------------------------------------

def test_years_and_level_restrict_trajectories_and_effects(db, tmp_path):
    path, _ = db
    out = tmp_path / "t"
    result = run("trajectories", "--db", path, "--out", out, "--n-boot", 10, "--english",
                 "--years", "2000-2003", "--level", "central")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "trajectories.csv")
    assert set(table["level"]) == {"central"} and table["year"].between(2000, 2003).all()
    excluded = json.loads((out / "manifest.json").read_text("utf-8"))["params"]["excluded"]
    assert excluded["outside_years"] > 0 and excluded["other_levels"] > 0
    result = run("effects", "--db", path, "--out", tmp_path / "e", "--years", "1999-2004")
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["trajectories", "--db", str(path), "--years", "2010-1990"])
    assert "the first year is after the last" in str(result.exception)


def test_report_reads_in_order_names_no_running_run_and_takes_years(db, tmp_path):
    path, topic_run = db
    out = tmp_path / "r"
    result = run("report", "--db", path, "--out", out, "--english", "--n-boot", 10, "--n-draws", 0,
                 "--years", "1999-2005", "--level", "central", "--level", "local")
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text("utf-8")
    numbers = [int(n) for n in re.findall(r"Figure (\d)\. ", page)]
    assert numbers == sorted(numbers) and numbers[0] == 1
    runs_section = page[page.index('id="runs"'):]
    assert "running" not in runs_section and topic_run in runs_section
    assert 'href="manifest.json"' in runs_section
    trajectories = pd.read_csv(out / "tables" / "trajectories_level_year.csv")
    assert set(trajectories["level"]) == {"central", "local"}
    assert trajectories["year"].between(1999, 2005).all()
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["params"]["years"] == [1999, 2005]
    assert set(manifest["headline"]["levels"]) == {"central", "local"}


def test_figures_default_to_the_years_that_are_not_thin(report_store):
    from zhengce.analysis.data import dense_years, load_strategy_data

    data = load_strategy_data(report_store)
    # build_report_store: 1996 has 3 documents per level (thin), 1997-2008 have 12
    assert dense_years(data, 10) == (1997, 2008)
    assert dense_years(data, 3) == (1996, 2008)


def test_no_findfont_noise(caplog, tmp_path):
    from zhengce.analysis.figures import setup

    setup(chinese=False)
    import matplotlib.pyplot as plt

    caplog.set_level(logging.WARNING)
    fig, ax = plt.subplots()
    ax.set_title("title", family=["No Such Font Family"])
    fig.savefig(tmp_path / "x.png")
    plt.close(fig)
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]


def test_yearly_figures_show_only_the_dense_years(report_store):
    from zhengce.analysis.data import dense_years, load_strategy_data
    from zhengce.analysis.figures import plot_mix, plot_prevalence
    from zhengce.analysis.trajectories import compute_trajectories

    data = load_strategy_data(report_store)
    table = compute_trajectories(data, n_boot=5).table
    window = dense_years(data, 10)
    for fig in (plot_prevalence(table, ["regulatory"], chinese=False, years=window),
                plot_mix(table.rename(columns={"level": "sector"}), ["central"], ["regulatory"],
                         chinese=False, years=window)):
        xs = [x for ax in fig.axes for line in ax.lines for x in line.get_xdata()
              if isinstance(x, (int, float)) and x > 1900 and x != 2001]
        assert xs and min(xs) >= 1997 and 1996 not in xs
