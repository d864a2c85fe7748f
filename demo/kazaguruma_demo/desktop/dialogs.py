"""Modal dialogs of the desktop demo: errors, and the completion dialog with the 受付番号.

Each dialog grabs input (staff cannot reach the screen behind it) and has its own window title,
so a bot sees which dialog is up. The 受付番号 sits in a read-only Entry: selectable and copyable
(Ctrl+A, Ctrl+C), and drawn large enough for OCR.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable

from kazaguruma_demo.desktop.ui import TITLE_DONE

MESSAGE_SIZE = (560, 170)
#: x, y, width, height of the message inside a message dialog (the selector map's error region).
MESSAGE_REGION = (24, 18, 512, 64)


class Modal(tk.Toplevel):
    """A modal dialog centred on its master; ``on_close`` runs after it is gone."""

    def __init__(self, master: tk.Tk, title: str, on_close: Callable[[], None]) -> None:
        super().__init__(master)
        self.title(title)
        self.transient(master)
        self.resizable(False, False)
        self._on_close = on_close
        self.body = tk.Frame(self, padx=24, pady=18, name="body")
        self.body.pack(fill="both", expand=True)
        self.protocol("WM_DELETE_WINDOW", self.close)
        self.bind("<Escape>", lambda _e: self.close())

    def show(self, focus: tk.Widget, size: tuple[int, int] | None = None) -> None:
        """Place over the master (no window manager under Xvfb does it), grab input, focus."""
        self.update_idletasks()
        master = self.master
        width, height = size or (self.winfo_reqwidth(), self.winfo_reqheight())
        x = master.winfo_rootx() + (master.winfo_width() - width) // 2
        y = master.winfo_rooty() + (master.winfo_height() - height) // 3
        self.geometry(f"{width}x{height}+{max(x, 0)}+{max(y, 0)}" if size else f"+{max(x, 0)}+{max(y, 0)}")
        self.deiconify()
        self.wait_visibility()
        self.grab_set()
        self.focus_force()
        focus.focus_set()

    def close(self) -> None:
        self.grab_release()
        self.destroy()
        self._on_close()

    def ok_button(self) -> tk.Button:
        button = tk.Button(self.body, text="OK", width=10, command=self.close)
        button.pack(pady=(16, 0))
        button.bind("<Return>", lambda _e: self.close())
        return button


def show_message(master: tk.Tk, title: str, message: str, on_close: Callable[[], None]) -> Modal:
    """An error or notice with one OK button (Enter or Escape closes it).

    A fixed size keeps the message inside ``MESSAGE_REGION`` of the dialog, where bots OCR it.
    """
    dialog = Modal(master, title, on_close)
    tk.Label(dialog.body, text=message, justify="left", anchor="nw", wraplength=MESSAGE_REGION[2],
             height=2).pack(anchor="w", fill="x")
    dialog.show(dialog.ok_button(), MESSAGE_SIZE)
    return dialog


def show_receipt(master: tk.Tk, receipt_no: str, on_close: Callable[[], None]) -> Modal:
    """登録完了: the 受付番号 selected in a read-only Entry; Enter closes the dialog."""
    dialog = Modal(master, TITLE_DONE, on_close)
    tk.Label(dialog.body, text="登録しました。受付番号:").pack(anchor="w")
    value = tk.StringVar(dialog, receipt_no)
    entry = tk.Entry(dialog.body, textvariable=value, state="readonly", width=16, name="receipt",
                     font=("Noto Sans Mono CJK JP", 20), justify="center", relief="sunken", bd=2)
    entry.pack(pady=(8, 0), ipady=6)
    entry.bind("<Return>", lambda _e: dialog.close())
    dialog.ok_button()
    dialog.show(entry)
    entry.selection_range(0, "end")
    return dialog
