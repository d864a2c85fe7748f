"""``--lang en`` reaches every help text: the command list and a sub-command's options (their help
is declared in modules imported before click applies the option, so it is read first)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bots.cli.entry import language_from_argv

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("argv", "expected"), [
    (["--lang", "en", "run", "x.yaml"], "en"),
    (["--lang=en", "--help"], "en"),
    (["run", "x.yaml", "--lang", "en"], None),  # after the command name: the command's own option
    (["--lang"], None),
    ([], None),
])
def test_the_global_lang_is_read_before_the_command_name(argv: list[str], expected: str | None) -> None:
    assert language_from_argv(argv) == expected


def _help(*args: str) -> str:
    done = subprocess.run([sys.executable, "runner.py", *args], cwd=REPO, capture_output=True, text=True,
                          encoding="utf-8", timeout=60, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_lang_en_gives_english_command_list_and_sub_command_options() -> None:
    listing = _help("--lang", "en", "--help")
    assert "run a flow" in listing and "フローを実行します" not in listing
    options = _help("--lang", "en", "flows", "approve", "--help")
    assert "approver (staff id or name)" in options and "承認者" not in options


def test_japanese_is_the_default() -> None:
    options = _help("flows", "approve", "--help")
    assert "承認者（職員名簿の ID か氏名）" in options
