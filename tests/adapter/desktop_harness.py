"""Shared by the desktop adapter tests: the two-window Tk app, its selector map, flows to run.

The app is started once per test session on the session's Xvfb; tests clear it and put the
focus back where they need it. Its state file says what arrived in its fields.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import desktop_tk as app
import pytest
from flow_harness import Outcome, run_text

from bots.platform.desktop import current_platform, find_windows
from bots.platform.wait import wait_until
from bots.project import Project

HERE = Path(__file__).resolve().parent

SELECTORS = """\
system: tkapp
kind: desktop
recorded: {{width: 1280, height: 800, scale: 1.0}}
error_indicators:
  - {{name: 別窓エラー, kind: validation, window: "^KZエラー$", candidates: [{{region: [0, 0, 10, 10]}}]}}
screens:
  入力:
    window: "^KZ入力テスト$"
    elements:
      欄A: {{point: [{ax}, {ay}]}}
      欄B: {{point: [{bx}, {by}]}}
      登録: {{text: 登録}}
      図形: [{{image: tkapp/missing_first.png}}, {{image: tkapp/shape.png, confidence: 0.9}}]
      完了: {{text: 処理完了}}
      完了図: {{image: tkapp/done.png}}
  別窓:
    window: "^KZ別窓テスト$"
    elements:
      欄C: {{point: [{cx}, {cy}]}}
  ボタン:
    window: "^KZ別窓テスト$"
    allow_fallback_commit: [OK許可]
    elements:
      OK: {{text: OK}}
      Cancel: {{text: Cancel}}
      OK別テーマ: [{{image: tkapp/missing_first.png}}, {{text: OK}}]
      OK許可: [{{image: tkapp/missing_first.png}}, {{text: OK}}]
"""

HEADER = """\
id: {id}
title: デスクトップ操作の確認
version: 1.0.0
owner: 情報政策係
systems:
  tkapp: {{kind: desktop}}
"""


@dataclass
class TkApp:
    process: subprocess.Popen[bytes]
    state_path: Path
    commands: Path
    folder: Path

    def state(self) -> dict[str, Any]:
        try:
            value: dict[str, Any] = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return value

    def command(self, *names: str) -> None:
        with self.commands.open("a", encoding="utf-8") as out:
            out.write("".join(f"{n}\n" for n in names))

    def wait(self, check: Callable[[dict[str, Any]], bool], timeout: float = 10.0) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            state = self.state()
            return state if state and check(state) else None

        return wait_until(probe, timeout, what="tk app state")

    def reset(self) -> None:
        """Empty fields, 完了 hidden, the main window focused (through the platform layer)."""

        self.command("clear", "hide")
        self.wait(lambda s: not (s["a"] or s["b"] or s["c"] or s["done"] or s["clicked"]))
        platform = current_platform()
        (main,) = find_windows(platform, f"^{app.MAIN_TITLE}$")
        platform.focus(main.id)
        self.wait(lambda s: s["focus"] == "main")


@pytest.fixture(scope="module")  # one app per module: a session fixture imported into several modules would run several at once
def tk_app(xvfb_display: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TkApp]:
    folder = tmp_path_factory.mktemp("tkapp")
    state, commands = folder / "state.json", folder / "commands.txt"
    process = subprocess.Popen([sys.executable, str(HERE / "desktop_tk.py"), str(state), str(commands)],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    running = TkApp(process, state, commands, folder)
    try:
        running.wait(lambda s: "a" in s, timeout=30)
        yield running
    finally:
        process.terminate()
        process.wait(5)


def desktop_project(project: Project, tk: TkApp) -> Project:
    """The tk app's selector map (with a template cut from the live screen) in ``project``."""
    from PIL import ImageGrab

    images = project.selectors / "tkapp"
    images.mkdir(exist_ok=True)
    x, y, _, _ = app.MAIN_GEOMETRY
    cx, cy, cw, ch = app.CANVAS
    shape = images / "shape.png"
    if not shape.exists():
        ImageGrab.grab(bbox=(x + cx, y + cy, x + cx + cw, y + cy + ch)).save(shape)
        (images / "missing_first.png").write_bytes(_solid_png())
        tk.command("show")
        tk.wait(lambda s: s["done"])
        dx, dy = app.DONE_LABEL
        ImageGrab.grab(bbox=(x + dx + 4, y + dy + 4, x + dx + 84, y + dy + 30)).save(images / "done.png")
        tk.command("hide")
        tk.wait(lambda s: not s["done"])
    (project.selectors / "tkapp.yaml").write_text(SELECTORS.format(
        ax=app.FIELD_A[0] + 10, ay=app.FIELD_A[1] + 10, bx=app.FIELD_B[0] + 10, by=app.FIELD_B[1] + 10,
        cx=app.FIELD_C[0] + 10, cy=app.FIELD_C[1] + 10), encoding="utf-8")
    return project


def _solid_png(color: tuple[int, int, int] = (250, 10, 200)) -> bytes:
    """A template found nowhere on screen (a magenta square with a white dot: not flat)."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (40, 40), color)
    ImageDraw.Draw(image).ellipse((10, 10, 30, 30), fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def run_steps(project: Project, steps: str, *, flow_id: str = "desktop-steps", head: str = "") -> Outcome:
    """Run ``steps`` (a YAML list, dedented) as a record-less flow on the tk app."""
    text = HEADER.format(id=flow_id) + textwrap.dedent(head) + "steps:\n" + textwrap.indent(
        textwrap.dedent(steps).strip("\n") + "\n", "  ")
    return run_text(project, text)
