"""``runner.py tray`` and ``kazaguruma-tray``: the staff's tray launcher (PySide6, in ``bots.tray``).

``kazaguruma-tray`` is what goes into the Windows start-up folder: it takes ``--project`` (the
installation's folder, when the shortcut does not start in it) and ``--lang``. Qt is imported only
when the tray starts, so every other command stays quick and works without a display.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import typer
from loguru import logger

from bots.i18n import set_language, tr
from bots.project import Project


def _run(project_dir: Path | None) -> int:
    if project_dir is not None:
        os.environ["KZ_HOME"] = str(project_dir.resolve())  # the workers find the project the same way
    from bots.tray.app import run_tray  # lazy: Qt only for the tray, every other command starts without it

    return run_tray(Project.discover())


def tray(project: Path = typer.Option(None, "--project", help=tr(
        "Kazaguruma のフォルダ（既定: KZ_HOME か、今いるフォルダから上へ探します）",
        "the installation's folder (default: KZ_HOME, else found from the current folder upwards)"))) -> None:
    """Start the tray launcher (one per user)."""
    code = _run(project)
    if code:
        raise typer.Exit(code)


def main(argv: list[str] | None = None) -> int:
    """``kazaguruma-tray [--project DIR] [--lang ja|en]``."""
    parser = argparse.ArgumentParser(prog="kazaguruma-tray",
                                     description=tr("Kazaguruma のトレイ（ボットの起動・停止・結果）",
                                                    "Kazaguruma's tray launcher (start, stop and review bots)"))
    parser.add_argument("--project", type=Path, default=None)
    parser.add_argument("--lang", default=None, help="ja / en")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    if args.lang:
        set_language(args.lang)
    logger.remove()
    if sys.stderr is not None:  # none under pythonw (a start-up shortcut without a console)
        logger.add(sys.stderr, level="ERROR", format="{message}", diagnose=False)
    return _run(args.project)


if __name__ == "__main__":
    sys.exit(main())
