"""The command line's help in the language in force, and click's own words too.

The help texts stay English in the code (docstrings, ``help=``): they are the message ids,
extracted by ``scripts/i18n`` (:func:`filiere.i18n_tools.extract_click_help`). The classes
here keep that English and translate it each time click reads it, so the help is rendered
in the language in force then (``--lang``, ``FILIERE_LANG``, French by default).

Click prints its own words ("Usage:", "Missing argument", ...) through Python's
:func:`gettext.gettext`, i.e. the process's text domain and the ``LANGUAGE`` variable:
:func:`click_language` points both at filiere's ``click`` catalog
(``filiere/locale/<lang>/LC_MESSAGES/click.po``) while a command line runs.
"""

from __future__ import annotations

import gettext
import inspect
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from filiere.i18n import LOCALE_DIR, N_, _

#: The gettext domain of click's own messages: ``filiere/locale/fr/LC_MESSAGES/click.mo``.
CLICK_DOMAIN = "click"
HELP_OPTION_HELP = N_("Show this message and exit.")
VERSION_OPTION_HELP = N_("Show the version and exit.")

F = TypeVar("F", bound=Callable[..., Any])


def translate(text: str | None) -> str | None:
    """``text`` (an English help text, indented as a docstring or not) in the language in force."""
    return _(inspect.cleandoc(text)) if text else text


class Translated:
    """An attribute stored in English and read in the language in force (``help``, ...)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_english_{name}"

    def __get__(self, obj: object, owner: type | None = None) -> str | None:
        text: str | None = getattr(obj, self.slot, None)
        return translate(text)

    def __set__(self, obj: object, value: str | None) -> None:
        setattr(obj, self.slot, value)


class TranslatedShowDefault:
    """``show_default``: a flag, or a text (what the default is) read in the language in force."""

    def __get__(self, obj: object, owner: type | None = None) -> bool | str | None:
        value: bool | str | None = getattr(obj, "_english_show_default", None)
        return translate(value) if isinstance(value, str) else value

    def __set__(self, obj: object, value: bool | str | None) -> None:
        obj._english_show_default = value  # type: ignore[attr-defined]


def english(obj: object, name: str = "help") -> str | None:
    """The English text (the message id) behind a :class:`Translated` attribute."""
    text: str | None = getattr(obj, f"_english_{name}", None)
    return inspect.cleandoc(text) if text else text


class LocalizedOption(click.Option):
    """An option whose help (and default, when a text tells it) is read in the language in force."""

    help = Translated()
    show_default = TranslatedShowDefault()


class LocalizedArgument(click.Argument):
    """An argument whose help is read in the language in force."""

    help = Translated()


def _show_help(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """The ``--help`` callback (click's own, with a translated option help)."""
    if value and not ctx.resilient_parsing:
        click.echo(ctx.get_help(), color=ctx.color)
        ctx.exit()


class LocalizedCommand(click.Command):
    """A command whose help, short help and epilog are read in the language in force."""

    help = Translated()
    short_help = Translated()
    epilog = Translated()

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        """Click's ``--help`` option, whose help click would translate once and keep."""
        names = self.get_help_option_names(ctx)
        if not names or not self.add_help_option:
            return None
        if self._help_option is None:  # kept: parameters are processed by identity
            self._help_option = LocalizedOption(
                [*names, "_filiere_help"],
                is_flag=True,
                expose_value=False,
                is_eager=True,
                help=HELP_OPTION_HELP,
                callback=_show_help,
            )
        return self._help_option


class LocalizedGroup(LocalizedCommand, click.Group):
    """A group of localized commands: ``@group.command()`` makes a :class:`LocalizedCommand`."""

    command_class = LocalizedCommand
    group_class = type  # a sub-group is of the same class as its parent


def command(
    name: str | None = None, **attrs: Any
) -> Callable[[Callable[..., Any]], LocalizedCommand]:
    """``click.command`` making a :class:`LocalizedCommand`."""
    return click.command(name, cls=LocalizedCommand, **attrs)


def group(name: str | None = None, **attrs: Any) -> Callable[[Callable[..., Any]], LocalizedGroup]:
    """``click.group`` making a :class:`LocalizedGroup`."""
    return click.group(name, cls=LocalizedGroup, **attrs)


def option(*decls: str, **attrs: Any) -> Callable[[F], F]:
    """``click.option`` making a :class:`LocalizedOption`."""
    return click.option(*decls, cls=LocalizedOption, **attrs)


def argument(*decls: str, **attrs: Any) -> Callable[[F], F]:
    """``click.argument`` making a :class:`LocalizedArgument`."""
    return click.argument(*decls, cls=LocalizedArgument, **attrs)


@contextmanager
def click_language(lang: str) -> Iterator[None]:
    """Click's own words in ``lang`` for the block (then the process's gettext as it was)."""
    gettext.bindtextdomain(CLICK_DOMAIN, str(LOCALE_DIR))
    domain = gettext.textdomain()
    saved = os.environ.get("LANGUAGE")
    gettext.textdomain(CLICK_DOMAIN)
    os.environ["LANGUAGE"] = lang
    try:
        yield
    finally:
        gettext.textdomain(domain)
        if saved is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = saved
