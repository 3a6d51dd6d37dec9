"""``zhengce``: one thin command-line shell over the library.

The root of the command tree sits above every layer: each layer's ``cli`` module defines its
commands, and this group assembles them from the ``zhengce.commands`` entry points (declared in
pyproject.toml), importing a command's module only when it is used, so ``zhengce --help`` is
fast. Every subcommand parses options, calls one library function, and turns
:class:`UserError` into a one-line message with exit status 2 (never a traceback for a user
mistake).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from importlib.metadata import entry_points
from pathlib import Path

import click

from zhengce.common.errors import UserError

ENTRY_POINT_GROUP = "zhengce.commands"


def command_specs() -> dict[str, str]:
    """Command name -> "module:attribute", from the ``zhengce.commands`` entry points.

    Every layer declares its commands in pyproject.toml under that group, and a separate
    package (a companion of one's own, say) can add commands the same way, as plugins do for
    sqlite-utils. Nothing is imported until a command is used.
    """
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _module_file(module_name: str) -> Path | None:
    """The source file of ``module_name`` found on disk, importing nothing but its top-level
    package (``importlib.util.find_spec`` would import every parent package on the way)."""
    top, *rest = module_name.split(".")
    package = sys.modules.get(top)
    if package is None:
        spec = importlib.util.find_spec(top)
        dirs = list(spec.submodule_search_locations or []) if spec else []
    else:
        dirs = list(getattr(package, "__path__", []))
    for i, part in enumerate(rest):
        last = i == len(rest) - 1
        found = None
        for folder in dirs:
            candidate = Path(folder) / part
            if last and candidate.with_suffix(".py").is_file():
                return candidate.with_suffix(".py")
            if candidate.is_dir():
                found = candidate
                break
        if found is None:
            return None
        if last:
            init = found / "__init__.py"
            return init if init.is_file() else None
        dirs = [str(found)]
    return None


def command_summary(spec: str) -> str:
    """The first line of a lazy command's docstring, read from its source file without importing
    it (``zhengce --help`` must not load pandas, gensim and matplotlib to list the commands).
    Falls back to a pointer to the command's own --help when the source cannot be read."""
    module_name, attr = spec.split(":")
    path = _module_file(module_name)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8")) if path else None
    except (OSError, SyntaxError, ValueError):
        tree = None
    for node in (tree.body if tree else []):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == attr:
            doc = ast.get_docstring(node)
            if doc:
                return doc.strip().splitlines()[0].strip()
    return ""


def _shorten(text: str, width: int) -> str:
    """``text`` cut at a word boundary to ``width`` characters, as click shortens help."""
    if len(text) <= width:
        return text
    cut = text[:width - 3].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "..."


def _import_command(spec: str) -> click.Command | None:
    module_name, attr = spec.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # Only a missing *optional dependency* is reported as such; a missing zhengce module
        # means the command is not part of this installation.
        if exc.name and not exc.name.split(".")[0] == "zhengce":
            raise UserError(
                f"this command needs the optional package {exc.name!r}: "
                f"pip install 'zhengce[all]' (or run make install)"
            ) from exc
        return None
    return getattr(module, attr, None)


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx)) | set(command_specs())
        return sorted(names)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        spec = command_specs().get(cmd_name)
        if spec is None:
            return None
        try:
            return _import_command(spec)
        except UserError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listing help without importing every stack: a lazy command's summary is the first
        # line of its docstring, read from the source file (command_summary).
        rows = []
        specs = command_specs()
        width = max(45, formatter.width - 6 - max(map(len, self.list_commands(ctx)), default=0))
        for name in self.list_commands(ctx):
            if name in self.commands:
                rows.append((name, self.commands[name].get_short_help_str(width)))
            else:
                summary = command_summary(specs[name])
                rows.append((name, _shorten(summary, width) if summary
                             else f"see: zhengce {name} --help"))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="zhengce")
def cli() -> None:
    """zhengce (政策): build, tag, model and share corpora of Chinese policy documents.

    \b
    A typical session:
      zhengce demo-corpus data/demo-src          # write the offline demo corpus
      zhengce load data/demo-src/documents.jsonl --mapping demo --db data/demo.db
      zhengce stats --db data/demo.db
      zhengce search 出口退税 --db data/demo.db
      zhengce topics run --db data/demo.db      # seeded DMR, the default model
      zhengce report --db data/demo.db          # out/report: a self-contained folder

    The database defaults to data/zhengce.db; set --db or $ZHENGCE_DB to use another.
    """


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user mistakes become one line on stderr and exit status 2."""
    try:
        cli.main(args=argv, prog_name="zhengce", standalone_mode=False)
    except UserError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted: everything written so far is saved; run the same command to resume.",
                   err=True)
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
