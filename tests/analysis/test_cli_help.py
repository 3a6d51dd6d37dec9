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
