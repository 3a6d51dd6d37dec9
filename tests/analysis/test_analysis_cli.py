"""The analysis commands of the zhengce CLI, run end to end on a small database file."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from zhengce.cli import cli


@pytest.fixture
def db(tmp_path, build_report_store):
    from zhengce.corpus.store import Store

    path = tmp_path / "cli.db"
    store = Store.open(path)
    build_report_store(store, n_per_cell=6, years=range(1998, 2006), thin_year=1998)
    store.close()
    return path


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result


@pytest.mark.parametrize("name", ["report", "trajectories", "effects", "estimate-effect", "code", "browse"])
def test_every_command_has_help_with_an_example(name):
    result = run(name, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output and "zhengce " in result.output
    if name != "code":
        assert "--db" in result.output


def test_trajectories_effects_and_estimate_effect(db, tmp_path):
    out = tmp_path / "traj"
    result = run("trajectories", "--db", db, "--out", out, "--n-boot", 30, "--english")
    assert result.exit_code == 0, result.output
    assert "level × year cells" in result.output and "central    regulatory" in result.output
    assert (out / "trajectories.csv").exists() and (out / "prevalence_regulatory.png").exists()
    pp = pd.read_csv(out / "pre_post.csv").set_index(["level", "category"])
    assert pp.loc[("central", "regulatory"), "diff"] > 0.1
    result = run("trajectories", "--db", db, "--out", tmp_path / "sm", "--n-boot", 20, "--english",
                 "--smooth", "rolling", "--window", 3)
    assert result.exit_code == 0, result.output
    smoothed = pd.read_csv(tmp_path / "sm" / "trajectories.csv")
    assert set(smoothed["smoothing"]) == {"rolling"} and "n_window" in smoothed.columns
    result = run("effects", "--db", db, "--out", tmp_path / "eff", "--category", "regulatory")
    assert result.exit_code == 0, result.output
    assert "ols       regulatory     central" in result.output
    assert (tmp_path / "eff" / "effects_regulatory.tex").exists()
    result = run("estimate-effect", "--db", db, "--out", tmp_path / "eff", "--n-draws", 10)
    assert result.exit_code == 0, result.output
    assert "regulatory: 10 draws (dirichlet), 1 run(s)" in result.output
    assert (tmp_path / "eff" / "estimate_effect_regulatory_contrasts.csv").exists()


def test_report_command_prints_the_path(db, tmp_path):
    result = run("report", "--db", db, "--out", tmp_path / "rep", "--english", "--n-boot", 20,
                 "--n-draws", 0)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    # which run it used, the path, then the three numbers to look at first (one per level)
    assert lines[0].startswith("using topics measure of run(s) topics-") and "the latest" in lines[0]
    assert lines[1] == f"Report: {(tmp_path / 'rep' / 'report.html').resolve()}"
    assert [line.split()[0] for line in lines[3:]] == ["central", "provincial", "local"]
    assert all("regulatory share, post − pre 2001" in line for line in lines[3:])


def test_code_sample_and_score(db, tmp_path):
    result = run("code", "sample", "--db", db, "-n", 12, "--out", tmp_path / "c" / "s.xlsx")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("using topic run topics-")
    assert result.output.splitlines()[1].startswith("12 documents:")
    sheet = pd.read_csv(tmp_path / "c" / "s.csv", encoding="utf-8-sig", keep_default_na=False)
    sheet["category"] = "regulatory"
    sheet["coder"] = "ann"
    sheet.to_csv(tmp_path / "c" / "ann.csv", index=False)
    result = run("code", "score", tmp_path / "c" / "ann.csv", "--db", db, "--out", tmp_path / "scores")
    assert result.exit_code == 0, result.output
    assert "hand vs automatic" in result.output and "on 12 documents" in result.output
    assert (tmp_path / "scores" / "coding_confusion.csv").exists()


def test_user_errors_are_one_line(db, tmp_path):
    from zhengce.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["effects", "--db", str(db), "--category", "liberal", "--out", str(tmp_path / "x")])
    assert exc.value.code == 2
