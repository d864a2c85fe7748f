"""kazaguruma.yaml: defaults, governance settings, and a broken file never weakening the approval check."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots import i18n
from bots.project import Project
from bots.spec.project_config import load_project_config


def _config(tmp_path: Path, text: str | None) -> Project:
    root = tmp_path / "project"
    root.mkdir()
    if text is not None:
        (root / "kazaguruma.yaml").write_text(text, encoding="utf-8")
    return Project(root)


@pytest.mark.parametrize("text", [None, "", "# コメントだけ\n\n"])
def test_no_settings_mean_development_mode_with_one_approver(tmp_path: Path, text: str | None) -> None:
    config, found = load_project_config(_config(tmp_path, text))
    assert not found.errors
    assert config.governance.mode == "development" and config.governance.approvers_required == 1


def test_governance_settings_are_read(tmp_path: Path) -> None:
    config, found = load_project_config(_config(tmp_path, (
        "governance:\n  mode: production\n  approvers_required: 2\n  review_interval_days: 180\n"
        "  staff: config/職員.csv\npaths:\n  roots: [D:/申請]\n")))
    assert not found.errors
    assert (config.governance.mode, config.governance.approvers_required) == ("production", 2)
    assert config.governance.review_interval_days == 180 and config.governance.staff == "config/職員.csv"
    assert config.paths.roots == ("D:/申請",)


@pytest.mark.parametrize(("language", "expected"), [("ja", "production"), ("en", "production")])
def test_a_broken_file_is_reported_and_means_production(tmp_path: Path, language: str, expected: str) -> None:
    i18n.set_language(language)
    try:
        config, found = load_project_config(_config(tmp_path, "governance:\n  mode: prodution\n"))
    finally:
        i18n.set_language("ja")
    assert found.errors and "kazaguruma.yaml:2" in found.errors[0].render()
    assert config.governance.mode == expected


def test_a_typo_in_a_key_is_an_error_too(tmp_path: Path) -> None:
    config, found = load_project_config(_config(tmp_path, "governance:\n  approvers_requird: 2\n"))
    assert found.errors and config.governance.mode == "production"
