#!/usr/bin/env python3
"""Kazaguruma's one command line: ``python runner.py --help`` (same as ``kazaguruma``).

When the demo core systems are installed (``pip install -e demo``, as ``make`` does), this
script adds ``runner.py demo``; a municipality's install has the library only.
"""

import importlib.util

from bots.cli.entry import apply_language

apply_language()  # before the commands are declared: their help is in the language of --lang

from bots.cli.app import add_command, main  # noqa: E402
from bots.i18n import tr  # noqa: E402

if importlib.util.find_spec("kazaguruma_demo") is not None:
    # By name: the demo's web server (Flask) is imported only when ``runner.py demo`` runs.
    add_command("demo", tr("デモ基幹システムを起動します", "start the demo core system"), "kazaguruma_demo.cli:demo")

if __name__ == "__main__":
    main()
