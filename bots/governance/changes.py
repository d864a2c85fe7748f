"""What changed between two versions of a flow, in sentences an approver who does not read YAML
understands: steps added, removed or changed (phrased as in the 手順書), selector candidates with
their old and new values, and the flow's metadata (owner, deputy, 所管課, columns …).

Steps are aligned per block (setup, steps, verify, …) and per sub-flow (by its reference) with
``difflib`` on their phrases, so a step inserted in the middle is one addition, not a cascade of
changes. Selector maps are compared per screen, element and candidate: the approval gate names
exactly the element whose candidates changed (:func:`selector_changes`).
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bots.governance.change import Change, shown
from bots.governance.phrase_values import Wording
from bots.governance.phrasing import SECTIONS, StepLine, section_steps, section_title, step_lines
from bots.governance.selector_changes import selector_changes
from bots.i18n import tr

if TYPE_CHECKING:
    from bots.flow.loader import LoadedFlow
    from bots.flow.model import InputSpec
    from bots.records.model import ColumnSpec
    from bots.selectors.model import SelectorMap

# ---- the whole flow --------------------------------------------------------------------------

def flow_changes(old: LoadedFlow, new: LoadedFlow) -> list[Change]:
    """Every difference between two versions of a flow: metadata, steps, sub-flows, selectors, form."""
    found = metadata_changes(old, new)
    found.extend(_block_changes(old, new))
    found.extend(_subflow_changes(old, new))
    old_maps, new_maps = _selector_maps(old), _selector_maps(new)
    for system in sorted(set(old_maps) | set(new_maps)):
        if system not in new_maps:
            found.append(Change("removed", system, tr("セレクタ定義 {s} を使わなくなりました", "selector map {s} no longer used",
                                                      s=system), "selectors"))
        elif system not in old_maps:
            found.append(Change("added", system, tr("セレクタ定義 {s} を使うようになりました", "selector map {s} now used",
                                                    s=system), "selectors"))
        else:
            found.extend(selector_changes(old_maps[system], new_maps[system]))
    found.extend(_form_changes(old, new))
    return found


def metadata_changes(old: LoadedFlow, new: LoadedFlow, *, prefix: str = "") -> list[Change]:
    """The flow's declarations: people, version, data classes, systems, inputs, records, settings,
    outputs and run outputs."""
    a, b = old.flow, new.flow
    found: list[Change] = []

    def compare(field: str, label: str, before: Any, after: Any) -> None:
        if before != after:
            found.append(Change("changed", prefix + field, tr("{l}を変更: {a} → {b}", "{l} changed: {a} → {b}",
                                                              l=prefix_label(prefix) + label, a=shown(before),
                                                              b=shown(after)), "metadata"))

    compare("title", tr("名前", "title"), a.title, b.title)
    compare("version", tr("版", "version"), a.version, b.version)
    compare("owner", tr("所有者", "owner"), a.owner, b.owner)
    compare("deputy", tr("副担当", "deputy"), a.deputy, b.deputy)
    compare("department", tr("所管課", "department"), getattr(a, "department", None), getattr(b, "department", None))
    compare("contact", tr("連絡先", "contact"), getattr(a, "contact", None), getattr(b, "contact", None))
    compare("description", tr("説明", "description"), a.description, b.description)
    compare("data_classes", tr("扱う個人情報", "data classes"), list(a.data_classes), list(b.data_classes))
    compare("outputs", tr("出力", "outputs"), list(a.outputs), list(b.outputs))
    compare("run_outputs", tr("実行結果（実行全体で1つの値）", "run results (one value per run)"),
            list(getattr(a, "run_outputs", ())), list(getattr(b, "run_outputs", ())))
    compare("env", tr("読む環境変数", "environment variables"), list(a.env), list(b.env))
    compare("record_columns", tr("呼び出し元から読む列", "columns read from the caller"), list(a.record_columns),
            list(b.record_columns))
    found.extend(_mapping_changes(prefix + "systems", prefix_label(prefix) + tr("対象システム", "target system"),
                                  {k: v.model_dump(exclude_defaults=True) for k, v in a.systems.items()},
                                  {k: v.model_dump(exclude_defaults=True) for k, v in b.systems.items()}))
    found.extend(_mapping_changes(prefix + "inputs", prefix_label(prefix) + tr("入力", "input"),
                                  {k: input_text(v) for k, v in a.inputs.items()},
                                  {k: input_text(v) for k, v in b.inputs.items()}))
    found.extend(_settings_changes(a.settings.model_dump(), b.settings.model_dump(), prefix))
    found.extend(_records_changes(a.records, b.records, prefix))
    before_found = a.verify.found if a.verify else None
    after_found = b.verify.found if b.verify else None
    compare("verify.found", tr("登録済みと判断する条件", "the condition that means already registered"),
            before_found, after_found)
    return found


def prefix_label(prefix: str) -> str:
    """``サブフロー common/x.yaml の`` for a sub-flow's changes, empty for the flow's own."""
    return tr("サブフロー {p} の", "sub-flow {p}: ", p=prefix.rstrip(":")) if prefix else ""


def _records_changes(before: Any, after: Any, prefix: str) -> list[Change]:
    label = prefix_label(prefix)
    if before is None and after is None:
        return []
    if before is None or after is None or before.source != after.source:
        return [Change("changed", prefix + "records", tr("{p}レコードの読み元を変更: {a} → {b}",
                                                         "{p}record source changed: {a} → {b}", p=label,
                                                         a=_source(before), b=_source(after)), "metadata")]
    found: list[Change] = []
    plain_a = before.model_dump(exclude={"columns", "key"}, by_alias=True)
    plain_b = after.model_dump(exclude={"columns", "key"}, by_alias=True)
    for key in sorted(set(plain_a) | set(plain_b)):
        if plain_a.get(key) != plain_b.get(key):
            found.append(Change("changed", f"{prefix}records.{key}", tr(
                "{p}レコードの {k} を変更: {a} → {b}", "{p}records {k} changed: {a} → {b}", p=label, k=key,
                a=shown(plain_a.get(key)), b=shown(plain_b.get(key))), "metadata"))
    if list(before.key) != list(after.key):
        found.append(Change("changed", prefix + "records.key", tr(
            "{p}レコードのキー（同じ行と見なす列）を変更: {a} → {b}", "{p}record key changed: {a} → {b}", p=label,
            a=shown(list(before.key)), b=shown(list(after.key))), "metadata"))
    found.extend(_mapping_changes(prefix + "records.columns", label + tr("列", "column"),
                                  {k: column_text(v) for k, v in before.columns.items()},
                                  {k: column_text(v) for k, v in after.columns.items()}))
    return found


def column_text(column: ColumnSpec) -> str:
    """A record column's declaration in words: 「型 kana・必須・伏字」."""
    parts = [tr("型 {t}", "type {t}", t=column.type)]
    if column.required:
        parts.append(tr("必須", "required"))
    if column.sensitive:
        parts.append(tr("伏字", "masked"))
    if column.header:
        parts.append(tr("見出し「{h}」", "header “{h}”", h=column.header))
    return tr("・", ", ").join(parts)


def input_text(spec: InputSpec) -> str:
    """An input's declaration in words: 「型 path・既定 flows/data/…・必須」."""
    parts = [tr("型 {t}", "type {t}", t=spec.type)]
    if spec.default not in (None, ""):
        parts.append(tr("既定 {d}", "default {d}", d=shown(spec.default)))
    if spec.required:
        parts.append(tr("必須", "required"))
    if spec.description:
        parts.append(tr("説明「{d}」", "description “{d}”", d=shown(spec.description)))
    return tr("・", ", ").join(parts)


def _source(records: Any) -> str:
    if records is None:
        return tr("（なし）", "(none)")
    return "Excel" if records.source == "excel" else tr("帳票（OCR）", "forms (OCR)")


def _settings_changes(before: dict[str, Any], after: dict[str, Any], prefix: str) -> list[Change]:
    return [Change("changed", f"{prefix}settings.{key}", tr("{p}設定 {k} を変更: {a} → {b}", "{p}setting {k} changed: {a} → {b}",
                                                           p=prefix_label(prefix), k=key, a=shown(before.get(key)),
                                                           b=shown(after.get(key))), "metadata")
            for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)]


def _mapping_changes(where: str, label: str, before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Named items (inputs, columns, systems): each added, removed or changed, with its settings."""
    found: list[Change] = []
    for name in list(before) + [n for n in after if n not in before]:
        if name not in after:
            found.append(Change("removed", f"{where}.{name}", tr("{l}『{n}』を削除", "{l} removed: {n}", l=label, n=name),
                                "metadata"))
        elif name not in before:
            found.append(Change("added", f"{where}.{name}", tr("{l}『{n}』を追加（{s}）", "{l} added: {n} ({s})", l=label,
                                                               n=name, s=shown(after[name])), "metadata"))
        elif before[name] != after[name]:
            found.append(Change("changed", f"{where}.{name}", tr("{l}『{n}』を変更: {a} → {b}", "{l} {n} changed: {a} → {b}",
                                                                 l=label, n=name, a=shown(before[name]),
                                                                 b=shown(after[name])), "metadata"))
    return found


# ---- steps -----------------------------------------------------------------------------------

def _block_changes(old: LoadedFlow, new: LoadedFlow, *, subflow: str | None = None) -> list[Change]:
    """The flow's blocks (a called sub-flow runs only its ``steps``), each aligned on its own."""
    found: list[Change] = []
    for block in SECTIONS if subflow is None else ("steps",):
        before = step_lines(section_steps(old, block), Wording.of(old))
        after = step_lines(section_steps(new, block), Wording.of(new))
        section = section_title(block) if subflow is None else tr("サブフロー {r}", "sub-flow {r}", r=subflow)
        found.extend(step_changes(before, after, section))
    return found


def step_changes(before: list[StepLine], after: list[StepLine], section: str) -> list[Change]:
    """Steps added, removed or changed between two lists of lines of one block, aligned by difflib."""
    old_texts, new_texts = [_aligned(line) for line in before], [_aligned(line) for line in after]
    found: list[Change] = []
    matcher = difflib.SequenceMatcher(a=old_texts, b=new_texts, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            for old_line, new_line in zip(before[i1:i2], after[j1:j2], strict=True):
                found.append(Change("changed", _where(section, new_line), tr(
                    "手順を変更（{w}）: {a} → {b}", "step changed ({w}): {a} → {b}", w=_where(section, new_line),
                    a=old_line.text, b=new_line.text)))
            continue
        for line in before[i1:i2]:
            found.append(Change("removed", _where(section, line), tr(
                "手順を削除（{w}）: {t}", "step removed ({w}): {t}", w=_where(section, line), t=line.text)))
        for line in after[j1:j2]:
            found.append(Change("added", _where(section, line), tr(
                "手順を追加（{w}）: {t}", "step added ({w}): {t}", w=_where(section, line), t=line.text)))
    return found


def _aligned(line: StepLine) -> str:
    """What two lines must share to be the same step: depth and phrase (not the number, which
    shifts when a step is inserted above)."""
    return f"{line.depth}\0{line.text}"


def _where(section: str, line: StepLine) -> str:
    number = line.number or "-"
    return tr("{s}・{n} 番目", "{s}, step {n}", s=section, n=number)


# ---- sub-flows -------------------------------------------------------------------------------

def _subflow_changes(old: LoadedFlow, new: LoadedFlow) -> list[Change]:
    """Each sub-flow the two versions call, matched by where it is: steps and metadata compared."""
    before, after = _subflows(old), _subflows(new)
    found: list[Change] = []
    for ref in sorted(set(before) | set(after)):
        if ref not in after:
            found.append(Change("removed", ref, tr("サブフローを呼ばなくなりました: {r}（{t}）", "sub-flow no longer called: "
                                                   "{r} ({t})", r=ref, t=before[ref].flow.title)))
        elif ref not in before:
            found.append(Change("added", ref, tr("サブフローを呼ぶようになりました: {r}（{t}）", "sub-flow now called: {r} ({t})",
                                                 r=ref, t=after[ref].flow.title)))
        else:
            prefix = ref + ":"
            found.extend(metadata_changes(before[ref], after[ref], prefix=prefix))
            found.extend(_block_changes(before[ref], after[ref], subflow=ref))
    return found


def _subflows(loaded: LoadedFlow) -> dict[str, LoadedFlow]:
    """Every sub-flow reached from the flow, keyed by its path relative to the flow's folder."""
    base = loaded.path.parent
    found: dict[str, LoadedFlow] = {}
    pending = list(loaded.subflows.values())
    while pending:
        sub = pending.pop(0)
        key = _relative(sub.path, base)
        if key not in found:
            found[key] = sub
            pending.extend(sub.subflows.values())
    return found


def _relative(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.name


# ---- selectors -------------------------------------------------------------------------------

def _selector_maps(loaded: LoadedFlow) -> dict[str, SelectorMap]:
    """The selector maps of the flow and its sub-flows, by system."""
    maps: dict[str, SelectorMap] = {}
    pending = [loaded]
    while pending:
        current = pending.pop(0)
        for name, selector_map in current.selector_maps.items():
            maps.setdefault(selector_map.system or name, selector_map)
        pending.extend(current.subflows.values())
    return maps


# ---- form template ---------------------------------------------------------------------------

def _form_changes(old: LoadedFlow, new: LoadedFlow) -> list[Change]:
    a, b = old.form_template, new.form_template
    if a is None and b is None:
        return []
    if a is None or b is None or a.form != b.form:
        return [Change("changed", "form", tr("帳票定義を変更: {a} → {b}", "form template changed: {a} → {b}",
                                             a=a.form if a else tr("（なし）", "(none)"),
                                             b=b.form if b else tr("（なし）", "(none)")), "form")]
    before = {k: json.dumps(v.model_dump(mode="json"), sort_keys=True) for k, v in a.fields.items()}
    after = {k: json.dumps(v.model_dump(mode="json"), sort_keys=True) for k, v in b.fields.items()}
    changed = [k for k in list(before) + [n for n in after if n not in before] if before.get(k) != after.get(k)]
    rest_a = json.dumps(a.model_dump(mode="json", exclude={"fields"}), sort_keys=True)
    rest_b = json.dumps(b.model_dump(mode="json", exclude={"fields"}), sort_keys=True)
    if not changed and rest_a == rest_b:
        return []
    detail = tr("欄 {f}", "fields {f}", f=", ".join(changed)) if changed else tr("様式全体の設定", "form-wide settings")
    return [Change("changed", f"form {b.form}", tr("帳票定義 {f}（{t}）を変更: {d}", "form template {f} ({t}) changed: {d}",
                                                   f=b.form, t=b.title, d=detail), "form")]


__all__ = ["Change", "flow_changes", "selector_changes"]
