"""The tray's menu model: bots grouped by 所管課, only those the user may run, and in production only
approved versions; the 最近の実行 labels. Real flow files, staff directory, roles file and run store."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bots import i18n
from bots.api import open_trail
from bots.catalogue.build import build_catalogue
from bots.flow.loader import load_flow
from bots.governance.approve import Approval, approve
from bots.governance.roles import load_roles
from bots.governance.staff import load_staff
from bots.governance.versions import Version
from bots.project import Project
from bots.store.rows import RunRow
from bots.store.store import RunStore
from bots.tray.menu import FlowItem, default_folder, menu_model, recent_runs

REPO = Path(__file__).resolve().parents[2]

FLOW = """\
id: {id}
title: {title}
version: 1.0.0
owner: 情報政策係 風間
{department}inputs:
  {input}: {{type: path, default: {default}}}
records:
  from: {source}
{records}steps:
  - set: {{処理: 済}}
"""
EXCEL = "  file: \"{{ inputs.file }}\"\n  key: [番号]\n  columns:\n    番号: {type: int, required: true}\n"
FORMS = "  files: \"{{ inputs.scans }}\"\n  form: shinsei\n  columns:\n    氏名: {type: str}\n"


def _flow(root: Path, name: str, flow_id: str, title: str, department: str | None, forms: bool = False) -> None:
    text = FLOW.format(id=flow_id, title=title, department=f"department: {department}\n" if department else "",
                       input="scans" if forms else "file", source="forms" if forms else "excel",
                       default="data/スキャン" if forms else "data/一覧.xlsx", records=FORMS if forms else EXCEL)
    (root / "flows" / name).write_text(text, encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """Three bots of two 所管課 and one without, a broken flow, the sample staff directory and form."""
    root = tmp_path / "project"
    (root / "flows").mkdir(parents=True)
    (root / "data" / "スキャン").mkdir(parents=True)
    shutil.copytree(REPO / "selectors" / "forms", root / "selectors" / "forms")
    shutil.copytree(REPO / "config", root / "config")
    monkeypatch.setenv("KZ_LOGS", str(tmp_path / "logs"))
    _flow(root, "jumin.yaml", "jumin-bot", "住民票の入力", "市民課 住民記録係")
    _flow(root, "scan.yaml", "scan-bot", "申請書スキャンの入力", "市民課 住民記録係", forms=True)
    _flow(root, "zeimu.yaml", "zeimu-bot", "市民税の入力", "税務課 市民税係")
    _flow(root, "orphan.yaml", "orphan-bot", "所管のないボット", None)
    (root / "flows" / "broken.yaml").write_text("id: broken\nsteps: [\n", encoding="utf-8")
    return Project(root)


def _roles(project: Project, text: str) -> None:
    (project.root / "config" / "roles.yaml").write_text(text, encoding="utf-8")


def _menu(project: Project, account: str, production: bool = False, store: RunStore | None = None
          ) -> dict[str, list[str]]:
    catalogue = build_catalogue(project, store)
    roles, _ = load_roles(project)
    staff, _ = load_staff(project)
    return {g.department: [i.flow_id for i in g.items]
            for g in menu_model(catalogue, roles, staff, account, production)}


def test_bots_are_grouped_by_department_sorted_with_no_department_last(project: Project) -> None:
    catalogue = build_catalogue(project, None)
    roles, _ = load_roles(project)
    groups = menu_model(catalogue, roles, catalogue.staff, "anyone", production=False)
    assert [g.department for g in groups] == ["市民課 住民記録係", "税務課 市民税係", "所管課なし"]
    # Titles sorted within a 所管課; the broken flow is not offered at all.
    assert [i.title for i in groups[0].items] == ["住民票の入力", "申請書スキャンの入力"]
    assert all(i.flow_id != "broken" for g in groups for i in g.items)
    jumin, scan = groups[0].items
    assert (jumin.flow, jumin.input_kind, jumin.default_input, jumin.desktop) == (
        "flows/jumin.yaml", "file", "data/一覧.xlsx", False)
    assert (scan.input_kind, scan.default_input) == ("folder", "data/スキャン")
    # The dialog opens in the default's folder (the default itself for a folder of scans).
    assert default_folder(jumin, project.root) == project.root / "data"
    assert default_folder(scan, project.root) == project.root / "data" / "スキャン"


def test_no_department_in_english(project: Project) -> None:
    i18n.set_language("en")
    assert list(_menu(project, "anyone")) == ["市民課 住民記録係", "税務課 市民税係", "No department"]


def test_the_menu_lists_only_what_the_roles_let_the_user_run(project: Project) -> None:
    assert len([f for flows in _menu(project, "stranger").values() for f in flows]) == 4  # no roles file: all
    _roles(project, "accounts:\n  yamada-t: hanada\n  ishi: ishida\n  it-admin: kazama\n"
                    "run_any: [author]\ngrants:\n  zeimu-bot: [ishida]\n")
    # 花田 (市民課 住民記録係): the bots of his 所管課 only.
    assert _menu(project, "yamada-t") == {"市民課 住民記録係": ["jumin-bot", "scan-bot"]}
    # 石田 (same 所管課) is also granted the 税務課 bot.
    assert _menu(project, "ishi") == {"市民課 住民記録係": ["jumin-bot", "scan-bot"], "税務課 市民税係": ["zeimu-bot"]}
    # 風間 holds a run_any role: everything.
    assert sum(len(v) for v in _menu(project, "it-admin").values()) == 4
    # Not in the staff directory: nothing.
    assert _menu(project, "stranger") == {}


def test_production_offers_approved_versions_only(project: Project) -> None:
    jumin = project.root / "flows" / "jumin.yaml"
    with open_trail(project) as trail:
        loaded, _ = load_flow(jumin, project)
        assert loaded is not None
        approve(project, trail, Version.of(loaded, project), Approval(by="kurumada", author="kazama", actor="test"))
    with RunStore.open(None, project.logs) as store:
        assert sum(len(v) for v in _menu(project, "anyone", production=False, store=store).values()) == 4
        assert _menu(project, "anyone", production=True, store=store) == {"市民課 住民記録係": ["jumin-bot"]}
        # Changed since its approval: no longer offered.
        jumin.write_text(jumin.read_text(encoding="utf-8").replace("version: 1.0.0", "version: 1.0.1"),
                         encoding="utf-8")
        assert _menu(project, "anyone", production=True, store=store) == {}
    # Without a run store nothing is known to be approved: production offers nothing.
    assert _menu(project, "anyone", production=True, store=None) == {}


def _row(run_id: str, flow_id: str, status: str, started: dt.datetime) -> RunRow:
    return RunRow(run_id=run_id, flow_id=flow_id, flow_version="1.0.0", flow_hash="h", selectors_hash=None,
                  trigger="tray", os_user="yamada-t", host="pc", started_at=started, finished_at=None, status=status,
                  passed=0, failed=0, review=0, not_run=0, total=None, input_name=None, input_sha256=None,
                  dry_run=False, error=None)


def test_recent_runs_newest_first_with_status_title_and_time() -> None:
    base = dt.datetime(2026, 11, 26, 9, 5, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    rows = [_row(f"r{i}", "jumin-bot" if i % 2 else "gone-bot", s, base + dt.timedelta(hours=i))
            for i, s in enumerate(["completed", "stopped", "aborted", "failed", "completed", "stopped", "running"])]
    runs = recent_runs(rows, {"jumin-bot": "住民票の入力"})
    assert [r.run_id for r in runs] == ["r6", "r5", "r4", "r3", "r2"]
    local = (base + dt.timedelta(hours=5)).astimezone()
    assert runs[1].label == f"停止 住民票の入力 {local:%m/%d %H:%M}"
    assert runs[2].label.startswith("完了 gone-bot ")  # a flow no longer on disk: its id
    assert [r.label.split()[0] for r in runs] == ["実行中", "停止", "完了", "失敗", "中断"]
    i18n.set_language("en")
    assert [r.label.split()[0] for r in runs] == ["running", "stopped", "completed", "failed", "aborted"]


def test_a_flow_without_a_path_input_needs_no_dialog(project: Project) -> None:
    (project.root / "flows" / "fixed.yaml").write_text(
        "id: fixed-bot\ntitle: 固定の入力\nversion: 1.0.0\nowner: 情報政策係 風間\ndepartment: 税務課 市民税係\n"
        "steps:\n  - set: {処理: 済}\n", encoding="utf-8")
    catalogue = build_catalogue(project, None)
    roles, _ = load_roles(project)
    items = {i.flow_id: i for g in menu_model(catalogue, roles, catalogue.staff, "x", False) for i in g.items}
    assert items["fixed-bot"] == FlowItem(flow_id="fixed-bot", title="固定の入力", flow="flows/fixed.yaml",
                                          department="税務課 市民税係", input_kind=None, default_input=None,
                                          desktop=False)
    assert default_folder(items["fixed-bot"], project.root) == project.root
