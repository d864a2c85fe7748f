"""A typer group whose commands are imported only when one of them runs.

``runner.py --help`` needs each command's name and one-line help, nothing more; importing the
command modules to get them would pull in the browser, the run store, OCR and Excel stacks
(seconds on a municipal PC) before anything is printed. So the group is given, per command,
where it lives (``"bots.cli.run_cmd:run"``) and its help line: the listing is built from those,
and the module is imported when the command is resolved to run (its own ``--help`` included).
What typer would have built from the real function or sub-app is built then, so the command,
its options and its help are the ones the module declares.

A command may also name an *overlap*: work for this thread (``runner.py run`` starts the browser)
done while another thread imports the command's module, instead of one after the other.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from typer._click import Command, Context  # typer ≥ 0.29 carries its own click
from typer._click.exceptions import UsageError
from typer.core import TyperCommand, TyperGroup
from typer.main import get_command_from_info, get_group_from_info
from typer.models import CommandInfo, TyperInfo


def load(target: str) -> Any:
    """The attribute named by ``"module:attribute"`` (imports the module)."""
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


@dataclass(frozen=True)
class Overlap:
    """Work to do in this thread while the command's module is imported in another one."""

    #: Runs in this thread, now; what it starts must be used from this thread (Playwright's sync API).
    start: Callable[[], object]
    #: Runs when the command has finished, whatever the outcome: undo what the command did not take.
    cleanup: Callable[[], None]
    #: The other thread's further share, after it imported the command's module: more imports,
    #: one-off builds the command will need (nothing bound to a thread).
    meanwhile: Callable[[], object] | None = None


@dataclass(frozen=True)
class Lazy:
    """Where a command lives (``"module:attribute"``) and its help line; ``group`` when the
    attribute is a ``typer.Typer`` of sub-commands rather than one function. ``overlap`` names a
    function of the command's arguments returning an :class:`Overlap`, or None when there is
    nothing worth overlapping; it must import what it needs itself, before returning."""

    target: str
    help: str
    group: bool = False
    overlap: str | None = None

    def load(self) -> Any:
        """The function or ``typer.Typer`` named by ``target`` (imports its module)."""
        return load(self.target)


def _prepare_quietly(module: str, meanwhile: Callable[[], object] | None) -> None:
    """Import ``module``, then run ``meanwhile``, in a helper thread; a failure is raised again by
    the command's own thread, where it is reported (its import, or the work done again)."""
    try:
        importlib.import_module(module)
        if meanwhile is not None:
            meanwhile()
    except Exception:
        pass


class LazyGroup(TyperGroup):
    """A ``TyperGroup`` that lists ``lazy`` commands from their declared help and imports each
    one only when it is resolved. Subclass it with ``lazy`` filled and pass it as ``cls=``.

    The listing order is typer's: single commands (the lazy ones, then those added eagerly),
    then groups of sub-commands.
    """

    lazy: ClassVar[Mapping[str, Lazy]] = {}
    #: Passed to typer for the real commands, as ``typer.Typer`` would (its default).
    pretty_exceptions_short: ClassVar[bool] = True

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._stand_ins: dict[str, Command] = {}

    def list_commands(self, ctx: Context) -> list[str]:
        """Every command name, lazy or not, without importing any command module."""
        eager = [name for name in self.commands if name not in self.lazy]
        singles = [name for name, spec in self.lazy.items() if not spec.group]
        groups = [name for name, spec in self.lazy.items() if spec.group]
        return [*singles, *eager, *groups]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        """The command if it is loaded, else a stand-in carrying its name and help (for listings)."""
        if cmd_name in self.commands or cmd_name not in self.lazy:
            return self.commands.get(cmd_name)
        if cmd_name not in self._stand_ins:
            spec = self.lazy[cmd_name]
            kind = TyperGroup if spec.group else TyperCommand
            self._stand_ins[cmd_name] = kind(name=cmd_name, help=spec.help, rich_markup_mode=self.rich_markup_mode)
        return self._stand_ins[cmd_name]

    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
        """Import the command about to run, then resolve as typer does; a mistyped name is
        matched against every command, the lazy ones included."""
        if args and args[0] in self.lazy and args[0] not in self.commands:
            self._overlap(ctx, args[0], args[1:])
            self.commands[args[0]] = self._load(args[0])
        try:
            return self._click_resolve_command(ctx, args)
        except UsageError as exc:
            from difflib import get_close_matches  # lazy: only on a mistyped command

            matches = get_close_matches(args[0], self.list_commands(ctx)) if self.suggest_commands and args else []
            if matches:
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {', '.join(repr(m) for m in matches)}?"
            raise

    def _overlap(self, ctx: Context, name: str, args: list[str]) -> None:
        """Run the command's overlap (if it has one and wants to) while a helper thread imports the
        command's module. The overlap's own imports are done before the helper starts, so the two
        threads never import the same modules at once."""
        spec = self.lazy[name]
        overlap: Overlap | None = load(spec.overlap)(args) if spec.overlap else None
        if overlap is None:
            return
        ctx.call_on_close(overlap.cleanup)
        module = spec.target.partition(":")[0]
        importer = threading.Thread(target=_prepare_quietly, args=(module, overlap.meanwhile), name=f"import {module}",
                                    daemon=True)
        importer.start()
        try:
            overlap.start()
        finally:
            importer.join()

    def _load(self, name: str) -> Command:
        spec = self.lazy[name]
        target = spec.load()
        if spec.group:
            return get_group_from_info(TyperInfo(target, name=name, help=spec.help),
                                       pretty_exceptions_short=self.pretty_exceptions_short,
                                       suggest_commands=self.suggest_commands,
                                       rich_markup_mode=self.rich_markup_mode)
        return get_command_from_info(CommandInfo(name=name, help=spec.help, callback=target),
                                     pretty_exceptions_short=self.pretty_exceptions_short,
                                     rich_markup_mode=self.rich_markup_mode)
