"""Run small flows written by a test through the real engine, with the production run log."""

from __future__ import annotations

import json
import shutil
import textwrap
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bots.adapters.excel_reader import read_records
from bots.engine.executor import LocalExecutor, RunRequest
from bots.listeners.jsonlog import RunLogListener
from bots.listeners.results_workbook import ResultsWorkbookListener
from bots.listeners.trail import AuditTrail
from bots.ports import Decide
from bots.project import Project
from bots.results.listener import RunInfo, RunListener
from bots.results.model import RecordResult, RunResult

REPO = Path(__file__).resolve().parents[2]

#: Header of a test flow on the demo web system; the steps follow.
HEADER = """\
id: {id}
title: ブラウザ操作の確認
version: 1.0.0
owner: 情報政策係
env: [KZ_DEMO_URL]
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
    """Give an empty project the real demo_web selector map and the shared sub-flows (login,
    keying one application, looking one up)."""
    shutil.copy(REPO / "selectors" / "demo_web.yaml", project.selectors / "demo_web.yaml")
    shutil.copytree(REPO / "flows" / "common", project.flows / "common", dirs_exist_ok=True)
    return project


@dataclass
class Outcome:
    result: RunResult
    folder: Path
    events: list[dict[str, Any]] = field(default_factory=list)
    #: The results workbook (``run_job`` only; None when the run wrote none).
    results_path: Path | None = None

    @property
    def record(self) -> RecordResult:
        (only,) = self.result.records
        return only

    def by_index(self) -> dict[int, RecordResult]:
        return {r.index: r for r in self.result.records}

    def results_rows(self) -> list[dict[str, Any]]:
        """The results workbook's rows as dicts by header (状態, 受付番号, エラー内容, ...)."""
        import openpyxl

        assert self.results_path is not None, "the run wrote no results workbook"
        book = openpyxl.load_workbook(self.results_path, read_only=True)
        rows = list(book["結果"].iter_rows(values_only=True))
        book.close()
        header = [str(h) for h in rows[0]]
        return [dict(zip(header, row, strict=False)) for row in rows[1:]]

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


SAMPLE_FLOW = REPO / "flows" / "shinsei_nyuryoku.yaml"


def sample_flow(project: Project, *, name: str = "shinsei_nyuryoku.yaml",
                edit: Callable[[str], str] | None = None) -> Path:
    """Copy the sample flow (``edit`` may change its text) into ``project``'s flows; returns its path."""
    text = SAMPLE_FLOW.read_text(encoding="utf-8")
    if edit is not None:
        text = edit(text)
    path = project.flows / name
    path.write_text(text, encoding="utf-8")
    return path


def parse_run_log(folder: Path) -> list[dict[str, Any]]:
    lines = (folder / "run.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def run_job(project: Project, flow: Path, *, store_url: str | None, input_file: Path | None = None,
            extra: list[RunListener] | None = None, stop: threading.Event | None = None, ask: Decide | None = None,
            **options: Any) -> Outcome:
    """Run ``flow`` as production does: with the audit trail (run store at ``store_url`` — the
    per-record journal — and ledger under ``project.logs``), the run log, the results workbook
    and ``extra`` listeners. ``options`` are more RunRequest fields (``if_interrupted``,
    ``resume``). ``store_url=None``: no audit trail and no journal (plain keying)."""
    holder: dict[str, Any] = {}
    request = RunRequest(flow=str(flow), cwd=str(project.root),
                         primary_input=str(input_file) if input_file else None, **options)

    def listeners_with(trail: AuditTrail | None) -> Callable[[RunInfo], list[RunListener]]:
        def listeners(info: RunInfo) -> list[RunListener]:
            holder["folder"] = info.folder
            holder["results"] = ResultsWorkbookListener(info)
            audit = trail.listeners(info) if trail is not None else []
            return [*audit, RunLogListener(info, info.folder.name), holder["results"], *(extra or [])]
        return listeners

    if store_url is None:
        result = LocalExecutor(project).run(request, listeners=listeners_with(None), stop=stop, ask=ask)
    else:
        with AuditTrail(project.logs, store_url) as trail:
            result = LocalExecutor(project, journal=trail.store).run(request, listeners=listeners_with(trail),
                                                                     stop=stop, ask=ask)
    folder = holder["folder"]
    return Outcome(result, folder, parse_run_log(folder), results_path=holder["results"].path)


def application_list(path: Path, n: int, seed: int) -> list[tuple[str, str]]:
    """Write an application list of ``n`` good rows; returns each record's (氏名, ISO 生年月日)
    as the engine reads it and the demo system stores it, in record order (index 1 first)."""
    from kazaguruma_demo.sample_data import DEMO_COLUMNS, make_applications, write_applications_xlsx


    write_applications_xlsx(path, [row for row, _ in make_applications(n, seed=seed, bad=0)])
    with read_records(path, sheet="申請一覧", header_row=1, columns=DEMO_COLUMNS) as reader:
        keys = [(str(r.values["氏名"]), r.values["生年月日"].isoformat()) for r in reader]
    assert len(set(keys)) == n, "the generated list repeats a 氏名+生年月日"
    return keys


def stored_keys(db_path: Path) -> list[tuple[str, str]]:
    """(氏名, 生年月日) of every application in the demo store, in the order they were keyed."""
    from kazaguruma_demo.web.store import read_all

    return [(r["氏名"], r["生年月日"]) for r in read_all(db_path)]


def receipts(db_path: Path) -> dict[tuple[str, str], str]:
    """受付番号 by (氏名, 生年月日) in the demo store."""
    from kazaguruma_demo.web.store import read_all

    return {(r["氏名"], r["生年月日"]): r["receipt_no"] for r in read_all(db_path)}
