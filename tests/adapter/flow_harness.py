"""Run small flows written by a test through the real engine, with the production run log."""

from __future__ import annotations

import json
import shutil
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bots.engine.events import RunInfo, RunListener
from bots.engine.executor import LocalExecutor, RunRequest
from bots.engine.results import RecordResult, RunResult
from bots.project import Project
from bots.run.jsonlog import RunLogListener

REPO = Path(__file__).resolve().parents[2]

#: Header of a test flow on the demo web system; the steps follow.
HEADER = """\
id: {id}
title: ブラウザ操作の確認
version: 1.0.0
owner: 情報政策係
systems:
  demo_web:
    base_url: "{{{{ env.KZ_DEMO_URL }}}}"
"""

LOGIN = """\
setup:
  - call: common/demo_web_login.yaml
"""


def flow_text(*blocks: str, head: str = "", flow_id: str = "browser-steps", login: bool = True) -> str:
    """A complete flow: the header, ``head`` (more top-level keys), the login setup (unless
    ``login=False``) and ``steps:`` made of ``blocks``, each a dedentable list of steps."""
    steps = "".join(textwrap.indent(textwrap.dedent(block).strip("\n") + "\n", "  ") for block in blocks)
    return HEADER.format(id=flow_id) + textwrap.dedent(head) + (LOGIN if login else "") + "steps:\n" + steps


def web_project(project: Project) -> Project:
    """Give an empty project the real demo_web selector map and the shared login sub-flow."""
    shutil.copy(REPO / "selectors" / "demo_web.yaml", project.selectors / "demo_web.yaml")
    (project.flows / "common").mkdir(exist_ok=True)
    shutil.copy(REPO / "flows" / "common" / "demo_web_login.yaml", project.flows / "common" / "demo_web_login.yaml")
    return project


@dataclass
class Outcome:
    result: RunResult
    folder: Path
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def record(self) -> RecordResult:
        (only,) = self.result.records
        return only

    def notices(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("event") == kind]

    def failed_steps(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("event") == "step_finished" and e.get("status") == "FAIL"]


def run_text(project: Project, text: str, *, name: str = "test_flow.yaml", inputs: dict[str, Any] | None = None,
             input_file: Path | None = None, extra: list[RunListener] | None = None) -> Outcome:
    """Write ``text`` as ``flows/<name>`` of ``project`` and run it; the run log is parsed back."""
    path = project.flows / name
    path.write_text(text, encoding="utf-8")
    holder: dict[str, Path] = {}

    def listeners(info: RunInfo) -> list[RunListener]:
        holder["folder"] = info.folder
        return [RunLogListener(info, info.folder.name), *(extra or [])]

    request = RunRequest(flow=str(path), inputs=inputs or {}, cwd=str(project.root),
                         primary_input=str(input_file) if input_file else None)
    result = LocalExecutor(project).run(request, listeners=listeners)
    folder = holder["folder"]
    lines = (folder / "run.jsonl").read_text(encoding="utf-8").splitlines()
    return Outcome(result, folder, [json.loads(line) for line in lines])
