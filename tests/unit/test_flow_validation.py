"""Flow validation against real YAML files: every problem at its file:line:col, all at once.

Each file in ``tests/flows/invalid/`` states what it must produce on its first lines:

    # expect: 11:5: もしかして: browser.fill
    # expect: sub/cycle_b.yaml:8:11: 呼び出しが循環しています

(line:col in the file itself, or in another file relative to it). Every diagnostic of the file
must be expected, so a case also proves that nothing else is reported. Files in ``invalid/sub/``
are helpers called by the cases, not cases themselves.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bots.flow.loader import load_flow
from bots.project import Project
from bots.spec.diagnostics import Diagnostic, Pos

REPO_ROOT = Path(__file__).resolve().parents[2]

FLOWS = REPO_ROOT / "tests" / "flows"
INVALID = sorted((FLOWS / "invalid").glob("*.yaml"))
VALID = sorted((FLOWS / "valid").rglob("*.yaml"))
EXPECT = re.compile(r"^#\s*expect:\s*(?:(?P<file>[^\s:]+\.yaml):)?(?P<line>\d+):(?P<col>\d+):\s*(?P<text>.*?)\s*$")


@dataclass(frozen=True)
class Expected:
    path: Path
    pos: Pos
    text: str

    def matches(self, diagnostic: Diagnostic) -> bool:
        return (diagnostic.path.resolve() == self.path and diagnostic.pos == self.pos
                and self.text in diagnostic.message)

    def __str__(self) -> str:
        return f"{self.path.name}:{self.pos.line}:{self.pos.col}: …{self.text}…"


def expectations(path: Path) -> list[Expected]:
    found: list[Expected] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := EXPECT.match(line):
            where = (path.parent / match["file"]).resolve() if match["file"] else path.resolve()
            found.append(Expected(where, Pos(int(match["line"]), int(match["col"])), match["text"]))
    return found


def rendered(diagnostics: list[Diagnostic]) -> str:
    return "\n".join(d.render() for d in diagnostics) or "(no diagnostics)"


def run_cli(*args: str, lang: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"KZ_LANG", "KZ_HOME"}}
    if lang:
        env["KZ_LANG"] = lang
    env["COLUMNS"] = "250"
    return subprocess.run([sys.executable, "runner.py", *args], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=60)


def test_the_invalid_corpus_is_complete() -> None:
    assert len(INVALID) >= 18
    missing = [p.name for p in INVALID if not expectations(p)]
    assert missing == [], "every invalid flow needs a '# expect: line:col: text' line"


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_flow_is_refused_at_the_expected_position(path: Path, repo_project: Project) -> None:
    loaded, found = load_flow(path, repo_project)

    assert loaded is None
    assert found.errors, "an invalid flow must produce at least one error"
    for expected in expectations(path):
        assert any(expected.matches(d) for d in found.errors), f"missing {expected}; got:\n{rendered(found)}"
    unexpected = [d for d in found if not any(e.matches(d) for e in expectations(path))]
    assert unexpected == [], f"unexpected diagnostics:\n{rendered(unexpected)}"


def test_all_errors_of_a_file_are_reported_at_once(repo_project: Project) -> None:
    path = FLOWS / "invalid" / "multi_errors.yaml"

    _, found = load_flow(path, repo_project)

    assert [(d.pos.line, d.pos.col) for d in found.errors if d.pos] == [(11, 1), (15, 5), (17, 14)]
    messages = [d.message for d in found.errors]
    assert "setings" in messages[0] and "browser.fil" in messages[1] and "5s" in messages[2]


def test_a_misspelt_required_key_is_one_mistake_not_two(repo_project: Project) -> None:
    # ``valeu:`` for ``value:`` must not also report "required key 'value' is missing".
    _, found = load_flow(FLOWS / "invalid" / "unknown_param.yaml", repo_project)

    assert [d.message for d in found.errors] == ["不明なキー 'valeu'。 もしかして: value"]


def test_a_really_missing_key_is_still_reported_beside_an_unrelated_unknown_key(tmp_path: Path,
                                                                                repo_project: Project) -> None:
    flow = tmp_path / "flow.yaml"
    flow.write_text("id: x\ntitle: t\nversion: 1.0.0\nowner: o\nsteps:\n  - fail: {reason: x}\n", encoding="utf-8")

    _, found = load_flow(flow, repo_project)

    messages = sorted(d.message for d in found.errors)
    assert messages == ["不明なキー 'reason'。", "必須のキー 'message' がありません"]


def test_a_file_that_is_not_utf8_is_refused_at_the_first_bad_byte(tmp_path: Path, repo_project: Project) -> None:
    flow = tmp_path / "sjis.yaml"
    flow.write_bytes("id: sjis\ntitle: 申請入力\n".encode("cp932"))

    loaded, found = load_flow(flow, repo_project)

    assert loaded is None
    assert len(found.errors) == 1
    assert found.errors[0].pos == Pos(2, 8)
    assert "UTF-8 として読めません" in found.errors[0].message


def test_a_missing_file_is_a_diagnostic_not_an_exception(tmp_path: Path, repo_project: Project) -> None:
    loaded, found = load_flow(tmp_path / "ない.yaml", repo_project)

    assert loaded is None
    assert [d.message for d in found.errors] == ["ファイルが見つかりません"]


def test_a_cycle_is_reported_where_it_closes_whichever_file_is_validated(repo_project: Project) -> None:
    # The cycle is reported where it closes (sub/cycle_b.yaml), whichever file was validated.
    for start in ("subflow_cycle.yaml", "sub/cycle_a.yaml"):
        loaded, found = load_flow(FLOWS / "invalid" / start, repo_project)
        assert loaded is None
        assert [(d.path.name, d.pos) for d in found.errors] == [("cycle_b.yaml", Pos(8, 11))]


@pytest.mark.parametrize("path", VALID, ids=lambda p: str(p.relative_to(FLOWS / "valid")))
def test_valid_flows_load_without_any_diagnostic(path: Path, repo_project: Project) -> None:
    loaded, found = load_flow(path, repo_project)

    assert list(found) == [], rendered(found)
    assert loaded is not None
    assert loaded.flow.steps


def test_valid_flow_resolves_its_selector_map_and_sub_flows(repo_project: Project) -> None:
    loaded, _ = load_flow(FLOWS / "valid" / "web_entry.yaml", repo_project)

    assert loaded is not None
    assert set(loaded.selector_maps) == {"demo_web"}
    assert loaded.selector_maps["demo_web"].has("申請入力.氏名")
    assert set(loaded.subflows) == {"common/demo_web_login.yaml"}
    assert loaded.subflows["common/demo_web_login.yaml"].flow.id == "demo-web-login"
    assert len(loaded.content_hash) == 64


def test_a_changed_sub_flow_changes_the_hash_of_every_flow_that_calls_it(tmp_path: Path) -> None:
    """Runs record the flow's content hash: a keying change moved into a sub-flow must show."""
    import hashlib
    import shutil

    shutil.copytree(REPO_ROOT / "flows", tmp_path / "flows")
    shutil.copytree(REPO_ROOT / "selectors", tmp_path / "selectors")
    project = Project(tmp_path)
    flows = [tmp_path / "flows" / "shinsei_nyuryoku.yaml", tmp_path / "flows" / "shinsei_ocr.yaml"]
    before = [load_flow(path, project)[0] for path in flows]
    assert all(loaded is not None and "common/demo_web_entry.yaml" in loaded.subflows for loaded in before)

    entry = tmp_path / "flows" / "common" / "demo_web_entry.yaml"
    entry.write_text(entry.read_text(encoding="utf-8").replace("browser.check: 申請入力.同意", "browser.click: 申請入力.同意"),
                     encoding="utf-8")
    after = [load_flow(path, project)[0] for path in flows]

    for old, new, path in zip(before, after, flows, strict=True):
        assert old is not None and new is not None
        assert new.content_hash != old.content_hash, path.name
        assert new.source.source == old.source.source  # the calling file itself did not change
    login = load_flow(tmp_path / "flows" / "common" / "demo_web_login.yaml", project)[0]
    assert login is not None  # a flow without sub-flows: the plain SHA-256 of its bytes
    assert login.content_hash == hashlib.sha256(login.source.source.encode("utf-8")).hexdigest()


# --- the command line -----------------------------------------------------------------------

CLI_CASES = ("step_typo.yaml", "unknown_element.yaml", "yaml_syntax.yaml", "tab_indent.yaml", "subflow_cycle.yaml")


def test_cli_validate_reports_every_file_at_line_and_column() -> None:
    paths = [f"tests/flows/invalid/{name}" for name in CLI_CASES]

    result = run_cli("validate", *paths)
    output = result.stdout + result.stderr

    assert result.returncode == 2, output
    assert "Traceback" not in output
    for name in CLI_CASES:
        for expected in expectations(FLOWS / "invalid" / name):
            shown = expected.path.relative_to(REPO_ROOT).as_posix()
            assert f"{shown}:{expected.pos.line}:{expected.pos.col}: エラー: " in output, output
            assert expected.text in output
    assert "5 ファイルを検査: エラー 5 件、警告 0 件" in output


def test_cli_validate_refuses_a_non_utf8_file_without_a_traceback(tmp_path: Path) -> None:
    flow = tmp_path / "sjis.yaml"
    flow.write_bytes("id: sjis\ntitle: 申請入力\n".encode("cp932"))

    result = run_cli("validate", str(flow))
    output = result.stdout + result.stderr

    assert result.returncode == 2, output
    assert "Traceback" not in output
    assert f"{flow}:2:8: エラー: UTF-8 として読めません" in output


def test_cli_validate_speaks_english_with_kz_lang_en() -> None:
    result = run_cli("validate", "tests/flows/invalid/step_typo.yaml", "tests/flows/invalid/unknown_param.yaml",
                     lang="en")
    output = result.stdout + result.stderr

    assert result.returncode == 2, output
    assert "tests/flows/invalid/step_typo.yaml:11:5: error: unknown step 'browser.fil'. did you mean: browser.fill" \
        in output
    assert "tests/flows/invalid/unknown_param.yaml:11:41: error: unknown key 'valeu'. did you mean: value" in output
    assert "2 files checked: 2 errors, 0 warnings" in output
    assert "エラー" not in output and "もしかして" not in output
    assert "Traceback" not in output


def test_cli_validate_accepts_the_valid_corpus() -> None:
    result = run_cli("validate", "tests/flows/valid")
    output = result.stdout + result.stderr

    assert result.returncode == 0, output
    assert f"{len(VALID)} ファイルを検査: エラー 0 件、警告 0 件" in output
    assert "Traceback" not in output


def test_cli_validate_defaults_to_the_projects_flows_folder() -> None:
    result = run_cli("validate")
    output = result.stdout + result.stderr

    assert result.returncode == 0, output
    shipped = [p for p in (REPO_ROOT / "flows").rglob("*.yaml") if "data" not in p.parts]
    assert f"{len(shipped)} ファイルを検査: エラー 0 件、警告 0 件" in output
    assert "Traceback" not in output
