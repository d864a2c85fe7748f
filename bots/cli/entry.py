"""The process entry point of ``runner.py`` / ``kazaguruma``: the language first, then the commands.

Command help is written with :func:`bots.i18n.tr` where each command is declared, so it is fixed
in the language of the moment the declaring module is imported. ``--lang`` is an option of the
command line, which click reads only after the command group (and, for ``runner.py --lang en
flows approve --help``, the sub-command's module) has been imported: help would come out in
Japanese. So the global ``--lang`` is read from the arguments here, before anything is imported.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from bots.i18n import set_language


def language_from_argv(argv: Sequence[str]) -> str | None:
    """The value of the global ``--lang`` (written before the command name), or None."""
    for index, arg in enumerate(argv):
        if arg.startswith("--lang="):
            return arg.partition("=")[2] or None
        if arg == "--lang":
            return argv[index + 1] if index + 1 < len(argv) else None
        if not arg.startswith("-"):
            return None  # the command name: later options are the command's own
    return None


def apply_language(argv: Sequence[str] | None = None) -> None:
    """Fix the process language from ``--lang`` (if given) before any command module is imported."""
    lang = language_from_argv(sys.argv[1:] if argv is None else argv)
    if lang:
        set_language(lang)


def main() -> None:
    """``kazaguruma``: the language from the arguments, then the command line."""
    apply_language()
    from bots.cli.app import main as run_commands  # after the language: the help text is declared there

    run_commands()
