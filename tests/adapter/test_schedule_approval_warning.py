"""A scheduled flow that is not approved is told when the schedule is checked (``schedule
validate``, ``schedule list``), in office hours, not first at its fire time when the gate refuses it."""

from __future__ import annotations

from pathlib import Path

from governance_support import governed_project, runner_in

SAMPLE = "flows/shinsei_nyuryoku.yaml"
NOW = "2026-12-07T09:00:00+09:00"


def test_production_mode_warns_until_the_scheduled_flow_is_approved(tmp_path: Path) -> None:
    root = governed_project(tmp_path / "町役場", "governance:\n  mode: production\n")
    kz = runner_in(root)

    checked = kz("schedule", "validate", "--now", NOW)
    assert checked.returncode == 0, checked.stdout  # a warning: the file itself is valid
    assert "スケジュール demo_nightly のフロー flows/shinsei_nyuryoku.yaml は承認されていない版です" in checked.stdout
    assert "本番モードのため実行時に拒否されます" in checked.stdout
    assert "警告 1 件" in checked.stdout
    listed = kz("schedule", "list", "--now", NOW)
    assert "一度も承認されていません" in listed.stdout, listed.stdout

    english = kz("--lang", "en", "schedule", "validate", "--now", NOW)
    assert "production mode will refuse it when it fires" in english.stdout, english.stdout

    assert kz("flows", "approve", SAMPLE, "--by", "kurumada").returncode == 0
    checked = kz("schedule", "validate", "--now", NOW)
    assert "承認されていない版" not in checked.stdout and "警告 0 件" in checked.stdout, checked.stdout
    assert "承認済み" in kz("schedule", "list", "--now", NOW).stdout


def test_development_mode_lists_the_approval_without_a_warning(tmp_path: Path) -> None:
    kz = runner_in(governed_project(tmp_path / "町役場"))
    checked = kz("schedule", "validate", "--now", NOW)
    assert checked.returncode == 0 and "承認されていない版" not in checked.stdout, checked.stdout
    assert "一度も承認されていません" in kz("schedule", "list", "--now", NOW).stdout
