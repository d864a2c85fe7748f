"""``flows health`` (the 野良ロボット report) on fixture flows: each finding on a flow of its own,
and nothing on a healthy one.

A tmp project holds small valid flows (one ``log`` step, no systems) and a staff directory with
one person who has left. The run store is a real SQLite database under a tmp ``KZ_LOGS``: runs
and approvals are written with explicit times in the past, selector drift as audit-ledger
entries of a run. The report is read through the library, the CLI's exit code, and its
workbook and page read back.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from governance_support import HtmlTable

from bots.audit.writer import LedgerWriter
from bots.catalogue.build import build_catalogue
from bots.catalogue.health import Finding, health
from bots.flow.loader import load_flow
from bots.governance.versions import Version
from bots.i18n import set_language
from bots.project import Project
from bots.results.model import RecordResult, RunResult, RunStatus, Status
from bots.store.rows import ApprovalRow
from bots.store.store import RunStore

REPO = Path(__file__).resolve().parents[2]

#: Every code the report knows (bots.catalogue.health).
CODES = {"no_deputy", "owner_unknown", "deputy_unknown", "owner_inactive", "deputy_inactive", "no_recent_success",
         "repeated_failures", "selector_drift", "not_approved", "review_overdue", "invalid_flow", "runs_without_flow",
         "approved_without_flow", "schedule_unapproved_flow", "no_staff_directory"}

STAFF = """\
staff:
  - {id: kazama, name: 風間 太郎, department: 情報政策課 情報政策係, roles: [author, approver]}
  - {id: kurumada, name: 車田 花子, department: 情報政策課 情報政策係, roles: [author, approver]}
  - {id: tanaka, name: 田中 三郎, department: 総務課 文書係, roles: [staff], active: false}
"""

FLOW = """\
id: {id}
title: {title}
version: 1.0.0
owner: {owner}
{deputy}department: 総務課 文書係
data_classes: [個人情報なし]
steps:
  - log: "{title}を実行しました"
"""

#: file stem → (title, owner, deputy); None: no deputy line at all.
PEOPLE: dict[str, tuple[str, str, str | None]] = {
    "healthy": ("健全なフロー", "kazama", "kurumada"),
    "no_deputy": ("副担当のいないフロー", "kazama", None),
    "owner_unknown": ("所有者が名簿にないフロー", "総務課 山田", "kurumada"),
    "deputy_unknown": ("副担当が名簿にないフロー", "kazama", "山田 花子"),
    "owner_inactive": ("所有者が異動したフロー", "文書係 田中", "kurumada"),
    "deputy_inactive": ("副担当が退職したフロー", "kazama", "tanaka"),
    "no_recent_success": ("長く成功していないフロー", "kazama", "kurumada"),
    "repeated_failures": ("失敗が続くフロー", "kazama", "kurumada"),
    "selector_drift": ("画面がずれたフロー", "情報政策係 風間", "情報政策係 車田"),
    "not_approved": ("承認されていないフロー", "kazama", "kurumada"),
    "review_overdue": ("見直し期限切れのフロー", "kazama", "kurumada"),
}

#: What the report must say about the fixture, and nothing else: (subject, code).
EXPECTED = sorted([
    ("no-deputy", "no_deputy"),
    ("owner-unknown", "owner_unknown"),
    ("deputy-unknown", "deputy_unknown"),
    ("owner-inactive", "owner_inactive"),
    ("deputy-inactive", "deputy_inactive"),
    ("no-recent-success", "no_recent_success"),
    ("repeated-failures", "repeated_failures"),
    ("selector-drift", "selector_drift"),
    ("not-approved", "not_approved"),
    ("review-overdue", "review_overdue"),
    ("flows/broken.yaml", "invalid_flow"),
    ("gone-flow", "runs_without_flow"),
    ("retired-flow", "approved_without_flow"),
    ("schedules/夜間.yaml", "schedule_unapproved_flow"),
])

Kz = Callable[..., subprocess.CompletedProcess[str]]


def _ago(days: float) -> dt.datetime:
    return dt.datetime.now().astimezone() - dt.timedelta(days=days)


def _write_flow(root: Path, stem: str) -> None:
    title, owner, deputy = PEOPLE[stem]
    text = FLOW.format(id=stem.replace("_", "-"), title=title, owner=owner,
                       deputy=f"deputy: {deputy}\n" if deputy else "")
    (root / "flows" / f"{stem}.yaml").write_text(text, encoding="utf-8")


def _approve(store: RunStore, project: Project, stem: str, at: dt.datetime) -> None:
    """An approval by 車田 (author 風間) of the flow as it is on disk, at ``at``."""
    loaded, found = load_flow(project.flows / f"{stem}.yaml", project)
    assert loaded is not None, [d.render() for d in found]
    version = Version.of(loaded, project)
    store.add_approval(ApprovalRow(flow_id=loaded.flow.id, flow_version=loaded.flow.version,
                                   fingerprint=version.fingerprint, approver="kurumada", author="kazama",
                                   comment="確認しました", os_user="kurumada", host="情報政策係PC", approved_at=at), [])


def _run(store: RunStore, run_id: str, flow_id: str, status: RunStatus, started: dt.datetime,
         failed: int = 0) -> None:
    """One finished run: three records, ``failed`` of them failed."""
    store.start_run(run_id=run_id, flow_id=flow_id, flow_version="1.0.0", flow_hash="a" * 64, selectors_hash=None,
                    trigger="schedule", os_user="kazama", host="RPA端末", started_at=started)
    records = [RecordResult(index=i, location=f"一覧!{i}", key=f"k{i}", status=Status.FAIL if i < 2 + failed
                            else Status.PASS) for i in range(2, 5)]
    store.finish_run(RunResult(run_id=run_id, flow_id=flow_id, flow_version="1.0.0", status=status, started=started,
                               finished=started + dt.timedelta(minutes=3), records=records))


def _drift(element: str) -> dict[str, object]:
    return {"system": "demo_web", "map": "demo_web", "screen": element.partition(".")[0], "element": element,
            "candidate": 2, "matched": {"index": 1, "description": "css=#name"}}


def _base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    root = tmp_path / "project"
    for folder in ("flows", "selectors", "schedules", "config"):
        (root / folder).mkdir(parents=True)
    (root / "config" / "staff.yaml").write_text(STAFF, encoding="utf-8")
    monkeypatch.setenv("KZ_LOGS", str(tmp_path / "logs"))
    for name in ("KZ_HOME", "KZ_STORE_URL", "KZ_LANG", "KZ_AUDIT_KEY"):
        monkeypatch.delenv(name, raising=False)
    return Project(root)


def _healthy(store: RunStore, project: Project, writer: LedgerWriter, when: list[dt.datetime]) -> None:
    """Approved 100 days ago (within the review interval), succeeded yesterday; the screen drifted
    once 40 days ago (outside the drift window), never since."""
    _write_flow(project.root, "healthy")
    _approve(store, project, "healthy", _ago(100))
    _run(store, "healthy-old", "healthy", RunStatus.COMPLETED, _ago(40))
    writer.append("selector_drift", "kazama", "healthy-old", _drift("申請入力.氏名"))
    when[0] = _ago(0)
    _run(store, "healthy-1", "healthy", RunStatus.COMPLETED, _ago(1))


@pytest.fixture
def healthy_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A project whose one flow is healthy."""
    project = _base(tmp_path, monkeypatch)
    when = [_ago(40)]  # the ledger's clock: 40 days ago for the healthy flow's old drift, then now
    with RunStore.open(None, project.logs) as store, \
            LedgerWriter(project.logs / "audit" / "main", clock=lambda: when[0]) as writer:
        _healthy(store, project, writer, when)
    return project


@pytest.fixture
def orphans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """Every finding on a flow of its own, beside the healthy flow."""
    project = _base(tmp_path, monkeypatch)
    root = project.root
    (root / "flows" / "broken.yaml").write_text(
        FLOW.format(id="broken", title="壊れたフロー", owner="kazama", deputy="deputy: kurumada\n")
        + "  - mail.send: {to: someone}\n", encoding="utf-8")
    (root / "schedules" / "夜間.yaml").write_text(
        "title: 承認されていないフローの夜間実行\nflow: flows/not_approved.yaml\n"
        "trigger: {cron: '0 22 * * *', timezone: Asia/Tokyo}\n", encoding="utf-8")
    when = [_ago(40)]  # the ledger's clock: 40 days ago for the healthy flow's old drift, then now
    with RunStore.open(None, project.logs) as store, \
            LedgerWriter(project.logs / "audit" / "main", clock=lambda: when[0]) as writer:
        _healthy(store, project, writer, when)
        for stem in PEOPLE:
            if stem == "healthy":
                continue
            _write_flow(root, stem)
            flow_id = stem.replace("_", "-")
            if stem != "not_approved":  # never approved (its schedule will be refused in production)
                _approve(store, project, stem, _ago(400 if stem == "review_overdue" else 100))
            if stem == "no_recent_success":
                _run(store, f"{flow_id}-1", flow_id, RunStatus.COMPLETED, _ago(40))
            elif stem == "repeated_failures":
                _run(store, f"{flow_id}-1", flow_id, RunStatus.COMPLETED, _ago(10))  # succeeded 10 days ago
                for n, (status, days) in enumerate([(RunStatus.FAILED, 5), (RunStatus.ABORTED, 3),
                                                    (RunStatus.FAILED, 1)], start=2):
                    _run(store, f"{flow_id}-{n}", flow_id, status, _ago(days), failed=3)
            else:
                _run(store, f"{flow_id}-1", flow_id, RunStatus.COMPLETED, _ago(1))
        writer.append("selector_drift", "kazama", "selector-drift-1", _drift("申請入力.氏名"))
        writer.append("selector_drift", "kazama", "selector-drift-1", _drift("申請入力.住所"))
        _run(store, "gone-1", "gone-flow", RunStatus.COMPLETED, _ago(1))  # a flow nobody has on disk any more
        store.add_approval(ApprovalRow(flow_id="retired-flow", flow_version="2.0.0", fingerprint="f" * 64,
                                       approver="kurumada", author="kazama", comment=None, os_user="kurumada",
                                       host="情報政策係PC", approved_at=_ago(200)), [])
    return project


def _findings(project: Project) -> list[Finding]:
    with RunStore.open(None, project.logs) as store:
        return health(build_catalogue(project, store), store, project.logs)


@pytest.fixture
def kz() -> Callable[[Project], Kz]:
    def bind(project: Project) -> Kz:
        def run(*args: str) -> subprocess.CompletedProcess[str]:
            environ = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
            return subprocess.run([sys.executable, str(REPO / "runner.py"), *args], cwd=project.root, env=environ,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)

        return run

    return bind


# --- the library -----------------------------------------------------------------------------------


def test_the_fixture_covers_every_code_but_the_missing_directory() -> None:
    assert {code for _, code in EXPECTED} == CODES - {"no_staff_directory"}


def test_each_finding_is_reported_for_exactly_its_flow_and_nothing_for_the_healthy_one(orphans: Project) -> None:
    found = _findings(orphans)
    assert sorted((f.subject, f.code) for f in found) == EXPECTED
    assert not [f for f in found if f.subject == "healthy"]


def test_findings_say_what_is_wrong_and_what_to_do(orphans: Project) -> None:
    messages = {(f.subject, f.code): f.message for f in _findings(orphans)}
    assert "総務課 山田" in messages["owner-unknown", "owner_unknown"]
    assert "山田 花子" in messages["deputy-unknown", "deputy_unknown"]
    assert "田中 三郎（総務課 文書係）" in messages["owner-inactive", "owner_inactive"]
    assert "田中 三郎（総務課 文書係）" in messages["deputy-inactive", "deputy_inactive"]
    assert "最後の成功: " + _ago(40).strftime("%Y-%m-%d") in messages["no-recent-success", "no_recent_success"]
    assert "直近 3 回" in messages["repeated-failures", "repeated_failures"]
    assert "2 件" in messages["selector-drift", "selector_drift"]
    assert "flows approve" in messages["not-approved", "not_approved"]
    assert (_ago(400) + dt.timedelta(days=365)).date().isoformat() in messages["review-overdue", "review_overdue"]
    assert "runner.py validate flows/broken.yaml" in messages["flows/broken.yaml", "invalid_flow"]
    assert "not-approved" in messages["schedules/夜間.yaml", "schedule_unapproved_flow"]


def test_findings_in_english(orphans: Project) -> None:
    japanese = {(f.subject, f.code): f.message for f in _findings(orphans)}
    set_language("en")
    english = {(f.subject, f.code): f.message for f in _findings(orphans)}
    assert sorted(english) == EXPECTED
    assert english["no-deputy", "no_deputy"] == "no deputy: name who takes it over in deputy"
    assert english["repeated-failures", "repeated_failures"] == "the last 3 runs all failed or were aborted"
    for key, message in english.items():  # names stay as written; the sentence is English
        assert message != japanese[key] and not re.search("[ぁ-ヺ]", message), message


def test_missing_staff_directory_is_one_finding_for_the_installation(healthy_only: Project) -> None:
    assert _findings(healthy_only) == []
    (healthy_only.root / "config" / "staff.yaml").unlink()
    assert [(f.subject, f.code) for f in _findings(healthy_only)] == [("config", "no_staff_directory")]


# --- the command -----------------------------------------------------------------------------------


def test_health_exits_1_and_writes_the_workbook_and_the_page(
    orphans: Project, kz: Callable[[Project], Kz], tmp_path: Path
) -> None:
    run = kz(orphans)
    table = run("flows", "health")
    assert table.returncode == 1, table.stdout
    assert f"{len(EXPECTED)} 件の指摘（フロー 12 本）" in table.stdout
    for subject, code in EXPECTED:
        assert subject in table.stdout and code in table.stdout, (subject, code)
    assert "Traceback" not in table.stdout

    book_path = tmp_path / "健全性.xlsx"
    done = run("flows", "health", "--format", "xlsx", "--out", str(book_path))
    assert done.returncode == 1, done.stdout
    book = openpyxl.load_workbook(book_path)
    sheet = book.active
    assert sheet is not None and sheet.title == "健全性"
    header, *rows = sheet.iter_rows(values_only=True)
    book.close()
    assert header == ("対象", "項目", "内容と対処")
    assert sorted((str(s), str(c)) for s, c, _ in rows) == EXPECTED
    assert all(message for _, _, message in rows)

    page = tmp_path / "健全性.html"
    done = run("flows", "health", "--format", "html", "--out", str(page))
    assert done.returncode == 1, done.stdout
    parsed = HtmlTable()
    parsed.feed(page.read_text(encoding="utf-8"))
    assert parsed.headers == ["対象", "項目", "内容と対処"]
    assert sorted((s, c) for s, c, _ in parsed.rows) == EXPECTED
    assert [r[2] for r in sorted(parsed.rows)] == [str(r[2]) for r in sorted(rows, key=lambda r: (r[0], r[1]))]


def test_health_of_healthy_flows_exits_0(healthy_only: Project, kz: Callable[[Project], Kz], tmp_path: Path) -> None:
    run = kz(healthy_only)
    done = run("flows", "health")
    assert done.returncode == 0, done.stdout
    assert "問題は見つかりませんでした（フロー 1 本）" in done.stdout

    page = tmp_path / "健全性.html"
    done = run("flows", "health", "--format", "html", "--out", str(page))
    assert done.returncode == 0, done.stdout
    text = page.read_text(encoding="utf-8")
    assert "<p>問題は見つかりませんでした</p>" in text and "<td>" not in text

    book_path = tmp_path / "健全性.xlsx"
    done = run("flows", "health", "--format", "xlsx", "--out", str(book_path))
    assert done.returncode == 0, done.stdout
    book = openpyxl.load_workbook(book_path)
    sheet = book.active
    assert sheet is not None
    assert list(sheet.iter_rows(values_only=True)) == [("対象", "項目", "内容と対処")]
    book.close()

    english = run("--lang", "en", "flows", "health")
    assert english.returncode == 0, english.stdout
    assert "nothing flagged (flows checked: 1)" in english.stdout


def test_health_without_a_staff_directory_exits_1(healthy_only: Project, kz: Callable[[Project], Kz]) -> None:
    (healthy_only.root / "config" / "staff.yaml").unlink()
    done = kz(healthy_only)("flows", "health")
    assert done.returncode == 1, done.stdout
    assert "no_staff_directory" in done.stdout and "1 件の指摘（フロー 1 本）" in done.stdout
