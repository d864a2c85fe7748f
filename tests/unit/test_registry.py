"""The step registry: one name per step, typed params that refuse unknown keys, a manual page each."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError
from ruamel.yaml import YAML

import bots.actions  # noqa: F401  (fills the registry)
from bots import registry
from bots.actions.browser import ClickParams, TargetParams
from bots.actions.control import CallParams, SetParams
from bots.errors import FrameworkError
from bots.flow.model import Flow, rebuild_models
from bots.registry import ActionSpec, NoParams, Params

SPECS = registry.specs()
EXAMPLE = re.compile(r"``(- .*?)``")


@pytest.fixture
def scratch_registry() -> Iterator[None]:
    """Registrations made by a test are undone, so other tests see the real registry."""
    saved = (dict(registry._REGISTRY), dict(registry._ALIASES))
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(saved[0])
    registry._ALIASES.clear()
    registry._ALIASES.update(saved[1])


def _noop(ctx: Any, p: Any) -> None:
    """Do nothing (test step).

    ``- test.noop: {}``
    """


def examples(spec: ActionSpec) -> list[str]:
    doc = inspect.getdoc(spec.func) or ""
    return [m.group(1) for line in doc.splitlines() if line.strip().startswith("``- ")
            for m in [EXAMPLE.match(line.strip())] if m]


def test_the_registry_holds_the_expected_families() -> None:
    names = registry.names(with_aliases=False)

    assert {"control.set", "control.if", "control.for_each", "control.group", "control.call", "control.fail",
            "control.log", "browser.fill", "browser.click", "excel.read_rows"} <= set(names)
    assert {"set", "if", "for_each", "group", "call", "fail", "log"} <= set(registry.names())
    assert all(re.fullmatch(r"[a-z]+\.[a-z_]+", n) for n in names)
    assert names == sorted(names)


def test_aliases_resolve_to_their_step() -> None:
    assert registry.get("set") is registry.get("control.set")
    assert registry.get("fail").name == "control.fail"
    assert registry.is_registered("for_each") and registry.is_registered("control.for_each")
    assert not registry.is_registered("browser.fil")


def test_a_duplicate_name_raises_framework_error(scratch_registry: None) -> None:
    registry.action("test.noop", NoParams)(_noop)

    with pytest.raises(FrameworkError, match="duplicate step name: test.noop"):
        registry.action("test.noop", NoParams)(_noop)


def test_a_name_that_clashes_with_an_alias_raises_and_registers_nothing(scratch_registry: None) -> None:
    with pytest.raises(FrameworkError, match="duplicate step name: set"):
        registry.action("test.other", NoParams, aliases=("set",))(_noop)
    with pytest.raises(FrameworkError, match="duplicate step name: control.log"):
        registry.action("control.log", NoParams)(_noop)

    assert not registry.is_registered("test.other")
    assert registry.get("set").params is SetParams


@pytest.mark.parametrize("name", ["click", "Browser.click", "browser.click.now", "browser.fill2"])
def test_a_name_that_is_not_family_verb_raises(name: str) -> None:
    with pytest.raises(FrameworkError, match="family.verb"):
        registry.action(name, NoParams)


def test_the_summary_is_the_first_docstring_line(scratch_registry: None) -> None:
    registry.action("test.noop", NoParams)(_noop)

    assert registry.get("test.noop").summary == "Do nothing (test step)."


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_step_has_a_manual_page_with_a_yaml_example(spec: ActionSpec) -> None:
    doc = inspect.getdoc(spec.func)

    assert doc, f"{spec.name} has no docstring"
    assert spec.summary == doc.splitlines()[0] and spec.summary.endswith(".")
    assert examples(spec), f"{spec.name}: no line starting with ``- (a YAML example)"
    names = (spec.name, *spec.aliases)
    assert any(re.match(r"- \{?(" + "|".join(map(re.escape, names)) + r"):", ex) for ex in examples(spec))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_yaml_example_is_a_valid_step(spec: ActionSpec) -> None:
    rebuild_models()
    for example in examples(spec):
        steps = YAML(typ="safe").load(example.replace("[...]", "[{log: x}]"))
        try:
            Flow.model_validate({"id": "doc", "title": "t", "version": "1.0.0", "owner": "o", "steps": steps})
        except ValidationError as exc:
            pytest.fail(f"{spec.name}: the manual's example does not load: {example}\n{exc}")


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_params_model_forbids_unknown_keys(spec: ActionSpec) -> None:
    assert issubclass(spec.params, Params)
    assert spec.params.model_config.get("extra") == "forbid"
    if spec.params is SetParams:  # the mapping itself is the params: any name is a variable
        assert SetParams.model_validate({"未知": 1}).values == {"未知": 1}
        return
    with pytest.raises(ValidationError) as caught:
        spec.params.model_validate({"__typo__": 1})
    assert "extra_forbidden" in {e["type"] for e in caught.value.errors()}


def test_shorthand_expands_a_scalar_into_its_field() -> None:
    assert registry.get("browser.click").params is ClickParams
    assert registry.get("call").params is CallParams

    assert TargetParams.model_validate("申請入力.確認へ").target == "申請入力.確認へ"
    assert CallParams.model_validate("common/login.yaml").flow == "common/login.yaml"
    with pytest.raises(ValidationError):
        registry.get("browser.fill").params.model_validate("申請入力.氏名")  # fill has no shorthand
