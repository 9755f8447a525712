"""The ``filiere`` command line: a thin layer over the library.

Every command takes the store from the global ``--store`` option (or ``FILIERE_STORE``);
errors are printed as one clear message, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click
from pydantic import ValidationError

from filiere.cli.context import AppContext
from filiere.cli.localized import (
    VERSION_OPTION_HELP,
    LocalizedGroup,
    LocalizedOption,
    click_language,
)
from filiere.cli.localized import option as localized_option
from filiere.errors import ConfigError, DatasetError, FiliereError
from filiere.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    _,
    get_language,
    language,
    ngettext,
    set_language,
)
from filiere.incidents import record
from filiere.settings import Settings


class FiliereGroup(LocalizedGroup):
    """A group that turns filiere's errors into messages and exit status 1.

    Any other error is a bug: the user gets one line with an incident id, the
    traceback goes to a log file (:mod:`filiere.incidents`).
    """

    def main(self, args: Sequence[str] | None = None, *rest: Any, **extra: Any) -> Any:
        """Run the command line in its language from the first word on: ``--lang`` is
        read before click parses anything, so its usage errors and ``--help`` (wherever
        ``--lang`` stands) are in that language too."""
        argv = list(sys.argv[1:] if args is None else args)
        lang = self.requested_language(argv)
        if lang is None:
            try:
                lang = get_language()
            except ConfigError:  # a bad FILIERE_LANG: the callback reports it
                lang = DEFAULT_LANGUAGE
        with language(lang), click_language(lang):
            return super().main(argv, *rest, **extra)

    def requested_language(self, args: Sequence[str]) -> str | None:
        """The language given with ``--lang`` among this group's options, if any."""
        takes_value = {
            name: not (p.is_flag or p.count)
            for p in self.params
            if isinstance(p, click.Option)
            for name in p.opts
        }
        lang_names = {n for p in self.params if p.name == "lang" for n in p.opts}
        i = 0
        while i < len(args) and args[i].startswith("-") and args[i] != "--":
            name, eq, value = args[i].partition("=")
            if name in lang_names:
                given = value if eq else (args[i + 1] if i + 1 < len(args) else "")
                return given if given in LANGUAGES else None
            i += 2 if takes_value.get(args[i]) else 1
        return None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DatasetError as e:
            for issue in e.issues:
                click.echo(str(issue), err=True)
            n = len(e.issues)
            click.echo(
                ngettext(
                    "error: dataset refused ({n} error); nothing was written",
                    "error: dataset refused ({n} errors); nothing was written",
                    n,
                ).format(n=n),
                err=True,
            )
            sys.exit(1)
        except FiliereError as e:
            click.echo(_("error: {message}").format(message=e), err=True)
            sys.exit(1)
        except OSError as e:  # a file or folder the user named cannot be read or written
            where = f"{e.filename}: " if e.filename else ""
            click.echo(_("error: {message}").format(message=f"{where}{e.strerror or e}"), err=True)
            sys.exit(1)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise  # usage errors, --help, Ctrl-C: click prints these itself
        except Exception as e:  # the top-level guard: a bug must not print a traceback
            incident = record(e, ctx.invoked_subcommand)
            if incident.log is None:
                message = _("error: unexpected error ({kind}), incident {id}; please report it")
            else:
                message = _(
                    "error: unexpected error ({kind}), incident {id}; please report it "
                    "with the file {log}"
                )
            click.echo(
                message.format(kind=type(e).__name__, id=incident.id, log=incident.log), err=True
            )
            sys.exit(1)


@click.group(cls=FiliereGroup, context_settings={"help_option_names": ["-h", "--help"]})
@localized_option(
    "--store",
    metavar="URI",
    help="File path (embedded store, the default: ~/.local/share/filiere/filiere.db) "
    "or bolt:// / neo4j:// URI. Env: FILIERE_STORE.",
)
@localized_option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Language of the messages, tables, report and workbook (default: fr). "
    "Env: FILIERE_LANG. JSON output does not change with it.",
)
@click.version_option(package_name="filiere", cls=LocalizedOption, help=VERSION_OPTION_HELP)
@click.pass_context
def cli(ctx: click.Context, store: str | None, lang: str | None) -> None:
    """filiere: the supply-chain knowledge graph of the CCI relocation accelerator.

    Load products, components, materials and suppliers, then find single-country
    dependencies and local sourcing routes.
    """
    set_language(lang)  # None: FILIERE_LANG, else French
    try:
        settings = Settings()
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in e.errors()
        )
        raise ConfigError(_("invalid setting: {problems}").format(problems=problems)) from None
    if store:
        settings = settings.model_copy(update={"store": store})
    ctx.obj = AppContext(settings)
    ctx.call_on_close(ctx.obj.close)


def _register() -> None:
    from filiere.cli import (
        analysis_cmds,
        api_cmds,
        import_cmds,
        ingest_cmds,
        neo4j_cmds,
        opps_cmds,
        report_cmds,
        store_cmds,
        viz_cmds,
    )

    for module in (
        store_cmds,
        neo4j_cmds,
        ingest_cmds,
        import_cmds,
        analysis_cmds,
        opps_cmds,
        api_cmds,
        viz_cmds,
        report_cmds,
    ):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="filiere")
