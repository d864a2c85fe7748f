"""Steps in plain words: every registered step has its own phrase (a new step without one fails
here), values read as where they come from, nested steps are described, and the sample flows read
as the 手順書 says (「申請入力画面の『氏名』に Excel の『氏名』列を入力」)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

import bots.actions  # noqa: F401  (fills the registry)
from bots import registry
from bots.api.step_docs import step_doc
from bots.flow.loader import LoadedFlow, load_flow
from bots.flow.model import Flow, rebuild_models
from bots.governance import phrase_actions
from bots.governance.phrase_actions import PHRASES, fallback
from bots.governance.phrase_values import Wording
from bots.governance.phrasing import (
    describe_step,
    is_phrased,
    phrase_of,
    section_steps,
    step_lines,
)
from bots.i18n import set_language
from bots.project import Project
from bots.registry import ActionSpec
from bots.spec.yamlpos import LoadedYaml

SPECS = registry.specs()
REPO = Path(__file__).resolve().parents[2]


def flow_of(steps: list[Any], **extra: Any) -> LoadedFlow:
    """A flow built from plain data (no selector maps: targets are phrased from their names)."""
    rebuild_models()
    data = {"id": "t", "title": "テスト", "version": "1.0.0", "owner": "風間", "steps": steps, **extra}
    return LoadedFlow(path=Path("t.yaml"), flow=Flow.model_validate(data), source=LoadedYaml(Path("t.yaml"), "", data))


def one(step: Any, **extra: Any) -> str:
    loaded = flow_of([step], **extra)
    return describe_step(loaded.flow.steps[0], loaded)


def repo_flow(name: str) -> LoadedFlow:
    loaded, found = load_flow(REPO / "flows" / name, Project(REPO))
    assert loaded is not None, found
    return loaded


def all_lines(loaded: LoadedFlow) -> list[str]:
    wording = Wording.of(loaded)
    return [line.text for block in ("setup", "steps", "verify", "on_session_expired", "on_record_failure", "teardown")
            for line in step_lines(section_steps(loaded, block), wording, inline_calls=True)]


EXCEL = {"records": {"from": "excel", "file": "{{ inputs.file }}", "columns": {"氏名": "str", "生年月日": "date"}},
         "inputs": {"file": {"type": "path"}}}
FORMS = {"records": {"from": "forms", "files": "scans", "form": "shinsei", "columns": {"氏名": "str"}}}


def test_every_registered_step_has_its_own_phrase() -> None:
    missing = [spec.name for spec in SPECS if not is_phrased(spec.name)]
    assert not missing, f"steps without a phrase in bots/governance/phrase_actions.py: {missing}"
    assert set(PHRASES) <= {spec.name for spec in SPECS}, "a phrase names no registered step"
    assert is_phrased("set") and is_phrased("control.set")  # aliases resolve to their step


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_manual_example_reads_as_a_sentence(spec: ActionSpec, lang: str) -> None:
    examples = step_doc(spec).examples
    assert examples
    set_language(lang)
    for example in examples:
        steps = YAML(typ="safe").load(example.replace("[...]", "[{log: x}]"))
        loaded = flow_of(steps)
        for step in loaded.flow.steps:
            text = describe_step(step, loaded)
            assert text and text != fallback(step), f"{spec.name}: {example} → {text}"
            assert not re.search(r"\{[a-z]\}", text), f"a placeholder left unfilled: {text}"
            unquoted = re.sub(r"“[^”]*”|\"[^\"]*\"|『[^』]*』", "", text)  # names and literals are as written
            assert (re.search(r"[ぁ-ん]", unquoted) is None) == (lang == "en"), text


def test_a_step_without_a_phrase_falls_back_to_its_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(phrase_actions.PHRASES, "browser.click")
    loaded = flow_of([{"browser.click": "確認.登録", "commit": True}])
    step = loaded.flow.steps[0]

    assert not is_phrased("browser.click")
    assert phrase_of(step, Wording.of(loaded)) == "【登録操作】" + registry.get("browser.click").summary + "（browser.click）"


def test_values_read_as_where_they_come_from() -> None:
    assert one({"browser.fill": {"target": "申請入力.氏名", "value": "{{ record.氏名 }}"}}, **EXCEL) == \
        "申請入力画面の『氏名』に Excel の『氏名』列を入力"
    assert one({"browser.fill": {"target": "申請入力.氏名", "value": "{{ record.氏名 }}"}}, **FORMS) == \
        "申請入力画面の『氏名』に帳票の『氏名』欄を入力"
    assert one({"browser.fill": {"target": "申請入力.氏名", "value": "{{ record.氏名 }}"}}, record_columns=["氏名"]) == \
        "申請入力画面の『氏名』にレコードの『氏名』を入力"
    assert one({"browser.fill": {"target": "ログイン.パスワード", "value": "{{ secrets.KZ_PW }}"}}) == \
        "ログイン画面の『パスワード』に秘密情報『KZ_PW』を入力"
    assert one({"browser.fill": {"target": "a.b", "value": "{{ inputs.file }}"}}, **EXCEL) == "a画面の『b』に入力『file』を入力"
    assert one({"browser.fill": {"target": "a.b", "value": "東京都"}}) == 'a画面の『b』に"東京都"を入力'
    assert one({"browser.fill": {"target": "a.b", "value": "{{ record.氏名 ~ '様' }}"}}, **EXCEL) == \
        "a画面の『b』に式 record.氏名 ~ '様' の値を入力"
    assert one({"browser.fill": {"target": "a.b", "value": "{{ record.生年月日 | date('%Y/%m/%d') }}"}}, **EXCEL) == \
        'a画面の『b』に Excel の『生年月日』列（日付 "%Y/%m/%d" の形）を入力'
    assert one({"browser.fill": {"target": "a.b", "value": "{{ (record.氏名 or '') | zenkaku }}"}}, **EXCEL) == \
        "a画面の『b』に Excel の『氏名』列（全角）を入力"


def test_a_secret_reads_as_its_name_never_its_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KZ_PW", "s3cret-value")
    text = one({"desktop.type": {"target": "ログイン.パスワード", "value": "{{ secrets.KZ_PW }}"}})

    assert "秘密情報『KZ_PW』" in text and "s3cret" not in text


def test_conditions_retry_name_and_commit_are_said() -> None:
    assert one({"fail": "複数あります", "when": "vars.件数 > 1"}) == \
        '変数『件数』が 1 より大きいとき、この行を「失敗」とする（理由: "複数あります"）'
    assert one({"name": "登録", "browser.click": "確認.登録", "commit": True, "timeout": "3s"}) == \
        "【登録操作】〔登録〕確認画面の『登録』をクリック（待つのは最大 3 秒）"
    assert one({"browser.goto": "/entry", "retry": {"attempts": 4, "on": ["target_system", "timeout"]}}) == \
        '"/entry"を開く（基幹システムのエラー・時間切れのときは最大 4 回まで試す）'
    assert one({"desktop.press": {"key": "tab", "times": 3}}) == "Tab キーを 3 回押す"
    assert one({"desktop.hotkey": "ctrl+s"}) == "Ctrl+S キーを同時に押す"


def test_nested_steps_are_described_recursively_and_numbered() -> None:
    step = {"if": {"cond": "record.氏名 == '山田'",
                   "then": [{"browser.click": "a.b"},
                            {"for_each": {"items": "vars.世帯員", "as": "人",
                                          "steps": [{"browser.fill": {"target": "a.続柄", "value": "{{ vars.人 }}"}}]}}],
                   "else": [{"log": "対象外"}]}}
    loaded = flow_of([step], **EXCEL)
    text = describe_step(loaded.flow.steps[0], loaded)

    assert text.startswith("Excel の『氏名』列が \"山田\" のときは次を実行: ［a画面の『b』をクリック；")
    assert "変数『世帯員』の項目ごとに（項目は変数『人』）、次を繰り返す: ［a画面の『続柄』に変数『人』を入力］" in text
    assert text.endswith("。そうでなければ次を実行: ［実行ログに \"対象外\" と書く］")
    lines = step_lines(loaded.flow.steps, Wording.of(loaded))
    assert [(line.number, line.depth) for line in lines] == [("1", 0), ("1.1", 1), ("1.2", 1), ("1.2.1", 2),
                                                             ("", 1), ("1.3", 1)]


def test_the_sample_flows_read_as_the_procedure_says() -> None:
    web = all_lines(repo_flow("shinsei_nyuryoku.yaml"))
    ocr = all_lines(repo_flow("shinsei_ocr.yaml"))
    desktop = all_lines(repo_flow("desktop_nyuryoku.yaml"))

    assert "申請入力画面の『氏名』に Excel の『氏名』列を入力" in web  # the sub-flow, phrased against the caller
    assert "【登録操作】〔登録〕確認画面の『登録』をクリック" in web
    assert "申請入力画面の『氏名』に帳票の『氏名』欄を入力" in ocr
    assert "申請入力画面の『氏名』に Excel の『氏名』列を入力" in desktop
    assert any(t.startswith("【登録操作】〔登録〕申請入力画面の『登録』をクリック") for t in desktop)
    assert "ログイン画面の『パスワード』に秘密情報『KZ_DEMO_PASSWORD』を入力" in web
    entry = repo_flow("common/demo_web_entry.yaml")
    assert "申請入力画面の『氏名』にレコードの『氏名』を入力" in all_lines(entry)  # alone: the caller is unknown


def test_phrases_in_english() -> None:
    set_language("en")
    assert one({"browser.fill": {"target": "申請入力.氏名", "value": "{{ record.氏名 }}"}}, **EXCEL) == \
        "enter the Excel column “氏名” in “氏名” on the 申請入力 screen"
    assert one({"browser.click": "確認.登録", "commit": True}) == "[commit] click “登録” on the 確認 screen"
    assert one({"fail": "x", "when": "vars.n >= 2"}) == 'when the variable “n” is 2 or more, mark this record failed ' \
        '(reason: "x")'
