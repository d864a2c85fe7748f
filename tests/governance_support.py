"""A governed copy of the sample project for tests: its own git repository (so the author of a
change is known), its own kazaguruma.yaml and logs, and ``runner.py`` run inside it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: The e-mail the tests commit with: 風間 (kazama) in config/staff.yaml.
AUTHOR_EMAIL = "kazama@city.example.lg.jp"

Kz = Callable[..., subprocess.CompletedProcess[str]]


def git(root: Path, *args: str, email: str = AUTHOR_EMAIL) -> str:
    """Run git in ``root`` as the person with ``email`` (author and committer)."""
    name = email.split("@")[0]
    env = {**os.environ, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name,
           "GIT_COMMITTER_EMAIL": email}
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, env=env, check=True)
    return done.stdout


def governed_project(root: Path, config: str = "") -> Path:
    """The sample flows, selector maps, schedules and staff directory in ``root``, committed by 風間."""
    for folder in ("flows", "selectors", "schedules", "config"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("data"))
    if config:
        (root / "kazaguruma.yaml").write_text(config, encoding="utf-8")
    (root / ".gitignore").write_text("logs/\n", encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "sample flows")
    return root


def commit_all(root: Path, message: str, email: str = AUTHOR_EMAIL) -> None:
    """Commit every change in ``root`` as ``email``."""
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message, email=email)


def runner_in(root: Path) -> Kz:
    """``runner.py ARGS`` with ``root`` as the project (KZ_HOME) and cwd; stdout and stderr together."""

    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        environ = {**os.environ, "KZ_HOME": str(root), "COLUMNS": "200", "NO_COLOR": "1", **env}
        environ.pop("KZ_LOGS", None)
        return subprocess.run([sys.executable, str(REPO / "runner.py"), *args], cwd=root, env=environ,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)

    return run


class HtmlTable(HTMLParser):
    """The header cells and body rows of a report page's one table (feed() it the page)."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[str] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr" and self.headers:
            self.rows.append([])
        if tag in ("th", "td"):
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self._cell is not None:
            (self.headers if tag == "th" else self.rows[-1]).append("".join(self._cell))
            self._cell = None
