"""Fixtures shared by every test layer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bots import i18n
from bots.project import Project

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _japanese_messages(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Messages are Japanese unless a test asks otherwise; no language setting leaks between tests."""
    monkeypatch.delenv("KZ_LANG", raising=False)
    i18n.set_language(None)
    yield
    i18n.set_language(None)


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def repo_project() -> Project:
    """The repository itself as a project: its ``selectors/demo_web.yaml`` and ``flows/``."""
    return Project(REPO_ROOT)


@pytest.fixture
def tmp_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """An empty project (``flows/``, ``selectors/``) whose run logs go to tmp, never into the repo."""
    root = tmp_path / "project"
    (root / "flows").mkdir(parents=True)
    (root / "selectors").mkdir()
    monkeypatch.setenv("KZ_LOGS", str(tmp_path / "logs"))
    monkeypatch.delenv("KZ_HOME", raising=False)
    return Project(root)
