"""Issue 15 finding 11: the files researchers look for — CITATION.cff (the software and Tan
2021), LICENSE (MIT, as pyproject.toml says) and CHANGELOG.md — exist and agree with the
package."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_citation_cites_the_software_and_tan():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text("utf-8"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software"
    assert cff["version"] == project["version"] and cff["license"] == project["license"] == "MIT"
    assert cff["title"].startswith("zhengce") and cff["authors"]
    tan = [r for r in cff["references"] if r["authors"][0]["family-names"] == "Tan"]
    assert {r["year"] for r in tan} == {2020, 2021}
    assert any("Disaggregating China, Inc." in r["title"] and r["type"] == "book" for r in tan)


def test_license_is_mit():
    text = (ROOT / "LICENSE").read_text("utf-8")
    assert text.startswith("MIT License") and "zhengce developers" in text


def test_changelog_names_the_architecture_and_this_release():
    text = (ROOT / "CHANGELOG.md").read_text("utf-8")
    for phrase in ("zhengce.*", "migration", "one parallel executor", "seeded DMR", "CITATION.cff"):
        assert phrase in text, phrase


def test_make_demo_ends_with_the_report_and_its_headline():
    """`make demo` ends with `zhengce report`, whose last lines are the report path and the
    three numbers to look at first (tests/analysis/test_analysis_cli.py checks those lines)."""
    makefile = (ROOT / "Makefile").read_text("utf-8")
    recipe = makefile.split("\ndemo: install\n", 1)[1].split("\n\n", 1)[0].strip().splitlines()
    assert recipe[-1].strip().startswith("$(BIN)/zhengce report --db $(DEMO_DB)")
    assert any("zhengce topics run --db $(DEMO_DB)" in line and "--model" not in line for line in recipe)
