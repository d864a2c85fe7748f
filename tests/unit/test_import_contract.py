"""The layer contract (``[tool.importlinter]`` in pyproject.toml) really catches wrong-way imports.

``make lint`` runs ``lint-imports`` on the tree as it is; these tests copy the library to a
temporary folder, add one wrong-way import (inside a function, where import cycles hide) and
check that the contract breaks, naming the offending import. Without them a contract that
was loosened by mistake, or an import-linter that stopped seeing function-level imports,
would pass silently.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tree, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    """A copy of the library and its contract, analysed instead of the installed one."""
    shutil.copytree(ROOT / "bots", tmp_path / "bots", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _inject(tree: Path, module: str, statement: str) -> None:
    path = tree / (module.replace(".", "/") + ".py")
    with path.open("a", encoding="utf-8") as out:
        out.write(f"\n\ndef _wrong_way() -> None:\n    {statement}  # noqa\n")


def test_the_copied_tree_keeps_every_contract(tree: Path) -> None:
    run = _lint(tree)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Contracts: 4 kept, 0 broken" in run.stdout


@pytest.mark.parametrize(("module", "statement", "expected"), [
    ("bots.flow.model", "from bots.engine import context", "bots.flow.model -> bots.engine.context"),
    ("bots.spec.yamlpos", "import bots.flow.loader", "bots.spec.yamlpos -> bots.flow.loader"),
    ("bots.engine.flowrun", "from bots.store import queries", "bots.engine.flowrun -> bots.store"),
    ("bots.engine.keying", "import bots.actions.browser", "bots.engine.keying -> bots.actions.browser"),
    ("bots.api.running", "from bots.cli import run_cmd", "bots.api.running -> bots.cli.run_cmd"),
    ("bots.schedule.runs", "import bots.cli.app", "bots.schedule.runs -> bots.cli.app"),
    ("bots.engine.context", "import kazaguruma_demo", "bots.engine.context -> kazaguruma_demo"),
])
def test_a_wrong_way_import_inside_a_function_breaks_the_contract(tree: Path, module: str, statement: str,
                                                                  expected: str) -> None:
    _inject(tree, module, statement)
    run = _lint(tree)
    assert run.returncode != 0, run.stdout
    assert expected in run.stdout, run.stdout
