"""The step reference as Markdown: ``runner.py steps`` prints it, ``docs/steps.md`` is its Japanese text.

Rendering only, in the current language (:func:`bots.i18n.tr`); what each step says comes from
:mod:`bots.api.step_docs` (docstrings and ``Field`` descriptions of the registered steps). A unit
test regenerates the file and fails when it is stale, naming :data:`REGENERATE`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bots.api.step_docs import (
    COMMON_EXAMPLE,
    ParamDoc,
    StepDoc,
    common_keys,
    families,
    retry_keys,
    step_docs,
)
from bots.i18n import tr

#: How to bring ``docs/steps.md`` up to date (the staleness test tells this).
REGENERATE = "make docs  (python runner.py --lang ja steps --markdown > docs/steps.md)"


def family_title(family: str) -> str:
    """``browser — ブラウザ（Web システム）``; a new family shows its bare name until named here."""
    titles = {
        "browser": tr("ブラウザ（Web システム）", "browser (web systems)"),
        "control": tr("制御（変数・条件・繰り返し・サブフロー）", "control (variables, conditions, loops, sub-flows)"),
        "desktop": tr("デスクトップ（クライアント型の業務アプリ）", "desktop (thick-client applications)"),
        "excel": tr("Excel（参照表の読み込み）", "Excel (reading lookup sheets)"),
        "ocr": tr("OCR（紙の帳票の読み取り）", "OCR (reading scanned forms)"),
    }
    return f"{family} — {titles[family]}" if family in titles else family


def anchor(heading: str) -> str:
    """The fragment GitHub gives a heading: ``browser.fill`` → ``browserfill``."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _params_table(params: Iterable[ParamDoc]) -> list[str]:
    lines = [f"| {tr('キー', 'key')} | {tr('型', 'type')} | {tr('必須・既定値', 'required / default')} "
             f"| {tr('説明', 'description')} |", "| --- | --- | --- | --- |"]
    for p in params:
        need = tr("必須", "required") if p.required else (f"`{p.default}`" if p.default is not None
                                                          else tr("省略可", "optional"))
        lines.append(f"| `{p.name}` | {_cell(p.type)} | {_cell(need)} | {_cell(p.description)} |")
    return lines


def _facts(doc: StepDoc) -> list[str]:
    """Aliases, shorthand and whether the step commits, as a bullet list."""
    facts = []
    if doc.aliases:
        facts.append(tr("別名: {a}", "aliases: {a}", a=", ".join(f"`{a}`" for a in doc.aliases)))
    if doc.shorthand is not None:
        written = doc.aliases[0] if doc.aliases else doc.name
        facts.append(tr("短縮形: `{n}: 値` は `{n}: {{{k}: 値}}` と同じです", "shorthand: `{n}: VALUE` means "
                        "`{n}: {{{k}: VALUE}}`", n=written, k=doc.shorthand))
    if doc.commits:
        facts.append(tr("登録操作: はい（対象システムに登録します。`--dry-run` では実行しません）",
                        "commit step: yes (writes to the target system; not run by `--dry-run`)"))
    else:
        facts.append(tr("登録操作: いいえ（登録・送信するステップには `commit: true` を付けます）",
                        "commit step: no (mark the step that submits with `commit: true`)"))
    return [f"- {f}" for f in facts]


def step_markdown(doc: StepDoc, level: int = 3) -> str:
    """One step's page: summary, why/when, facts, parameters, YAML examples."""
    h = "#" * level
    lines = [f"{h} {doc.name}", "", doc.summary, ""]
    if doc.description:
        lines += [doc.description, ""]
    lines += [*_facts(doc), "", f"{h}# {tr('パラメータ', 'Parameters')}", ""]
    if doc.params:
        lines += _params_table(doc.params)
    else:
        lines.append(tr("ありません（`{n}: {{}}` と書きます）", "none (write `{n}: {{}}`)", n=doc.name))
    lines += ["", f"{h}# {tr('例', 'Example')}", "", "```yaml", *doc.examples, "```"]
    return "\n".join(lines) + "\n"


def index_markdown(family: str | None = None, *, links: bool = False) -> str:
    """The steps grouped by family, each with its summary (links to the pages in the file)."""
    lines: list[str] = []
    for each in [family] if family else families():
        lines += [f"**{family_title(each)}**", "",
                  f"| {tr('ステップ', 'step')} | {tr('概要', 'summary')} |", "| --- | --- |"]
        for doc in step_docs(each):
            name = f"[`{doc.name}`](#{anchor(doc.name)})" if links else f"`{doc.name}`"
            if doc.aliases:
                name += tr("（{a}）", " ({a})", a=", ".join(f"`{a}`" for a in doc.aliases))
            lines.append(f"| {name} | {_cell(doc.summary)} |")
        lines.append("")
    return "\n".join(lines)


def common_keys_markdown(level: int = 2) -> str:
    """The keys any step may carry beside its step name, once for all steps, with ``retry:``'s keys."""
    h = "#" * level
    lines = [f"{h} {tr('共通キー', 'Common keys')}", "",
             tr("どのステップにも、ステップ名のキーと並べて次のキーを書けます。",
                "Any step may carry these keys beside its step name."), "",
             *_params_table(common_keys()), "", f"{h}# {tr('retry のキー', 'Keys of retry')}", "",
             *_params_table(retry_keys()), "", f"{h}# {tr('例', 'Example')}", "",
             "```yaml", COMMON_EXAMPLE.rstrip("\n"), "```"]
    return "\n".join(lines) + "\n"


def reference_markdown() -> str:
    """The whole reference, ``docs/steps.md``: index, common keys, every step's page by family."""
    parts = [
        f"# {tr('ステップ リファレンス', 'Step reference')}",
        tr("<!-- 生成ファイルです。直接編集せず、作り直してください: {r} -->",
           "<!-- Generated: do not edit; regenerate with {r} -->", r=REGENERATE),
        tr("フローの `steps:` に書けるステップの一覧です。各ステップの説明と例はステップ関数の docstring から、"
           "パラメータの説明は params モデルから生成しています。端末では `python runner.py steps 名前` でも同じ内容を表示できます。",
           "Every step a flow's `steps:` may use. Descriptions and examples come from the step functions' "
           "docstrings, parameters from their params models; `python runner.py steps NAME` shows the same page."),
        f"## {tr('一覧', 'Index')}",
        index_markdown(links=True).rstrip("\n"),
        common_keys_markdown(level=2).rstrip("\n"),
    ]
    for family in families():
        parts.append(f"## {family_title(family)}")
        parts += [step_markdown(doc, level=3).rstrip("\n") for doc in step_docs(family)]
    return "\n\n".join(parts) + "\n"
