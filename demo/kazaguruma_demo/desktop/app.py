"""The desktop demo's main window: login, menu, 申請受付 (entry) and 照会 (inquiry) screens.

One root window whose content and title change per screen, as in many VB-era clients. Keys:
Tab moves through the fields, F9 registers, F5 clears the entry screen, F12 goes back, Ctrl+A
selects a field's text.
Validation is the web demo's (same rules, same messages), so both systems refuse the same rows.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from datetime import date
from pathlib import Path

from kazaguruma_demo.desktop import ui
from kazaguruma_demo.desktop.dialogs import show_message, show_receipt
from kazaguruma_demo.desktop.store import ApplicationStore
from kazaguruma_demo.web.forms import read_entry


def _on_key(command: Callable[[], None]) -> Callable[[tk.Event[tk.Misc]], None]:
    return lambda _event: command()


class DesktopDemo:
    """The running application; ``run()`` enters the Tk main loop."""

    def __init__(self, db_path: Path, *, variant: ui.Variant = "normal",
                 password: str = ui.DEFAULT_PASSWORD) -> None:
        self.store = ApplicationStore(db_path)
        self.variant: ui.Variant = variant
        self.password = password
        self.user = ""
        self.root = tk.Tk(className="KazagurumaDemo")
        self.root.option_add("*Font", (ui.FONT_FAMILY, ui.FONT_SIZE))
        width, height = ui.WINDOW_SIZE
        self.root.geometry(f"{width}x{height}+0+0")
        # Windows-style select-all; Tk's X11 default moves to the line start instead.
        self.root.bind_class("Entry", "<Control-a>", lambda e: self._select_all(e.widget))
        self.frame = tk.Frame(self.root)
        self.entries: dict[str, tk.Entry] = {}
        self.show_login()

    @staticmethod
    def _select_all(widget: tk.Misc) -> str:
        if isinstance(widget, tk.Entry):
            widget.selection_range(0, "end")
            widget.icursor("end")
        return "break"

    def _screen(self, title: str) -> tk.Frame:
        """A fresh content frame under a new title; screen-level key bindings are cleared."""
        self.frame.destroy()
        for key in ("<F5>", "<F9>", "<F12>", "<Return>", "<Key-1>", "<Key-2>", "<Key-9>"):
            self.root.unbind(key)
        self.root.title(title)
        self.entries = {}
        self.frame = tk.Frame(self.root, padx=32, pady=24)
        self.frame.pack(fill="both", expand=True)
        return self.frame

    def _field(self, parent: tk.Frame, row: int, label: str, name: str, *, show: str = "") -> tk.Entry:
        tk.Label(parent, text=label, anchor="e", width=14).grid(row=row, column=0, sticky="e", padx=(0, 12), pady=4)
        entry = tk.Entry(parent, width=44, name=name, show=show)
        entry.grid(row=row, column=1, sticky="w", pady=4)
        self.entries[name] = entry
        return entry

    def _focus(self, widget: tk.Widget) -> None:
        if not self.root.winfo_viewable():
            self.root.wait_visibility()  # focus cannot go to an unmapped window
        self.root.focus_force()
        widget.focus_set()

    # --- ログイン ---------------------------------------------------------------------------------

    def show_login(self) -> None:
        frame = self._screen(ui.TITLE_LOGIN)
        tk.Label(frame, text=ui.APP_NAME, font=(ui.FONT_FAMILY, 20, "bold")).grid(row=0, column=0, columnspan=2,
                                                                                  pady=(0, 24))
        user = self._field(frame, 1, "利用者ID", "user")
        self._field(frame, 2, "パスワード", "password", show="*")
        tk.Button(frame, text="ログイン", width=12, command=self._login).grid(row=3, column=1, sticky="w", pady=16)
        self.root.bind("<Return>", lambda _e: self._login())
        self._focus(user)

    def _login(self) -> None:
        user, password = self.entries["user"].get(), self.entries["password"].get()
        if user != ui.USER_ID or password != self.password:
            show_message(self.root, ui.TITLE_LOGIN_ERROR, "利用者IDまたはパスワードが正しくありません。",
                         lambda: self._focus(self.entries["password"]))
            return
        self.user = user
        self.show_menu()

    # --- メニュー ---------------------------------------------------------------------------------

    def show_menu(self) -> None:
        frame = self._screen(ui.TITLE_MENU)
        tk.Label(frame, text=f"業務メニュー（利用者: {self.user}）").pack(anchor="w", pady=(0, 16))
        items = (("1", "申請受付", self.show_entry), ("2", "照会", self.show_inquiry), ("9", "終了", self.root.destroy))
        first: tk.Button | None = None
        for key, text, command in items:
            button = tk.Button(frame, text=f"{key}  {text}", width=20, anchor="w", command=command)
            button.pack(anchor="w", pady=4)
            button.bind("<Return>", _on_key(command))
            self.root.bind(f"<Key-{key}>", _on_key(command))
            first = first or button
        if first is not None:
            self._focus(first)

    # --- 申請受付 ---------------------------------------------------------------------------------

    def show_entry(self) -> None:
        frame = self._screen(ui.TITLE_ENTRY)
        changed = self.variant == "changed"
        form = tk.Frame(frame)
        form.grid(row=1, column=0, sticky="nw")
        for row, field in enumerate(ui.ENTRY_FIELDS):
            self._field(form, row, ui.label_of(field, self.variant), field.form_id)
        buttons = tk.Frame(frame)
        # The vendor update moved 登録 from the bottom row to the top right, and renamed it.
        buttons.grid(row=0 if changed else 2, column=0, sticky="ne" if changed else "w", pady=12)
        tk.Button(buttons, text=ui.register_button_text(self.variant), width=12, command=self._register,
                  name="register").pack(side="left", padx=(0, 12))
        tk.Button(buttons, text="戻る (F12)", width=12, command=self.show_menu).pack(side="left")
        self.root.bind("<F9>", lambda _e: self._register())
        self.root.bind("<F5>", lambda _e: self._clear_entry())
        self.root.bind("<F12>", lambda _e: self.show_menu())
        self._focus(self.entries["shimei"])

    def _register(self) -> None:
        form = {name: entry.get() for name, entry in self.entries.items()}
        result = read_entry({**form, "agree": "1"}, date.today())
        if result.errors:
            form_id, message = next(iter(result.errors.items()))
            field = next(f for f in ui.ENTRY_FIELDS if f.form_id == form_id)
            message = message.replace(field.column, ui.label_of(field, self.variant), 1)  # name it as shown
            show_message(self.root, ui.TITLE_INPUT_ERROR, message, lambda: self._focus(self.entries[form_id]))
            return
        receipt_no = self.store.insert({**result.values, "同意": 1}, created_by=self.user)
        show_receipt(self.root, receipt_no, self._clear_entry)

    def _clear_entry(self) -> None:
        for entry in self.entries.values():
            entry.delete(0, "end")
        self._focus(self.entries["shimei"])

    # --- 照会 -------------------------------------------------------------------------------------

    def show_inquiry(self) -> None:
        frame = self._screen(ui.TITLE_INQUIRY)
        name = self._field(frame, 0, "氏名", "q_shimei")
        self._field(frame, 1, "生年月日", "q_birth")
        self.count = tk.StringVar(frame, "")
        tk.Label(frame, textvariable=self.count, name="count").grid(row=2, column=1, sticky="w", pady=8)
        self.found = tk.StringVar(frame, "")
        self.found_entry = tk.Entry(frame, textvariable=self.found, state="readonly", width=44, name="found")
        self.found_entry.grid(row=3, column=1, sticky="w")
        tk.Button(frame, text="検索 (Enter)", width=12, command=self._search).grid(row=4, column=1, sticky="w", pady=12)
        self.root.bind("<Return>", lambda _e: self._search())
        self.root.bind("<F12>", lambda _e: self.show_menu())
        self._focus(name)

    def _search(self) -> None:
        rows = self.store.search(self.entries["q_shimei"].get().strip(), self.entries["q_birth"].get().strip())
        self.count.set(f"{len(rows)}件")
        self.found.set(" ".join(str(row["receipt_no"]) for row in rows))
        self.found_entry.focus_set()  # the result is selected, ready to copy
        self.found_entry.selection_range(0, "end")

    def run(self) -> None:
        try:
            self.root.mainloop()
        finally:
            self.store.close()
