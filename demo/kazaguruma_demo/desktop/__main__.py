"""``python -m kazaguruma_demo.desktop --db PATH [--variant normal|changed] [--fail-start]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kazaguruma_demo.desktop import ui


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kazaguruma_demo.desktop", description=ui.APP_NAME)
    parser.add_argument("--db", type=Path, required=True, help="SQLite store (created when missing)")
    parser.add_argument("--variant", choices=["normal", "changed"], default="normal",
                        help="changed: the screen after a vendor update (renamed labels, moved 登録 button)")
    parser.add_argument("--fail-start", action="store_true", help="exit with an error before any window appears")
    parser.add_argument("--password", default=ui.DEFAULT_PASSWORD)
    args = parser.parse_args(argv)
    if args.fail_start:
        sys.stderr.write(f"{ui.APP_NAME}: サーバーに接続できません（起動失敗のデモ）\n")
        return 2
    from kazaguruma_demo.desktop.app import DesktopDemo  # tkinter only when a window is wanted

    DesktopDemo(args.db, variant=args.variant, password=args.password).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
