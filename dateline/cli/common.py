"""What every command shares: the typer app, the consoles, the usage/run-failure errors, options."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table as RichTable

# Help is printed as written (rich_markup_mode=None): with rich markup, "[paths] input" in a help
# text lost its "[paths]". -h is --help, for every command (subcommands inherit the setting).
HELP_SETTINGS = {"help_option_names": ["-h", "--help"]}


app = typer.Typer(
    name="dateline",
    help="Dateline: news articles -> events and entities in DuckDB, checked by data-quality rules.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=HELP_SETTINGS,
)


# Every message is printed literally: no markup ("[run] max_bytes" keeps its section), no emoji
# codes, no highlighting; a style is applied explicitly where wanted (rich.text.Text).
console = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)


err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)


def _version(value: bool) -> None:
    """``--version``: the installed package's version, then exit."""
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("dateline")
        except PackageNotFoundError:  # a checkout run without installing it
            number = "unknown (not installed)"
        console.print(f"dateline {number}")
        raise typer.Exit()


@app.callback()
def _common(
    _show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version of dateline and exit."
        ),
    ] = False,
) -> None:
    """Checks shared by every command: an unknown DATELINE_* environment variable is an error
    (the one a command reads would otherwise be ignored without a word)."""
    from dateline import config

    config.check_environment()


class UsageError(Exception):
    """Bad input or configuration: exit code 2."""


class RunFailed(Exception):
    """The run ran but failed: exit code 1."""


WarehouseOpt = Annotated[
    Path | None,
    typer.Option(
        "--warehouse",
        "-w",
        help="DuckDB file (default: $DATELINE_WAREHOUSE, else [paths] warehouse).",
    ),
]


def print_table(table: RichTable) -> None:
    """``table`` on stdout: fitted to the terminal on a terminal; at its full width when stdout
    is a pipe or a file (rich would cut it to 80 columns, wrapping long cells a word a line)."""
    if console.is_terminal:
        console.print(table)
        return
    wide = Measurement.get(console, console.options.update_width(sys.maxsize), table).maximum
    # print() caps its width at the console's: a console of the table's own width instead
    full = Console(file=console.file, width=max(wide, 1), highlight=False, markup=False, emoji=False)
    full.print(table)


eval_app = typer.Typer(
    help="Measure extraction against gold data.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings=HELP_SETTINGS,
)


#: Errors of bad input or configuration (exit 2) and of a failed run (exit 1), by module and name.
USAGE_ERRORS = (
    ("dateline.config", "ConfigError"),
    ("dateline.resources.ner_model", "NerModelMissing"),
    ("dateline.resources.reference", "ReferenceDataError"),
)


RUN_ERRORS = (("dateline.errors", "WarehouseError"),)


def loaded_errors(
    own: type[BaseException], names: tuple[tuple[str, str], ...]
) -> tuple[type[BaseException], ...]:
    """``own`` and the exception classes of ``names`` whose modules are imported (see :func:`main`)."""
    found = (getattr(sys.modules.get(module), name, None) for module, name in names)
    return (own, *(c for c in found if isinstance(c, type) and issubclass(c, BaseException)))
