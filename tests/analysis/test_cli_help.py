"""Issue 15 finding 8: the top-level help lists every command with a one-line summary, read
from the commands' source without importing the scientific stack, and stays fast."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from zhengce.cli import cli, command_specs, command_summary


def test_top_level_help_has_a_summary_for_every_command():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "see: zhengce" not in result.output
    commands = result.output.split("Commands:")[1]
    for name in command_specs():
        line = next(li for li in commands.splitlines() if li.split()[:1] == [name])
        assert len(line.split()) > 2, line       # a summary beside the name
    assert "Topic models and strategy shares" in commands
    assert "Yearly strategy prevalence by level" in commands


def test_summaries_are_the_first_docstring_line():
    assert command_summary("zhengce.analysis.cli:trajectories") == (
        "Yearly strategy prevalence by level with bootstrap intervals, and pre/post contrasts.")
    assert command_summary("zhengce.nlp.cli:no_such_command") == ""


def test_help_imports_no_heavy_package():
    code = ("import sys\n"
            "from zhengce.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('pandas', 'numpy', 'matplotlib', 'gensim', 'zhengce.analysis.cli',"
            " 'zhengce.nlp.cli') if m in sys.modules]\n"
            "print('HEAVY', heavy)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out


def _commands(group_or_command, prefix=""):
    import click

    name = f"{prefix} {group_or_command.name}".strip()
    if isinstance(group_or_command, click.Group):
        for sub in group_or_command.commands.values():
            yield from _commands(sub, name)
    else:
        yield name, group_or_command


def test_out_is_a_folder_and_output_a_file():
    """Issue 15 finding 8: one meaning for --out (a folder) and -o/--output FILE for one file,
    in every analysis and nlp command."""
    import click

    from zhengce.analysis import cli as analysis_cli
    from zhengce.nlp import cli as nlp_cli

    roots = [analysis_cli.report, analysis_cli.trajectories, analysis_cli.effects,
             analysis_cli.estimate_effect, analysis_cli.code, analysis_cli.browse,
             nlp_cli.segment, nlp_cli.topics, nlp_cli.scheme, nlp_cli.labels, nlp_cli.shards]
    seen_output = []
    for root in roots:
        for name, command in _commands(root):
            for param in command.params:
                if not isinstance(param, click.Option):
                    continue
                if "--out" in param.opts:
                    assert "-o" not in param.opts, name
                    assert not (isinstance(param.type, click.Path) and param.type.dir_okay is False), name
                    assert (param.help or "").lower().startswith(("folder", "output folder", "shard folder")), \
                        f"{name}: --out must be a folder: {param.help}"
                if "--output" in param.opts:
                    assert "-o" in param.opts, name
                    seen_output.append(name)
    assert {"labels export", "scheme check", "shards dictionary", "code sample"} <= set(seen_output)
