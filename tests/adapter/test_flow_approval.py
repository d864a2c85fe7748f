"""Approval by a second person and the production-mode gate, through ``runner.py`` as the IT
section uses it: a real git history says who changed a flow, the real demo web system is keyed
once the change is approved, and every step is in a ledger that still verifies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from governance_support import commit_all, governed_project, runner_in
from kazaguruma_demo.sample_data import make_applications, write_applications_xlsx
from kazaguruma_demo.web.store import read_all

from bots.api import RunRequest, open_trail
from bots.errors import ApprovalRefused, NotApproved
from bots.flow.loader import load_flow
from bots.governance.approve import Approval, approve
from bots.governance.gate import approval_gate
from bots.governance.versions import Version
from bots.project import Project

SAMPLE = "flows/shinsei_nyuryoku.yaml"
PRODUCTION = "governance:\n  mode: production\n"


def _ledger(root: Path) -> list[dict[str, Any]]:
    lines = []
    for path in sorted((root / "logs" / "audit" / "main").glob("ledger-*.jsonl")):
        lines.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line)
    return lines


def _types(root: Path) -> list[str]:
    return [entry["type"] for entry in _ledger(root)]


def _applications(path: Path, n: int) -> Path:
    write_applications_xlsx(path, [row for row, _ in make_applications(n, seed=11, bad=0)])
    return path


@pytest.mark.browser
def test_a_changed_selector_blocks_production_until_a_second_person_approves(demo_web: Any, tmp_path: Path) -> None:
    root = governed_project(tmp_path / "市役所", PRODUCTION)
    kz = runner_in(root)
    server = demo_web()
    source = _applications(tmp_path / "申請一覧.xlsx", 2)

    refused = kz("flows", "approve", SAMPLE, "--by", "kazama")  # 風間 committed the flow: not alone
    assert refused.returncode == 2, refused.stdout
    assert "変更した本人" in refused.stdout and "車田 花子" in refused.stdout
    approved = kz("flows", "approve", SAMPLE, "--by", "kurumada", "--comment", "内容を確認")
    assert approved.returncode == 0 and "承認済み" in approved.stdout, approved.stdout

    # 風間 changes one selector candidate and commits it: production refuses the new version.
    selectors = root / "selectors" / "demo_web.yaml"
    text = selectors.read_text(encoding="utf-8")
    assert '        - css: "#user_id"' in text
    selectors.write_text(text.replace('        - css: "#user_id"', '        - css: "input#user_id"'), encoding="utf-8")
    commit_all(root, "ユーザーID の候補を変更")
    blocked = kz("run", SAMPLE, "--input", str(source))
    assert blocked.returncode == 4, blocked.stdout
    assert "承認されていない版" in blocked.stdout and "ログイン.ユーザーID" in blocked.stdout
    assert "input#user_id" in blocked.stdout and "selectors/demo_web.yaml" in blocked.stdout
    who_can = blocked.stdout.split("承認できる人:")[1]
    assert "車田 花子" in who_can and "花田 一郎" in who_can and "風間" not in who_can  # the author is not offered
    assert read_all(server.config.db_path) == []  # nothing reached the target system
    english = kz("--lang", "en", "run", SAMPLE, "--input", str(source))
    assert english.returncode == 4 and "is not approved" in english.stdout and "ログイン.ユーザーID" in english.stdout

    assert kz("flows", "approve", SAMPLE, "--by", "kazama").returncode == 2  # still the author
    assert kz("flows", "approve", SAMPLE, "--by", "hanada").returncode == 0
    ran = kz("run", SAMPLE, "--input", str(source))
    assert ran.returncode == 0, ran.stdout
    assert len(read_all(server.config.db_path)) == 2

    history = kz("flows", "history", SAMPLE)
    assert history.returncode == 0 and history.stdout.count("承認済み") == 2, history.stdout
    assert "kurumada" in history.stdout and "hanada" in history.stdout and "実行 1 回" in history.stdout

    types = _types(root)
    assert types.count("approval_refused") == 2 and types.count("flow_approved") == 2
    assert types.count("run_refused") == 2 and types.count("run_started") == 1
    started = next(e for e in _ledger(root) if e["type"] == "run_started")
    assert started["data"]["approval"] == "approved" and len(started["data"]["fingerprint"]) == 64
    verified = kz("audit", "verify")
    assert verified.returncode == 0, verified.stdout


def test_two_approvers_required_and_uncommitted_changes_need_a_named_author(tmp_path: Path) -> None:
    root = governed_project(tmp_path / "町役場", "governance:\n  mode: production\n  approvers_required: 2\n")
    project = Project(root)
    loaded, _ = load_flow(root / SAMPLE, project)
    assert loaded is not None
    version = Version.of(loaded, project)
    gate_request = RunRequest(flow=SAMPLE)
    with open_trail(project) as trail:
        gate = approval_gate(project, trail.store)
        first = approve(project, trail, version, Approval(by="kurumada", actor="test"))
        assert first.state.status == "pending" and first.state.approvers == ("kurumada",)
        with pytest.raises(NotApproved, match=r"承認待ち（1/2 人）"):
            gate(loaded, gate_request)
        with pytest.raises(ApprovalRefused, match="既に承認"):
            approve(project, trail, version, Approval(by="kurumada", actor="test"))
        with pytest.raises(ApprovalRefused, match="承認者の役割"):
            approve(project, trail, version, Approval(by="ishida", actor="test"))  # staff, not an approver
        with pytest.raises(ApprovalRefused, match="職員名簿にいません"):
            approve(project, trail, version, Approval(by="nobody", actor="test"))
        second = approve(project, trail, version, Approval(by="hanada", actor="test"))
        assert second.state.status == "approved" and second.state.approvers == ("kurumada", "hanada")
        assert gate(loaded, gate_request).approval == "approved"

    # An edit nobody committed: git cannot say who made it, so the author must be named.
    path = root / SAMPLE
    path.write_text(path.read_text(encoding="utf-8").replace("max_failures: 20", "max_failures: 5"), encoding="utf-8")
    changed, _ = load_flow(path, project)
    assert changed is not None
    new_version = Version.of(changed, project)
    assert new_version.fingerprint != version.fingerprint
    with open_trail(project) as trail:
        with pytest.raises(ApprovalRefused, match="コミットされていない変更"):
            approve(project, trail, new_version, Approval(by="kurumada", actor="test"))
        with pytest.raises(ApprovalRefused, match="変更した本人"):
            approve(project, trail, new_version, Approval(by="kurumada", author="車田 花子", actor="test"))
        named = approve(project, trail, new_version, Approval(by="kurumada", author="kazama", actor="test"))
        assert named.state.status == "pending" and named.authors == ("kazama",)


@pytest.mark.browser
def test_development_mode_runs_an_unapproved_flow_with_a_warning_in_the_ledger(demo_web: Any,
                                                                                tmp_path: Path) -> None:
    root = governed_project(tmp_path / "開発", "")
    kz = runner_in(root)
    server = demo_web()
    done = kz("run", SAMPLE, "--input", str(_applications(tmp_path / "申請一覧.xlsx", 1)))
    assert done.returncode == 0, done.stdout
    assert "開発モードのため実行します" in done.stdout and "一度も承認されていません" in done.stdout
    assert "実行しません" not in done.stdout
    assert len(read_all(server.config.db_path)) == 1
    entries = _ledger(root)
    started = next(e for e in entries if e["type"] == "run_started")
    assert started["data"]["approval"] == "unapproved"
    assert any(e["type"] == "unapproved_flow" for e in entries)
