"""Secrets are passed whole or not at all; ``env`` holds only what the flow declares.

Issue 16: masking caught only a secret's exact value, so ``{{ secrets.X | upper }}``,
``| reverse | join('')``, ``| join(' ')`` and slices reached ``run.jsonl`` in clear, and
``{{ env }}`` wrote the whole process environment into the run log. Now every use of ``secrets``
other than ``"{{ secrets.NAME }}"`` as the whole value of a secret parameter is refused by
``validate`` at ``file:line:col`` *and* at run time; the test enumerates the sandbox's filters,
so a filter added later is covered without touching this file.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bots import i18n
from bots.actions.browser import FillParams
from bots.actions.control import LogParams
from bots.engine.context import RunContext, Scope, namespace
from bots.engine.steprunner import render_params
from bots.errors import StepError
from bots.flow.expressions import ENV, SECRETS_REFUSED, SecretMisuse, evaluate, render, whole_secret
from bots.flow.loader import load_flow
from bots.masking import Masker
from bots.project import Project
from bots.secrets import SecretsView

SECRET = "demo-pass-2026"
NS: dict[str, Any] = {"record": {}, "inputs": {}, "vars": {}, "env": {}, "run": {}, "secrets": SECRETS_REFUSED}

#: Ways to derive something from a secret besides the filters (each must be refused).
DERIVED = [
    "{{ secrets.PW[1:] }}", "{{ secrets.PW[:-1] }}", "{{ secrets.PW[::-1] }}", "{{ secrets.PW[0] }}",
    "{{ 'x' ~ secrets.PW }}", "{{ secrets.PW ~ '' }}", "{{ secrets.PW + 'x' }}", "{{ secrets.PW * 2 }}",
    "{{ '%s' % secrets.PW }}", "{{ '%s' | format(secrets.PW) }}", "{{ '{}'.format(secrets.PW) }}",
    "{{ secrets.PW.upper() }}", "{{ secrets.PW.split('-') }}", "{{ secrets['PW'] | string }}",
    "{{ secrets.get('PW') }}", "{{ secrets | list }}", "{{ secrets.items() | list }}", "{{ secrets }}",
    "{% for c in secrets.PW %}{{ c }} {% endfor %}", "{% set s = secrets.PW %}{{ s }}",
    "{{ secrets.PW == 'guess' }}", "{{ secrets.PW | length }}", "{{ [secrets.PW] }}",
    "{{ {'k': secrets.PW} }}", "{{ secrets.PW if true }}", "pw: {{ secrets.PW }}",
]


def filter_templates() -> list[str]:
    return [f"{{{{ secrets.PW | {name} }}}}" for name in sorted(ENV.filters)]


@pytest.mark.parametrize("text", filter_templates() + DERIVED)
def test_no_expression_can_read_a_secret(text: str) -> None:
    with pytest.raises(SecretMisuse) as caught:
        render(text, NS)

    assert "secrets はパスワード等の欄" in caught.value.message
    assert SECRET not in caught.value.message


@pytest.mark.parametrize("text", ["secrets.PW == 'x'", "secrets.PW | length > 3", "secrets"])
def test_no_condition_can_read_a_secret(text: str) -> None:
    with pytest.raises(SecretMisuse):
        evaluate(text, NS)


def test_a_whole_secret_in_a_secret_field_is_the_only_way_in() -> None:
    resolved: list[str] = []

    def secret(name: str) -> str:
        resolved.append(name)
        return SECRET

    whole = render_params(FillParams(target="ログイン.パスワード", value="{{ secrets.PW }}"), NS, secret=secret)
    bracketed = render_params(FillParams(target="ログイン.パスワード", value="{{ secrets['PW'] }}"), NS, secret=secret)

    assert whole.value == bracketed.value == SECRET  # type: ignore[attr-defined]
    assert resolved == ["PW", "PW"]
    with pytest.raises(SecretMisuse):  # derived, in a secret field
        render_params(FillParams(target="ログイン.パスワード", value="{{ secrets.PW | upper }}"), NS, secret=secret)
    with pytest.raises(SecretMisuse):  # whole, in a field that is logged
        render_params(LogParams(message="{{ secrets.PW }}"), NS, secret=secret)
    assert whole_secret("  {{ secrets.PW }} ") == "PW"
    assert whole_secret("{{ secrets.PW }}{{ secrets.PW }}") is None


def test_a_secret_too_short_to_mask_is_refused() -> None:
    masker = Masker()
    view = SecretsView(masker, {"PIN": "123", "PW": SECRET})

    with pytest.raises(StepError, match="短すぎて伏せ字にできない"):
        view["PIN"]
    assert view["PW"] == SECRET
    assert masker.text(f"x {SECRET} y") == "x ［秘匿］ y"


# --- validate ------------------------------------------------------------------------------------

FLOW_HEAD = """\
id: secret-use
title: 秘密情報の使い方
version: 1.0.0
owner: 情報政策係
env: [KZ_DEMO_URL]
systems:
  demo_web:
    base_url: "{{ env.KZ_DEMO_URL }}"
steps:
  - browser.open: {system: demo_web, url: /login}
"""


def write_flow(tmp_path: Path, steps: list[str]) -> Path:
    path = tmp_path / "flow.yaml"
    path.write_text(FLOW_HEAD + "".join(f"  - {s}\n" for s in steps), encoding="utf-8")
    return path


def test_validate_refuses_every_filter_and_derivation_at_its_line(tmp_path: Path, repo_project: Project) -> None:
    templates = filter_templates() + DERIVED
    steps = [f"log: {t!r}".replace("secrets.PW", "secrets.KZ_DEMO_PASSWORD").replace("secrets['PW']",
                                                                                      "secrets['KZ_DEMO_PASSWORD']")
             for t in templates]
    first = FLOW_HEAD.count("\n") + 1

    _, found = load_flow(write_flow(tmp_path, steps), repo_project)

    lines = sorted(d.pos.line for d in found.errors if d.pos and "secrets はパスワード等の欄" in d.message)
    assert lines == list(range(first, first + len(templates)))


def test_validate_accepts_a_whole_secret_in_a_password_field_in_any_branch(tmp_path: Path,
                                                                           repo_project: Project) -> None:
    steps = [
        'browser.fill: {target: ログイン.パスワード, value: "{{ secrets.KZ_DEMO_PASSWORD }}"}',
        textwrap.dedent("""\
        if:
              cond: "true"
              then: [{browser.fill: {target: ログイン.パスワード, value: "{{ secrets.KZ_DEMO_PASSWORD }}"}}]
              else: [{browser.fill: {target: ログイン.パスワード, value: "{{ secrets['KZ_DEMO_PASSWORD'] }}"}}]"""),
    ]

    loaded, found = load_flow(write_flow(tmp_path, steps), repo_project)

    assert [d.render() for d in found] == []
    assert loaded is not None


def test_validate_messages_in_english(tmp_path: Path, repo_project: Project) -> None:
    i18n.set_language("en")
    try:
        _, found = load_flow(write_flow(tmp_path, ["log: \"{{ secrets.KZ_DEMO_PASSWORD | upper }}\"",
                                                   "log: \"{{ env }}\""]), repo_project)
    finally:
        i18n.set_language(None)
    messages = [d.message for d in found.errors]
    assert any(m.startswith("secrets may only be passed whole") for m in messages)
    assert any(m.startswith("read env as env.NAME") for m in messages)


# --- env -----------------------------------------------------------------------------------------


def test_env_holds_only_the_declared_names(tmp_path: Path, repo_project: Project) -> None:
    loaded, found = load_flow(write_flow(tmp_path, ["log: \"{{ env.KZ_DEMO_URL }}\""]), repo_project)
    assert loaded is not None, [d.render() for d in found]
    run: Any = SimpleNamespace(env={"KZ_DEMO_URL": "http://127.0.0.1:8800", "KZ_OTHER_PASSWORD": "other-s3cret-77",
                                    "HOME": "/root"}, loaded=loaded, inputs={}, run_namespace=dict)
    run.env_of = lambda flow: RunContext.env_of(run, flow)

    names = namespace(run, Scope(vars={}))

    assert names["env"] == {"KZ_DEMO_URL": "http://127.0.0.1:8800"}
    assert names["secrets"] is SECRETS_REFUSED
    shown = render("{{ env }} {{ env | list }}", names)  # even if validate were bypassed
    assert "other-s3cret-77" not in shown and "HOME" not in shown
