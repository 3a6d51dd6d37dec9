"""Issue 15 (first run and daily use), the nlp commands: one default model, the labels round
trip through CSV and YAML with the scheme's categories, and no reference to a file the project
does not ship."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from zhengce.cli import cli
from zhengce.corpus.store import Store
from zhengce.nlp.topics.stage import DEFAULT_MODEL, TopicsConfig

ROOT = Path(__file__).resolve().parents[2]


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


# ---------------------------------------------------------------------------------------------
# Finding 2: one default model
# ---------------------------------------------------------------------------------------------

def test_one_default_model_everywhere():
    assert DEFAULT_MODEL == "dmr"
    assert TopicsConfig().model == "dmr"
    assert yaml.safe_load((ROOT / "nlp" / "topics_default.yaml").read_text("utf-8"))["model"] == "dmr"
    assert TopicsConfig.load(ROOT / "nlp" / "topics_default.yaml").model == "dmr"
    help_text = run("topics", "run", "--help").output
    assert "[default: dmr]" in help_text
    makefile = (ROOT / "Makefile").read_text("utf-8")
    # the Makefile and the README rely on the default instead of naming another model
    assert "--model" not in makefile
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "topics run --model" not in readme and "seeded DMR (the default)" in readme


# ---------------------------------------------------------------------------------------------
# Finding 3: labels export -> edit -> apply -> apply again
# ---------------------------------------------------------------------------------------------

THETA = {"d1": [0.7, 0.2, 0.1], "d2": [0.1, 0.6, 0.3], "d3": [0.2, 0.2, 0.6]}


@pytest.fixture
def labelled_db(tmp_path):
    """A store with one topic run of 3 topics (regulatory, developmental, other) and θ of 3
    documents, as the topics stage stores it."""
    path = tmp_path / "labels.db"
    store = Store.open(path)
    texts = {"d1": "为加强产品质量监督，制定国家标准，依法处罚违法行为。",
             "d2": "对高新技术企业给予补贴，鼓励研发。",
             "d3": "现将有关事项通知如下，请各省认真贯彻执行。"}
    with store.db.conn:
        store.db["documents"].insert_all(
            [{"doc_id": d, "source": "test", "title": f"文件{d}", "text": t, "n_chars": len(t)}
             for d, t in texts.items()], pk="doc_id")
    with store.run("topics", {"model": "dmr", "scheme": None, "random_state": 0}) as topic_run:
        run_id = topic_run.run_id
        topic_run.summary["n_documents"] = 3
        with store.db.conn:
            store.db["topics"].insert_all([
                {"run_id": run_id, "topic": k, "label": cat, "category": cat, "score": 0.2,
                 "source": src, "prevalence": 0.33, "top_words": json.dumps(words, ensure_ascii=False),
                 "frex": json.dumps(words[::-1], ensure_ascii=False), "lift": "[]"}
                for k, (cat, src, words) in enumerate([("regulatory", "seeded", ["标准", "监督"]),
                                                       ("developmental", "seeded", ["补贴", "鼓励"]),
                                                       ("other", "scored", ["通知", "各省"])])])
            store.db["doc_topics"].insert_all(
                [{"run_id": run_id, "doc_id": d, "topic": k, "weight": w}
                 for d, ws in THETA.items() for k, w in enumerate(ws)])
            store.db["strategy_shares"].insert_all(
                [{"run_id": run_id, "doc_id": d, "category": c, "share": s}
                 for d, ws in THETA.items()
                 for c, s in zip(["regulatory", "developmental", "other"], ws)])
    store.close()
    return path, run_id


def _shares(path, run_id):
    with Store.open(path) as store:
        return {(d, c): s for d, c, s in store.db.execute(
            "select doc_id, category, share from strategy_shares where run_id = ?", [run_id])}


def _categories(path, run_id):
    with Store.open(path) as store:
        return [r[0] for r in store.db.execute(
            "select category from topics where run_id = ? order by topic", [run_id])]


@pytest.mark.parametrize("suffix", [".csv", ".yaml"])
def test_labels_round_trip(labelled_db, tmp_path, suffix):
    db, run_id = labelled_db
    label_file = tmp_path / f"labels{suffix}"
    result = run("labels", "export", run_id, "-o", label_file, "--db", db)
    assert result.exit_code == 0, result.output
    text = label_file.read_text("utf-8")
    assert "标准 监督" in text                 # the words come along (not a header-only file)
    if suffix == ".csv":
        lines = text.splitlines()
        assert lines[0] == "topic,category,label,proposed,score,source,top_words,frex"
        assert len(lines) == 4 and lines[1].startswith("0,,,regulatory,0.2000,seeded,")
        lines[1] = "0,directive,计划" + lines[1][len("0,,"):]
        label_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        assert "directive | developmental | regulatory | other" in text
        data = yaml.safe_load(text)
        assert data[0]["proposed"] == "regulatory" and data[0]["category"] is None
        data[0].update(category="directive", label="计划")
        label_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    # unchanged file: applying changes nothing
    result = run("labels", "apply", run_id, label_file, "--db", db)
    assert result.exit_code == 0, result.output
    assert _categories(db, run_id) == ["directive", "developmental", "other"]
    shares = _shares(db, run_id)
    assert shares[("d1", "directive")] == pytest.approx(0.7)
    assert shares[("d1", "regulatory")] == pytest.approx(0.0)   # the scheme's category, kept as 0
    # apply again after an edit back to regulatory: the scheme allows it, not the current labels
    if suffix == ".csv":
        label_file.write_text(label_file.read_text("utf-8").replace("0,directive,计划", "0,regulatory,"),
                              encoding="utf-8")
    else:
        data = yaml.safe_load(label_file.read_text("utf-8"))
        data[0]["category"] = "regulatory"
        label_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = run("labels", "apply", run_id, label_file, "--db", db)
    assert result.exit_code == 0, result.output
    assert _categories(db, run_id) == ["regulatory", "developmental", "other"]
    assert _shares(db, run_id)[("d1", "regulatory")] == pytest.approx(0.7)
    # every application is a run with a manifest naming the topic run, the file and the scheme
    with Store.open(db) as store:
        rows = store.db.execute("select params, manifest from runs where stage = 'labels'").fetchall()
    assert len(rows) == 2
    params, manifest = json.loads(rows[0][0]), json.loads(rows[0][1])
    assert params["topic_run"] == run_id and params["label_file"] == str(label_file)
    assert set(manifest["inputs"]) == {"label_file", "scheme"}


def test_labels_export_of_an_unknown_run_is_one_line(labelled_db, tmp_path):
    db, _ = labelled_db
    result = CliRunner().invoke(cli, ["labels", "export", "nope", "-o", str(tmp_path / "x.csv"),
                                      "--db", str(db)])
    assert result.exit_code != 0 and "no topics stored for run 'nope'" in str(result.exception)
    assert not (tmp_path / "x.csv").exists()


def test_labels_apply_refuses_a_category_outside_the_scheme(labelled_db, tmp_path):
    db, run_id = labelled_db
    bad = tmp_path / "bad.csv"
    bad.write_text("topic,category\n0,industrial\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["labels", "apply", run_id, str(bad), "--db", str(db)])
    assert "use one of directive, developmental, regulatory, other" in str(result.exception)


# ---------------------------------------------------------------------------------------------
# Finding 6: zhengce topics list, zhengce runs one line per run
# ---------------------------------------------------------------------------------------------

def test_topics_list_one_line_per_run(labelled_db):
    db, run_id = labelled_db
    result = run("topics", "list", "--db", db)
    assert result.exit_code == 0, result.output
    line, = result.output.splitlines()
    assert line.startswith(f"{run_id}  dmr        K=3")
    assert "3 docs" in line and line.endswith("regulatory 1, developmental 1, other 1")


def test_runs_prints_one_line_per_run_and_json_on_request(labelled_db):
    db, run_id = labelled_db
    with Store.open(db) as store:
        summary = json.loads(store.db.execute("select summary from runs").fetchone()[0])
    result = run("runs", "--db", db)
    assert result.exit_code == 0, result.output
    head = result.output.splitlines()[0]
    assert head.startswith(run_id) and '"n_documents": 3' in head and "peak_memory" not in head
    result = run("runs", "--db", db, "--json")
    record = json.loads(result.output.splitlines()[0])
    assert record["run_id"] == run_id and record["summary"] == summary
    assert record["params"]["model"] == "dmr" and "packages" in record["manifest"]


# ---------------------------------------------------------------------------------------------
# Finding 9: representative documents with keyword in context; the scheme cites nothing the
# project does not ship
# ---------------------------------------------------------------------------------------------

def test_topics_show_representative_documents_with_kwic(labelled_db):
    db, run_id = labelled_db
    result = run("topics", "show", run_id, "--db", db, "--docs", 1, "-n", 2)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["0", "regulatory", "regulatory"] and lines[0].endswith("标准 监督")
    # topic 0's top document is d1 (θ = 0.7), with its FREX words in context
    assert lines[1].split() == ["1.", "θ=0.70", "d1", "文件d1"]
    assert lines[2].strip() == "为加强产品质量【监督】，制定国家标准，依法处罚违法行为。"
    result = run("topics", "show", run_id, "--db", db, "--docs", 2, "--topic", 1)
    assert [line.split()[2] for line in result.output.splitlines()[1:] if "θ=" in line] == ["d2", "d1"]
# ---------------------------------------------------------------------------------------------

def test_scheme_cites_no_missing_file():
    text = (ROOT / "nlp" / "schemes" / "tan.yaml").read_text("utf-8")
    assert "../shared" not in text
    for name in re.findall(r"[\w./-]+\.(?:md|yaml|csv|txt)\b", text):
        assert (ROOT / name).exists() or (ROOT / "nlp" / name).exists(), name


# ---------------------------------------------------------------------------------------------
# Finding 8: progress for scheme check and every model
# ---------------------------------------------------------------------------------------------

def test_scheme_check_reports_progress(labelled_db, tmp_path):
    db, _ = labelled_db
    result = CliRunner().invoke(cli, ["scheme", "check", "--db", str(db), "-o", str(tmp_path / "s.csv")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "scheme check: 6/6 doc" in result.stderr          # two passes over 3 documents
    assert (tmp_path / "s.csv").exists() and "seeds checked" in result.stdout


@pytest.mark.parametrize("model_name", ["lda", "seeded_lda"])
def test_lda_models_report_progress_and_fit_the_same(monkeypatch, model_name):
    pytest.importorskip("gensim")
    import numpy as np
    from gensim.corpora import Dictionary

    from zhengce.nlp.topics.models import LdaTopicModel, SeededLdaModel, dmr_inference

    monkeypatch.setattr(dmr_inference, "PROGRESS_EVERY_S", 0.0)
    rng = np.random.default_rng(0)
    words = ["标准", "监督", "补贴", "鼓励", "计划", "指标", "检验", "奖励"]
    texts = [[str(w) for w in rng.choice(words, 12)] for _ in range(20)]
    dictionary = Dictionary(texts)
    corpus = [dictionary.doc2bow(t) for t in texts]

    def make():
        if model_name == "lda":
            return LdaTopicModel(3, passes=2, iterations=20, random_state=0)
        return SeededLdaModel({"regulatory": ["标准"], "developmental": ["补贴"]}, 1, passes=2,
                              iterations=20, random_state=0)

    lines: list[str] = []
    with_progress = make().fit(corpus, dictionary, progress=lines.append)
    quiet = make().fit(corpus, dictionary)
    assert lines and lines[-1].startswith(f"{type(quiet).__name__} passes: 40/40 document")
    np.testing.assert_array_equal(with_progress.doc_topic_, quiet.doc_topic_)


def test_topics_run_says_a_model_warning_once(capsys):
    """A model logs and warns the same text: `topics run` shows it as one line on stderr."""
    import logging
    import warnings

    from zhengce.nlp.cli import one_line_messages
    from zhengce.nlp.topics.models.validation import TopicModelWarning

    with one_line_messages() as say:
        say("fitting dmr")
        logging.getLogger("zhengce.nlp.topics.models.seeds").warning("2 seed word(s) seed nothing")
        warnings.warn("2 seed word(s) seed nothing", TopicModelWarning)
        warnings.warn("another matter", TopicModelWarning)
    err = capsys.readouterr().err.splitlines()
    assert err == ["fitting dmr", "2 seed word(s) seed nothing", "warning: another matter"]
