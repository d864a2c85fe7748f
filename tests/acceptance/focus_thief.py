"""A window that steals the keyboard focus on cue, and records every key it receives.

``python focus_thief.py LOG``: a Tk メモ帳, hidden until the file LOG.go appears (so its start-up
time does not decide when the theft happens), then shown at the right of the screen (clear of the
demo app's buttons) taking the focus. Each key press is appended to LOG, so a test can prove that
nothing was typed into it. LOG.ready appears once it is up (hidden); LOG.focused gets a line,
with the time, each time it has taken the focus.
"""

from __future__ import annotations

import sys
import time
import tkinter as tk
from pathlib import Path

TITLE = "メモ帳（フォーカス泥棒）"
#: A bot takes the focus back at each record's start and at its dialog: steal it several times so some theft
#: lands in the middle of a record's typing.
STEALS = 30
STEAL_EVERY_MS = 37  # not a divisor of a record's ~130 ms: the thefts fall in different phases


def main(log: Path) -> None:
    log.write_text("", encoding="utf-8")
    root = tk.Tk()
    root.title(TITLE)
    root.geometry("360x300+910+0")
    root.withdraw()
    text = tk.Text(root)
    text.pack(fill="both", expand=True)

    def record(event: tk.Event[tk.Misc]) -> None:
        with log.open("a", encoding="utf-8") as out:
            out.write(f"{event.keysym}\n")

    def steal(times: int) -> None:
        root.focus_force()
        text.focus_set()
        root.update()
        with log.with_suffix(".focused").open("a", encoding="utf-8") as out:
            out.write(f"focused {time.time():.3f}\n")
        if times > 1:
            root.after(STEAL_EVERY_MS, steal, times - 1)

    def wait_for_cue() -> None:
        if not log.with_suffix(".go").exists():
            root.after(5, wait_for_cue)
            return
        root.deiconify()
        root.wait_visibility()
        steal(STEALS)

    text.bind("<KeyPress>", record)
    root.update()
    log.with_suffix(".ready").touch()
    wait_for_cue()
    root.mainloop()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
