"""Start-up of ``runner.py``: ``--help`` and ``validate`` load none of the heavy stacks, and the lazy
command group lists and runs exactly what typer would have built from the command modules.

The heavy stacks are checked in a fresh interpreter (a subprocess), the way staff start the
command: the browser (Playwright), the run store (SQLAlchemy), Excel (openpyxl, numpy under it),
OCR (OpenCV) and the tray (Qt).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from bots import i18n
from bots.cli import warm
from bots.cli.app import Commands, app
from bots.flow.peek import drives_a_browser
from bots.store import RunStore

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("playwright", "sqlalchemy", "alembic", "openpyxl", "numpy", "cv2", "pytesseract", "pypdfium2", "PySide6")

#: Runs runner.py as ``python runner.py ARGS`` would, then prints which modules were loaded.
PROBE = """
import json, runpy, sys
sys.argv = ["runner.py", *sys.argv[1:]]
try:
    runpy.run_path("runner.py", run_name="__main__")
except SystemExit as done:
    code = done.code
else:
    code = 0
print("MODULES " + json.dumps({"exit": code, "modules": sorted(sys.modules)}))
"""


def loaded_after(*args: str) -> tuple[int, set[str]]:
    """The exit code of ``runner.py ARGS`` and the top-level packages it imported."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("MODULES ")), None)
    assert line is not None, done.stdout + done.stderr
    found = json.loads(line.removeprefix("MODULES "))
    return found["exit"], {name.partition(".")[0] for name in found["modules"]}


@pytest.mark.parametrize("args", [("--help",), ("validate", "flows/shinsei_nyuryoku.yaml")], ids=["help", "validate"])
def test_help_and_validate_load_no_browser_store_excel_ocr_or_qt(args: tuple[str, ...]) -> None:
    code, packages = loaded_after(*args)

    assert code in (0, None)
    assert "typer" in packages and "bots" in packages  # the probe did run the command line
    assert sorted(packages & set(HEAVY)) == []


def test_the_probe_sees_a_heavy_stack_when_a_command_loads_one() -> None:
    """The check above can fail: ``audit --help`` imports the audit commands, the run store with them."""
    code, packages = loaded_after("audit", "--help")

    assert code in (0, None)
    assert "sqlalchemy" in packages


# --- the lazy group is what typer would have built -----------------------------------------------


def eager_app() -> typer.Typer:
    """The command line as it was before it was lazy: every module imported, registered with typer."""
    eager = typer.Typer(name="kazaguruma", help=app.info.help, no_args_is_help=True, add_completion=False,
                        pretty_exceptions_enable=False)
    eager.callback()(app.registered_callback.callback)  # type: ignore[union-attr]
    for name, spec in Commands.lazy.items():
        if spec.group:
            eager.add_typer(spec.load(), name=name, help=spec.help)
        else:
            eager.command(name, help=spec.help)(spec.load())
    return eager


def help_pages(cli: typer.Typer) -> dict[str, str]:
    """``--help`` of every command and sub-command, by path."""
    pages: dict[str, str] = {}

    def walk(command: object, path: list[str]) -> None:
        result = CliRunner().invoke(cli, [*path, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
        assert result.exit_code == 0, (path, result.output)
        pages[" ".join(path)] = result.output
        if isinstance(command, TyperGroup):
            ctx = typer.Context(command)
            for name in command.list_commands(ctx):
                walk(command.resolve_command(ctx, [name])[1], [*path, name])

    walk(typer.main.get_command(cli), [])
    return pages


def test_every_help_page_is_the_one_the_eager_command_line_printed() -> None:
    lazy, eager = help_pages(app), help_pages(eager_app())

    assert list(lazy) == list(eager)
    assert len(lazy) > 20  # every sub-command was reached
    assert lazy == eager


@pytest.mark.parametrize(("language", "lines"), [
    ("ja", ["フローを実行します", "監査: 実行の一覧・台帳の検査・報告書"]),
    ("en", ["run a flow", "audit: runs, ledger verification, reports"]),
])
def test_the_listing_is_in_the_language_of_the_process(language: str, lines: list[str]) -> None:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "KZ_LANG": language}
    done = subprocess.run([sys.executable, "runner.py", "--help"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=60, check=False)

    assert done.returncode == 0, done.stderr
    assert all(line in done.stdout for line in lines), done.stdout


def test_the_listing_keeps_typers_order_commands_then_groups() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    listed = [line.split()[1] for line in result.output.splitlines()
              if line.startswith("│ ") and len(line.split()) > 2 and line.split()[1] in Commands.lazy]

    assert listed == ["run", "resume", "validate", "steps", "tray", "scheduler",
                      "selectors", "review", "audit", "flows", "schedule", "forms"]


def test_a_mistyped_command_is_matched_against_the_lazy_ones() -> None:
    result = CliRunner().invoke(app, ["audti"], env={"COLUMNS": "200", "NO_COLOR": "1"})

    assert result.exit_code == 2
    assert "Did you mean 'audit'?" in result.output


def test_a_command_added_by_name_is_imported_only_when_it_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    from bots.cli.app import add_command

    monkeypatch.delitem(sys.modules, "bots.cli.steps_cmd", raising=False)
    monkeypatch.setattr(Commands, "lazy", dict(Commands.lazy))
    add_command("reference", i18n.tr("ステップの説明", "step reference"), "bots.cli.steps_cmd:steps")

    listing = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert "reference" in listing.output and "bots.cli.steps_cmd" not in sys.modules

    ran = CliRunner().invoke(app, ["reference", "browser.fill"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert ran.exit_code == 0, ran.output
    assert "browser.fill" in ran.output and "bots.cli.steps_cmd" in sys.modules


# --- which runs start their browser early ---------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_the_flow_file_is_the_first_yaml_argument_that_exists(tmp_path: Path) -> None:
    flow = write(tmp_path / "f.yaml", "id: f\n")

    assert warm.flow_file(["--input", "a.xlsx", str(flow), "--set", "x=y.yaml"]) == flow
    assert warm.flow_file(["--input", "a.xlsx", str(tmp_path / "missing.yaml")]) is None


@pytest.mark.parametrize(("systems", "expected"), [
    ("systems:\n  web1: {base_url: 'http://x'}\n", True),  # web is the default kind
    ("systems:\n  app: {kind: desktop}\n  site: {kind: web}\n", True),
    ("systems:\n  app: {kind: desktop}\n", False),
    ("steps: [{log: x}]\n", False),
    ("systems: [unclosed\n", False),  # broken YAML: validate reports it, nothing is started
])
def test_a_flow_drives_a_browser_when_it_declares_a_web_system(tmp_path: Path, systems: str, expected: bool) -> None:
    assert drives_a_browser(write(tmp_path / "f.yaml", "id: f\n" + systems)) is expected


def test_only_a_run_of_a_web_flow_overlaps_and_never_for_help(tmp_path: Path) -> None:
    desktop = write(tmp_path / "d.yaml", "systems:\n  app: {kind: desktop}\n")

    assert warm.run_overlap([str(REPO / "flows/shinsei_nyuryoku.yaml"), "--help"]) is None
    assert warm.run_overlap([str(desktop)]) is None
    assert warm.run_overlap(["--input", "x.xlsx"]) is None
    assert warm.run_overlap([str(REPO / "flows/shinsei_nyuryoku.yaml")]) is not None


def _stored_run(logs: Path, run_id: str, flow: Path) -> None:
    """A run in the default SQLite run store, with the request ``resume`` starts again."""
    with RunStore.open(None, logs) as store:
        store.start_run(run_id=run_id, flow_id="f", flow_version="1", flow_hash="a" * 64, selectors_hash=None,
                        trigger="manual", os_user="u", host="h", started_at=dt.datetime.now(dt.UTC),
                        request={"flow": flow.name, "cwd": str(flow.parent)})


def test_resume_starts_the_browser_for_a_stored_web_flow_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KZ_LOGS", str(tmp_path / "logs"))
    monkeypatch.delenv("KZ_STORE_URL", raising=False)
    web = write(tmp_path / "web.yaml", "id: w\nsystems:\n  site: {base_url: 'http://x'}\n")
    desk = write(tmp_path / "desk.yaml", "id: d\nsystems:\n  app: {kind: desktop}\n")
    _stored_run(tmp_path / "logs", "run-web", web)
    _stored_run(tmp_path / "logs", "run-desk", desk)

    assert warm.stored_flow("run-web") == web and warm.stored_flow("run-desk") == desk
    assert warm.resume_overlap(["run-web"]) is not None
    assert warm.resume_overlap(["run-desk"]) is None
    assert warm.resume_overlap(["run-web", "--help"]) is None
    assert warm.stored_flow("no-such-run") is None
    assert warm.resume_overlap(["no-such-run"]) is not None  # cannot tell: started anyway, closed if unused
    monkeypatch.setenv("KZ_STORE_URL", "postgresql://elsewhere/db")
    assert warm.stored_flow("run-web") is None  # not read without the store's driver
