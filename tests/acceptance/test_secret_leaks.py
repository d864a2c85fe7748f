"""Issue 16: no secret, no transformation of one and no undeclared environment variable anywhere a run
leaves a trace.

The sample flow runs against the demo web system (it logs in with ``secrets.KZ_DEMO_PASSWORD``)
while the process environment also holds an unrelated password. Afterwards every file under the
logs folder (run folder, run log, results workbook, ledger, run store file) and a dump of the run
store are searched for the password and its transformations (upper case, reversed, spaced out,
sliced, URL-encoded) and for the unrelated password. Flows that try the leaks the issue found
(``| upper``, ``| reverse | join('')``, ``| join(' ')``, a slice, ``{{ env }}``) are refused before
anything runs.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from kazaguruma_demo.sample_data import make_applications, write_applications_xlsx

from bots.engine.executor import LocalExecutor, RunRequest
from bots.errors import FlowError
from bots.project import Project
from bots.results.model import RunStatus
from bots.store.store import RunStore

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "demo-pass-2026"
UNRELATED = "unrelated-Pa55word-4711"
REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "flows" / "shinsei_nyuryoku.yaml"


def transformations(secret: str) -> list[str]:
    """What the issue saw in run.jsonl, and what a careless flow could make of a secret."""
    return [secret, secret.upper(), secret[::-1], " ".join(secret), "".join(reversed(secret)).upper(),
            secret[1:], secret[:-1], secret[2:-2], quote(secret, safe=""), secret.title()]


def texts(path: Path) -> list[str]:
    data = path.read_bytes()
    if data[:2] == b"PK":
        with zipfile.ZipFile(path) as book:
            return [book.read(name).decode("utf-8", "replace") for name in book.namelist()]
    return [data.decode("utf-8", "replace")]


def leaks(logs: Path) -> list[tuple[str, str]]:
    with RunStore.open(None, logs) as store:
        places = {"run store dump": [json.dumps(store.dump(), ensure_ascii=False, default=str)]}
    for path in logs.rglob("*"):
        if path.is_file() and path.suffix != ".png":
            places[str(path)] = texts(path)
    forms = transformations(PASSWORD) + transformations(UNRELATED)
    return [(where, form) for where, found in places.items() for text in found for form in forms if form in text]


def test_no_secret_or_undeclared_variable_reaches_any_record(demo_web: Any, run_flow: Any, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    demo_web()
    monkeypatch.setenv("KZ_UNRELATED_PASSWORD", UNRELATED)
    source = tmp_path / "申請一覧.xlsx"
    write_applications_xlsx(source, [row for row, _ in make_applications(3, seed=16, bad=0)])

    outcome = run_flow(input_file=source)

    assert outcome.result.status is RunStatus.COMPLETED
    logs = tmp_path / "logs"
    assert list(logs.rglob("run.jsonl")) and list(logs.rglob("ledger-*.jsonl"))
    assert leaks(logs) == []


@pytest.mark.parametrize("line", [
    '  - log: "{{ secrets.KZ_DEMO_PASSWORD | upper }}"',
    "  - log: \"{{ secrets.KZ_DEMO_PASSWORD | reverse | join('') }}\"",
    "  - log: \"{{ secrets.KZ_DEMO_PASSWORD | join(' ') }}\"",
    '  - log: "{{ secrets.KZ_DEMO_PASSWORD[1:] }}"',
    '  - set: {pw: "{{ secrets.KZ_DEMO_PASSWORD }}"}',
    '  - log: "{{ env }}"',
    '  - log: "{{ env.KZ_UNRELATED_PASSWORD }}"',
])
def test_a_flow_that_would_leak_is_refused_before_it_runs(line: str, demo_web: Any, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    demo_web()
    monkeypatch.setenv("KZ_UNRELATED_PASSWORD", UNRELATED)
    monkeypatch.setenv("KZ_LOGS", str(tmp_path / "logs"))
    project = Project(tmp_path / "project")
    shutil.copytree(REPO / "flows" / "common", project.flows / "common")
    shutil.copytree(REPO / "selectors", project.selectors)
    flow = project.flows / "leak.yaml"
    flow.write_text(SAMPLE.read_text(encoding="utf-8").replace("\nsetup:\n", f"\nsetup:\n{line}\n", 1),
                    encoding="utf-8")

    with pytest.raises(FlowError) as caught:
        LocalExecutor(project).run(RunRequest(flow=str(flow), cwd=str(project.root)))

    rendered = "\n".join(d.render() for d in caught.value.diagnostics)  # type: ignore[attr-defined]
    assert "flows/leak.yaml:" in rendered
    assert "secrets はパスワード等の欄" in rendered or "env" in rendered
    assert not (tmp_path / "logs").exists(), "nothing may run from a refused flow"
