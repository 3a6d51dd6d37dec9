"""``zhengce``: one thin command-line shell over the library.

The root of the command tree sits above every layer: each layer's ``cli`` module defines its
commands, and this group assembles them from the ``zhengce.commands`` entry points (declared in
pyproject.toml), importing a command's module only when it is used, so ``zhengce --help`` is
fast. Every subcommand parses options, calls one library function, and turns
:class:`UserError` into a one-line message with exit status 2 (never a traceback for a user
mistake).
"""

from __future__ import annotations

import importlib
import sys
from importlib.metadata import entry_points

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
        # Listing help without importing every stack: show the names only for lazy commands.
        rows = []
        for name in self.list_commands(ctx):
            if name in self.commands:
                rows.append((name, self.commands[name].get_short_help_str(60)))
            else:
                rows.append((name, f"see: zhengce {name} --help"))
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
