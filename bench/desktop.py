"""Desktop keying throughput: the desktop sample flow through the engine vs a hand-written
pyautogui script doing the same, in this one process run, on one private Xvfb.

Both key the same N records into the Tk demo core system (each into its own fresh store): click
the first field, type each value (ASCII as key events, anything else by clipboard paste), Tab,
find the 登録 button by its picture (the selector map's template, OpenCV) and click it, wait for
the 登録完了 dialog, copy the 受付番号, close the dialog. The flow runs with everything production
has on: journal, run store, audit ledger, run log, results workbook, focus checks, abort hotkey.
Only the record loop is timed. Prints a table and, as its last line, JSON:
{"records", "flow_rpm", "raw_rpm", "ratio"}.

    python bench/desktop.py --records 30
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import jaconv
import numpy as np
from loguru import logger

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kazaguruma_demo.desktop import ui  # noqa: E402
from kazaguruma_demo.desktop.store import read_all  # noqa: E402
from kazaguruma_demo.desktop.xdriver import paste  # noqa: E402
from kazaguruma_demo.sample_data import DEMO_COLUMNS, make_applications, write_applications_xlsx  # noqa: E402
from keying import LoopTimer  # noqa: E402  (bench/ is the script's folder)

from bots.adapters.excel_reader import read_records  # noqa: E402
from bots.api import LocalExecutor, RunRequest  # noqa: E402
from bots.listeners.jsonlog import RunLogListener  # noqa: E402
from bots.listeners.results_workbook import ResultsWorkbookListener  # noqa: E402
from bots.listeners.trail import AuditTrail  # noqa: E402
from bots.platform.xvfb import virtual_display  # noqa: E402
from bots.project import Project  # noqa: E402
from bots.results.listener import RunInfo, RunListener  # noqa: E402

FLOW = ROOT / "flows" / "desktop_nyuryoku.yaml"
REGISTER = ROOT / "selectors" / "demo_desktop" / "entry_register.png"
# Points of selectors/demo_desktop.yaml (the window sits at +0+0): 申請入力.氏名, ログイン.利用者ID/パスワード.
FIRST_FIELD = (242, 45)
LOGIN_FIELDS = ((242, 114), (242, 157))
RECEIPT = re.compile(r"R\d{4}-\d{6}")


def app_command(db: Path) -> list[str]:
    return [sys.executable, "-m", "kazaguruma_demo.desktop", "--db", str(db)]


def run_flow(xlsx: Path, db: Path) -> tuple[float, int]:
    os.environ["KZ_DESKTOP_APP"] = " ".join(app_command(db))
    timer = LoopTimer()

    def listeners(info: RunInfo) -> list[RunListener]:
        return [*trail.listeners(info), RunLogListener(info, info.folder.name), ResultsWorkbookListener(info), timer]

    request = RunRequest(flow=str(FLOW), primary_input=str(xlsx), cwd=str(ROOT), if_interrupted="fresh")
    with AuditTrail(Path(os.environ["KZ_LOGS"])) as trail:
        result = LocalExecutor(Project(ROOT), journal=trail.store).run(request, listeners=listeners)
    failed = [f"{r.key}: {r.status.value} {r.error}" for r in result.records if r.status.name != "PASS"]
    if timer.first is None or timer.last is None or failed:
        log = next(Path(os.environ["KZ_LOGS"]).rglob(f"*{result.run_id}*/run.jsonl"), None)
        notices = [str(json.loads(line).get("msg")) for line in (log.read_text(encoding="utf-8").splitlines() if log else [])
                   if '"verify_after_error"' in line or '"recover_failed"' in line]
        raise SystemExit(f"flow {result.status.value} {result.error or ''}: " + "; ".join(failed[:3] + notices[:3]))
    return timer.last - timer.first, timer.passed


class Focus:
    """The focused window's title through python-xlib, in-process (as a careful script would)."""

    def __init__(self) -> None:
        from Xlib import display

        self.display = display.Display()
        self.net_wm_name = self.display.intern_atom("_NET_WM_NAME")
        self.utf8 = self.display.intern_atom("UTF8_STRING")

    def title(self) -> str:
        from Xlib.error import BadWindow

        window = self.display.get_input_focus().focus
        try:
            while window and not isinstance(window, int):
                prop = window.get_full_property(self.net_wm_name, self.utf8)
                if prop is not None:
                    return bytes(prop.value).decode()
                window = window.query_tree().parent
        except BadWindow:  # destroyed while we looked (a screen or dialog closing)
            pass
        return ""

    def wait(self, title: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.title().endswith(title):
            if time.monotonic() > deadline:
                raise SystemExit(f"focus never reached {title!r}: {self.title()!r}")
            time.sleep(0.005)


def _type(gui: Any, text: str) -> None:
    """ASCII as key events; anything else through the clipboard. A plain ``xclip -i`` + Ctrl+V
    loses values (the next field's xclip takes the selection before the app fetched it), so the
    careful way: xclip serves one request, Ctrl+V, wait until it was served."""
    if text.isascii():
        gui.write(text)
    else:
        paste(text, lambda: gui.hotkey("ctrl", "v"))


def _copied_receipt(timeout: float = 5.0) -> str:
    """The 受付番号 once Ctrl+C has put it on the clipboard (until then it holds the last paste)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        copied = subprocess.run(["xclip", "-selection", "clipboard", "-o"], capture_output=True, text=True,
                                check=False).stdout
        if RECEIPT.fullmatch(copied):
            return copied
        time.sleep(0.002)
    return ""


def _click_register(gui: Any, template: np.ndarray) -> None:
    from PIL import ImageGrab

    screen = cv2.cvtColor(np.asarray(ImageGrab.grab()), cv2.COLOR_RGB2GRAY)
    scores = cv2.matchTemplate(screen, template, cv2.TM_CCOEFF_NORMED)
    _, best, _, (x, y) = cv2.minMaxLoc(scores)
    if best < 0.9:
        raise SystemExit(f"登録 button not found (best {best:.2f})")
    gui.click(x + template.shape[1] // 2, y + template.shape[0] // 2)


def run_raw(records: list[dict[str, Any]], db: Path) -> tuple[float, int]:
    """What a careful person would write by hand with pyautogui: same keys, same waits."""
    import pyautogui as gui  # connects to DISPLAY at import

    gui.PAUSE = 0
    template = cv2.imread(str(REGISTER), cv2.IMREAD_GRAYSCALE)
    focus = Focus()
    app = subprocess.Popen(app_command(db), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        focus.wait(ui.TITLE_LOGIN)
        for point, value in zip(LOGIN_FIELDS, (ui.USER_ID, ui.DEFAULT_PASSWORD), strict=True):  # not timed
            gui.click(*point)
            paste(value, lambda: gui.hotkey("ctrl", "v"))
        gui.press("enter")
        focus.wait(ui.TITLE_MENU)
        gui.press("1")
        focus.wait(ui.TITLE_ENTRY)
        done = 0
        t0 = time.perf_counter()
        for r in records:
            gui.click(*FIRST_FIELD)
            values = [r["氏名"], r["フリガナ"], r["生年月日"].isoformat(), r["性別"],
                      f"{r['郵便番号'][:3]}-{r['郵便番号'][3:]}", r["住所"], r["電話番号"],
                      jaconv.z2h(r["個人番号"] or "", digit=True, ascii=True), r["申請種別"], r["備考"] or ""]
            for i, value in enumerate(values):
                if value:
                    _type(gui, value)
                if i < len(values) - 1:
                    gui.press("tab")
            _click_register(gui, template)
            focus.wait(ui.TITLE_DONE)
            gui.hotkey("ctrl", "a")
            gui.hotkey("ctrl", "c")
            done += bool(_copied_receipt())
            gui.press("enter")
            focus.wait(ui.TITLE_ENTRY)
        return time.perf_counter() - t0, done
    finally:
        app.terminate()
        app.wait(timeout=10)


def check(db: Path, records: list[dict[str, Any]], who: str, ok: int) -> None:
    """Both must have keyed every record, names and addresses character for character."""
    stored = [(r["氏名"], r["住所"]) for r in read_all(db)]
    if ok != len(records) or stored != [(r["氏名"], r["住所"]) for r in records]:
        raise SystemExit(f"{who}: keyed {ok}/{len(records)}, store differs from the list")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=30)
    args = parser.parse_args()
    logger.remove()
    with tempfile.TemporaryDirectory() as tmp, virtual_display():
        os.environ["KZ_LOGS"] = str(Path(tmp) / "logs")
        os.environ.setdefault("KZ_DEMO_PASSWORD", ui.DEFAULT_PASSWORD)
        rows = [row for row, _ in make_applications(args.records, seed=7, bad=0)]
        xlsx = Path(tmp) / "bench.xlsx"
        write_applications_xlsx(xlsx, rows)
        with read_records(xlsx, sheet="申請一覧", header_row=1, columns=DEMO_COLUMNS) as reader:
            records = [r.values for r in reader]
        results: dict[str, list[float]] = {"flow": [], "raw": []}
        for run in range(2):  # alternate to spread drift between the two
            db = Path(tmp) / f"raw{run}.sqlite3"
            elapsed, ok = run_raw(records, db)
            check(db, records, "raw", ok)
            results["raw"].append(60 * len(records) / elapsed)
            db = Path(tmp) / f"flow{run}.sqlite3"
            elapsed, ok = run_flow(xlsx, db)
            check(db, records, "flow", ok)
            results["flow"].append(60 * len(records) / elapsed)
    flow_rpm, raw_rpm = max(results["flow"]), max(results["raw"])
    print(f"{'':26}{'flow':>12}{'raw pyautogui':>16}")
    print(f"{'records/min (best of 2)':26}{flow_rpm:12.1f}{raw_rpm:16.1f}")
    print(f"{'records/min (each run)':26}{', '.join(f'{v:.1f}' for v in results['flow']):>12}"
          f"{', '.join(f'{v:.1f}' for v in results['raw']):>16}")
    print(json.dumps({"records": len(records), "flow_rpm": round(flow_rpm, 1), "raw_rpm": round(raw_rpm, 1),
                      "ratio": round(flow_rpm / raw_rpm, 3)}))


if __name__ == "__main__":
    main()
