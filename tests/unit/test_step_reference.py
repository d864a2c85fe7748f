"""The step reference: generated from the registry, complete for every step, and docs/steps.md is current."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import ForwardRef

import pytest
from pydantic import ValidationError
from ruamel.yaml import YAML
from typer.testing import CliRunner, Result

from bots import registry
from bots.api.step_docs import (
    COMMON_EXAMPLE,
    StepDoc,
    annotation_label,
    common_keys,
    retry_keys,
    step_doc,
    step_docs,
    type_label,
)
from bots.api.step_reference import REGENERATE, reference_markdown, step_markdown
from bots.cli.app import app
from bots.flow.model import Flow, rebuild_models
from bots.flow.steps import COMMON_KEYS
from bots.spec.types import RetryPolicy

DOCS = Path(__file__).resolve().parents[2] / "docs" / "steps.md"
DOCS_BY_NAME = {d.name: d for d in step_docs()}


def kz(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", "NO_COLOR": "1"})


def load_steps(yaml_text: str) -> None:
    """Load YAML steps into a flow, as ``runner.py validate`` would (``[...]`` stands for some steps)."""
    rebuild_models()
    steps = YAML(typ="safe").load(yaml_text.replace("[...]", "[{log: x}]"))
    Flow.model_validate({"id": "doc", "title": "t", "version": "1.0.0", "owner": "o", "steps": steps})


# --- docs/steps.md ---------------------------------------------------------------------------------


def test_docs_steps_md_is_the_current_reference() -> None:
    expected = reference_markdown()  # Japanese: the conftest fixture clears KZ_LANG and --lang
    actual = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    if actual != expected:
        diff = difflib.unified_diff(actual.splitlines(), expected.splitlines(), "docs/steps.md", "registry", lineterm="")
        pytest.fail(f"docs/steps.md is stale: regenerate it with\n    {REGENERATE}\n" + "\n".join(list(diff)[:40]),
                    pytrace=False)


def test_the_reference_has_no_bare_angle_brackets_that_markdown_would_swallow_as_html() -> None:
    text = re.sub(r"```.*?```|`[^`\n]*`|<!--.*?-->", "", reference_markdown(), flags=re.S)
    assert "<" not in text, [line for line in text.splitlines() if "<" in line]


# --- every page complete ---------------------------------------------------------------------------


@pytest.mark.parametrize("spec", registry.specs(), ids=lambda s: s.name)
def test_every_parameter_has_a_description(spec: registry.ActionSpec) -> None:
    missing = [name for name, info in spec.params.model_fields.items() if not (info.description or "").strip()]
    assert not missing, f"{spec.name}: Field(description=...) missing for {missing}"


@pytest.mark.parametrize("doc", DOCS_BY_NAME.values(), ids=lambda d: d.name)
def test_every_page_has_summary_parameters_and_an_example_that_loads(doc: StepDoc) -> None:
    page = step_markdown(doc)

    assert doc.summary and doc.examples
    assert page.startswith(f"### {doc.name}\n\n{doc.summary}\n")
    assert all(f"| `{p.name}` |" in page for p in doc.params)
    for example in doc.examples:  # what the reference shows is what a flow may write
        assert example in page
        try:
            load_steps(example)
        except ValidationError as exc:
            pytest.fail(f"{doc.name}: the example shown does not load: {example}\n{exc}")


def test_a_page_reads_the_params_model() -> None:
    fill, click, call = DOCS_BY_NAME["browser.fill"], DOCS_BY_NAME["browser.click"], DOCS_BY_NAME["control.call"]

    assert [(p.name, p.required, p.default) for p in fill.params] == [
        ("target", True, None), ("value", True, None), ("system", False, None)]
    assert fill.shorthand is None and click.shorthand == "target" and call.shorthand == "flow"
    assert call.aliases == ("call",) and {p.name for p in call.params} == {"flow", "with", "outputs"}  # aliases
    assert "`call: 値` は `call: {flow: 値}` と同じです" in step_markdown(call)
    clicks = next(p for p in step_doc(registry.get("desktop.click")).params if p.name == "clicks")
    assert (clicks.type, clicks.default) == ("整数（1〜3）", "1")
    assert not any(d.commits for d in DOCS_BY_NAME.values())  # commit steps are marked per step for now
    assert "登録操作: いいえ" in step_markdown(fill)


def test_the_common_keys_are_every_key_a_step_may_carry_each_described() -> None:
    assert {k.name for k in common_keys()} == set(COMMON_KEYS)
    assert all(k.description for k in common_keys())
    assert {k.name for k in retry_keys()} == set(RetryPolicy.model_fields) and all(k.description for k in retry_keys())
    timeout = next(k for k in common_keys() if k.name == "timeout")
    assert timeout.type == "時間（5s・500ms・2m）" and "10 秒" in timeout.description
    load_steps(COMMON_EXAMPLE)


# --- runner.py steps ------------------------------------------------------------------------------


def test_steps_lists_every_step_by_family_with_the_common_keys_in_japanese() -> None:
    done = kz("steps")

    assert done.exit_code == 0, done.output
    assert all(name in done.stdout for name in DOCS_BY_NAME)
    assert "browser — ブラウザ（Web システム）" in done.stdout and "共通キー" in done.stdout
    assert done.stdout.index("browser.wait_for") < done.stdout.index("control.call") < done.stdout.index("ocr.read_forms")


def test_steps_name_prints_the_page_with_parameters_defaults_and_example() -> None:
    done = kz("steps", "browser.fill")

    assert done.exit_code == 0, done.output
    for text in ("browser.fill", "Type a value into a text field", "パラメータ", "必須", "省略可", "target",
                 "- browser.fill: {target: 申請入力.氏名, value: \"{{ record.氏名 }}\"}", "登録操作: いいえ"):
        assert text in done.stdout, text


def test_steps_in_english_has_english_headings() -> None:
    done = kz("--lang", "en", "steps", "desktop.type")  # the conftest fixture sets Japanese back

    assert done.exit_code == 0, done.output
    for text in ("desktop.type", "Parameters", "required / default", "Example", "commit step: no", "false"):
        assert text in done.stdout, text
    assert "パラメータ" not in done.stdout


def test_steps_finds_a_step_by_its_alias_and_lists_a_family() -> None:
    alias, family = kz("steps", "set"), kz("steps", "desktop")

    assert alias.exit_code == 0 and "control.set" in alias.stdout and "別名: set" in alias.stdout
    assert family.exit_code == 0 and "desktop.verify_field" in family.stdout and "browser.fill" not in family.stdout


def test_an_unknown_step_is_refused_in_japanese_with_a_suggestion() -> None:
    done = kz("steps", "browser.fil")

    assert done.exit_code == 2
    assert "ステップ browser.fil はありません。" in done.stderr and "もしかして: browser.fill" in done.stderr
    assert done.stdout == ""


def test_steps_markdown_is_what_docs_steps_md_holds() -> None:
    done = kz("--lang", "ja", "steps", "--markdown")

    assert done.exit_code == 0, done.output
    assert done.stdout == reference_markdown()
    page = kz("steps", "--markdown", "browser.fill")
    assert page.stdout == step_markdown(DOCS_BY_NAME["browser.fill"], level=1)


def test_nested_steps_read_the_same_before_and_after_the_flow_models_are_built() -> None:
    """The step union is built on first flow load: the page must not depend on whether one happened."""
    rebuild_models()
    then = registry.get("control.if").params.model_fields["then"]

    assert not isinstance(then.annotation, ForwardRef)
    assert type_label(then) == annotation_label(ForwardRef("list[AnyStep]")) == "ステップのリスト"
