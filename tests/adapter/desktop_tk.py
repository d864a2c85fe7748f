"""A tiny two-window Tk application for the desktop adapter tests (run as a subprocess).

``python desktop_tk.py STATE_JSON COMMANDS_TXT``. It writes the text of its entry fields and
which window has the focus to STATE_JSON whenever they change, and obeys lines appended to
COMMANDS_TXT (``show`` / ``hide`` the 完了 label, ``steal`` the focus into the other window, ``return`` it,
``clear`` every field), so tests judge what arrived without trusting the bot's own read-back.
Clicking OK of its "Cancel OK" button row shows the 完了 label (the commit's visible effect);
clicking Cancel only records the click.
"""

from __future__ import annotations

import json
import os
import sys
import tkinter as tk
from pathlib import Path

MAIN_TITLE = "KZ入力テスト"
OTHER_TITLE = "KZ別窓テスト"
MAIN_GEOMETRY = (100, 100, 520, 320)
#: Window-relative positions of the widgets (the tests' selector map uses them).
FIELD_A = (20, 20)
FIELD_B = (20, 60)
FIELD_C = (20, 20)
LABEL_REGISTER = (300, 20)
CANVAS = (300, 120, 120, 80)
DONE_LABEL = (20, 200)
#: A dialog's button row in the other window, "Cancel OK" on one line (OCR reads it as one line
#: of two words). Not in the main window: Latin words there upset the Japanese OCR of 登録.
BUTTONS = (20, 80)
OTHER_GEOMETRY = (700, 100, 400, 160)


def _select_all(event: tk.Event) -> str:  # type: ignore[type-arg]
    event.widget.select_range(0, "end")
    event.widget.icursor("end")
    return "break"


def main(state_path: Path, commands: Path) -> None:
    root = tk.Tk()
    root.title(MAIN_TITLE)
    x, y, w, h = MAIN_GEOMETRY
    root.geometry(f"{w}x{h}+{x}+{y}")
    root.configure(bg="white")
    root.bind_class("Entry", "<Control-a>", _select_all)
    font = ("Noto Sans CJK JP", 14)
    field_a = tk.Entry(root, font=font, width=16)
    field_a.place(x=FIELD_A[0], y=FIELD_A[1])
    field_b = tk.Entry(root, font=font, width=16)
    field_b.place(x=FIELD_B[0], y=FIELD_B[1])
    clicked = {"what": ""}
    register = tk.Label(root, text="登録", font=("Noto Sans CJK JP", 22), bg="white")
    register.place(x=LABEL_REGISTER[0], y=LABEL_REGISTER[1])
    register.bind("<Button-1>", lambda _e: clicked.update(what="登録"))
    canvas = tk.Canvas(root, width=CANVAS[2], height=CANVAS[3], bg="white", highlightthickness=0)
    canvas.place(x=CANVAS[0], y=CANVAS[1])
    for i in range(0, CANVAS[2], 20):
        for j in range(0, CANVAS[3], 20):
            if (i + j) // 20 % 2 == 0:
                canvas.create_rectangle(i, j, i + 10, j + 10, fill="black", outline="")
    canvas.create_oval(30, 15, 90, 65, outline="#c00000", width=5)
    canvas.bind("<Button-1>", lambda _e: clicked.update(what="図形"))
    done = tk.Label(root, text="処理完了", font=("Noto Sans CJK JP", 22), fg="white", bg="#204080")
    other = tk.Toplevel(root)
    other.title(OTHER_TITLE)
    ox, oy, ow, oh = OTHER_GEOMETRY
    other.geometry(f"{ow}x{oh}+{ox}+{oy}")
    other.configure(bg="white")
    row = tk.Frame(other, bg="white")
    row.place(x=BUTTONS[0], y=BUTTONS[1])
    for text, effect in (("Cancel", None), ("OK", lambda: done.place(x=DONE_LABEL[0], y=DONE_LABEL[1]))):
        button = tk.Label(row, text=text, font=("DejaVu Sans", 16), bg="white", padx=2)
        button.pack(side="left", padx=4)

        def pressed(_e: tk.Event, what: str = text, then: object = effect) -> None:  # type: ignore[type-arg]
            clicked.update(what=what)
            if callable(then):
                then()

        button.bind("<Button-1>", pressed)
    field_c = tk.Entry(other, font=font, width=16)
    field_c.place(x=FIELD_C[0], y=FIELD_C[1])
    fields = {"a": field_a, "b": field_b, "c": field_c}
    last = {"state": "", "offset": 0}

    def tick() -> None:
        focus = root.focus_get()
        state = {name: entry.get() for name, entry in fields.items()}
        state["focus"] = "" if focus is None else ("other" if str(focus).startswith(str(other)) else "main")
        state["done"] = bool(done.winfo_ismapped())
        state["clicked"] = clicked["what"]
        text = json.dumps(state, ensure_ascii=False)
        if text != last["state"]:
            tmp = state_path.with_suffix(".tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, state_path)
            last["state"] = text
        if commands.exists():
            data = commands.read_text(encoding="utf-8")
            for command in data[last["offset"]:].split():
                if command == "show":
                    done.place(x=DONE_LABEL[0], y=DONE_LABEL[1])
                elif command == "hide":
                    done.place_forget()
                elif command == "steal":
                    other.focus_force()
                    field_c.focus_set()
                elif command == "return":
                    root.focus_force()
                    field_a.focus_set()
                elif command == "clear":
                    for entry in fields.values():
                        entry.delete(0, "end")
                    clicked["what"] = ""
            last["offset"] = len(data)
        root.after(30, tick)

    field_a.focus_set()
    root.after(30, tick)
    root.mainloop()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
