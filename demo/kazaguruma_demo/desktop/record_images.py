"""Record the reference images of ``selectors/demo_desktop.yaml`` from the real app under Xvfb.

``python -m kazaguruma_demo.desktop.record_images [--out selectors/demo_desktop]``: runs the app in this
process on a private 1280x800 virtual display, grabs each button from the screen and prints the
window-relative points and regions the selector map uses. The map's ``recorded:`` block must name
the same screen (``RECORDED_SCREEN``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import tkinter as tk
from pathlib import Path

from PIL import ImageGrab

from bots.platform.xvfb import virtual_display
from kazaguruma_demo.desktop import ui
from kazaguruma_demo.desktop.app import DesktopDemo
from kazaguruma_demo.desktop.dialogs import show_receipt

RECORDED_SCREEN = "1280x800x24"
#: Buttons are cropped inside their border: focus rings and pressed states stay out of the template.
INSET = 4
#: (file, screen method, button text) of every template the map uses.
BUTTONS: tuple[tuple[str, str, str], ...] = (
    ("login_button.png", "show_login", "ログイン"),
    ("menu_entry.png", "show_menu", "1  申請受付"),
    ("menu_inquiry.png", "show_menu", "2  照会"),
    ("entry_register.png", "show_entry", ui.register_button_text("normal")),
)


def _button(root: tk.Misc, text: str) -> tk.Button:
    stack = list(root.winfo_children())
    while stack:
        widget = stack.pop()
        if isinstance(widget, tk.Button) and widget.cget("text") == text:
            return widget
        stack.extend(widget.winfo_children())
    raise LookupError(text)


def _relative(widget: tk.Misc) -> tuple[int, int, int, int]:
    top = widget.winfo_toplevel()
    return (widget.winfo_rootx() - top.winfo_rootx(), widget.winfo_rooty() - top.winfo_rooty(),
            widget.winfo_width(), widget.winfo_height())


def record(out: Path) -> list[str]:
    """Write the templates into ``out``; return the YAML lines of points and regions."""
    out.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, virtual_display(RECORDED_SCREEN):
        app = DesktopDemo(Path(tmp) / "record.sqlite3")
        app.user = ui.USER_ID
        for name, screen, text in BUTTONS:
            getattr(app, screen)()
            app.root.update()
            button = _button(app.root, text)
            x, y = button.winfo_rootx(), button.winfo_rooty()
            box = (x + INSET, y + INSET, x + button.winfo_width() - INSET, y + button.winfo_height() - INSET)
            ImageGrab.grab(bbox=box).save(out / name)
            lines.append(f"# {name}: {text!r} at {box}")
        for screen in ("show_login", "show_entry", "show_inquiry"):
            getattr(app, screen)()
            app.root.update()
            for field, entry in app.entries.items():
                x, y, width, height = _relative(entry)
                lines.append(f"{screen} {field}: {{point: [{x + 40}, {y + height // 2}]}}")
        for name in ("count", "found"):  # the inquiry screen is the last one shown above
            lines.append(f"照会 {name}: {list(_relative(app.frame.nametowidget(name)))}")
        dialog = show_receipt(app.root, "R2026-000000", lambda: None)
        app.root.update()
        lines.append(f"登録完了 受付番号: {{region: {list(_relative(dialog.nametowidget('body.receipt')))}}}")
        dialog.close()
        app.root.destroy()
        app.store.close()
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path("selectors/demo_desktop"))
    args = parser.parse_args(argv)
    sys.stdout.write("\n".join(record(args.out)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
