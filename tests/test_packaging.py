"""The package as a user installs it: a plain wheel of the project in a fresh virtual environment.

The wheel is built here without network (``--no-build-isolation``, with this environment's
setuptools) and installed with ``--no-deps``; the fresh environment finds the third-party
dependencies through a ``.pth`` line pointing at this environment's site-packages, whose own
editable install of zhengce is *not* activated (``.pth`` files are only read in site dirs). So
``zhengce`` there is the installed wheel, and nothing else of this checkout.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LAYERS = ("corpus", "nlp", "analysis", "crawler", "companions")

pytestmark = pytest.mark.slow


def readme_python_example() -> str:
    text = (REPO / "README.md").read_text("utf-8")
    match = re.search(r"<!-- readme-python-example[^>]*-->\s*```python\n(.*?)```", text, re.S)
    assert match, "README.md has no marked Python example (<!-- readme-python-example ... -->)"
    return match.group(1)


def run(args, cwd, check=True):
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                            timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    root = tmp_path_factory.mktemp("fresh")
    wheel_dir = root / "wheel"
    # setuptools builds in the source tree: leave no build/ or egg-info behind that was not there
    leftovers = [p for p in (REPO / "build", REPO / "zhengce.egg-info") if not p.exists()]
    try:
        run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
             "-w", wheel_dir, REPO], cwd=root)
    finally:
        for path in leftovers:
            shutil.rmtree(path, ignore_errors=True)
    (wheel,) = wheel_dir.glob("zhengce-*.whl")
    env = root / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel], cwd=root)
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                  cwd=root).stdout.strip()
    ours = [p for p in sys.path if p.endswith("site-packages")]
    Path(purelib, "zz_zhengce_test_deps.pth").write_text("\n".join(ours) + "\n")
    work = root / "work"
    work.mkdir()
    return {"python": python, "bin": env / "bin", "work": work, "wheel": wheel,
            "purelib": Path(purelib)}


def test_wheel_installs_one_zhengce_package_and_no_generic_top_level_ones(fresh):
    import zipfile

    names = zipfile.ZipFile(fresh["wheel"]).namelist()
    top = {n.split("/")[0] for n in names if not n.startswith("zhengce-")}
    assert top == {"zhengce"}
    # the data folders ship: mappings, schemes, demo site templates, companion samples
    for path in ("zhengce/corpus/mappings/demo.yaml", "zhengce/nlp/schemes/tan.yaml",
                 "zhengce/nlp/topics_default.yaml", "zhengce/crawler/specs/zhejiang.yaml",
                 "zhengce/companions/malmquist/data/kenya_banks_synthetic.csv"):
        assert path in names, path


def test_installed_package_imports_as_zhengce_only(fresh):
    code = ("import importlib, zhengce, zhengce.corpus, zhengce.nlp, zhengce.analysis, "
            "zhengce.crawler, zhengce.companions\n"
            "print(zhengce.__file__)\n"
            f"for name in {LAYERS!r}:\n"
            "    try:\n"
            "        importlib.import_module(name)\n"
            "    except ImportError:\n"
            "        continue\n"
            "    raise SystemExit(f'{name} is importable as a top-level package')\n")
    out = run([fresh["python"], "-c", code], cwd=fresh["work"]).stdout
    assert Path(out.strip()).is_relative_to(fresh["purelib"])


def test_installed_command_lists_every_layers_commands(fresh):
    out = run([fresh["bin"] / "zhengce", "--help"], cwd=fresh["work"]).stdout
    for name in ("load", "crawl", "topics", "shards", "report", "coup", "malmquist"):
        assert re.search(rf"^\s+{name}\s", out, re.M), f"zhengce --help does not list {name}"
    out = run([fresh["bin"] / "zhengce", "topics", "run", "--help"], cwd=fresh["work"]).stdout
    assert "zhengce topics run" in out


def test_readme_python_example_runs_on_the_installed_package(fresh):
    work = fresh["work"]
    run([fresh["bin"] / "zhengce", "demo-corpus", "data/demo-src", "-n", "90"], cwd=work)
    out = run([fresh["python"], "-c", readme_python_example()], cwd=work).stdout
    report = Path(out.strip().splitlines()[-1])
    assert (work / report).is_file() and report.name == "report.html"
    assert "90" in out.splitlines()[0]      # the load line counts the 90 documents
    assert (work / "data" / "example.db").is_file()


def test_a_layer_cannot_be_imported_as_a_top_level_package_from_the_checkout():
    result = run([sys.executable, "-c", "import nlp"], cwd=REPO, check=False)
    assert result.returncode != 0
    assert "import zhengce.nlp, not nlp" in result.stderr
