"""Checks that need more than one file or the whole flow: selectors, expressions, sub-flows.

Run after the model validated and the loader linked the selector maps, form template and
sub-flows, so every step is typed and every referenced file is at hand; this module reads no
file. Positions come from the raw YAML.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from jinja2 import TemplateSyntaxError

from bots.flow.checks_states import check_step
from bots.flow.element_refs import element_problem
from bots.flow.expr_rules import env_declaration_problems, env_problems, secret_names, secret_problems
from bots.flow.expr_static import cost_problems, literal_length
from bots.flow.expressions import ENV, ROOTS, is_template, parse, tree_references
from bots.flow.model import FormRecords
from bots.flow.steps import StepBase
from bots.i18n import tr
from bots.spec.diagnostics import Diagnostic, Diagnostics, Severity
from bots.spec.validation import suggest

if TYPE_CHECKING:
    from bots.flow.loader import LoadedFlow

Loc = tuple[str | int, ...]
BARE_KEYS = frozenset({"when", "cond", "items", "found"})
RUN_ATTRS = ("id", "started_at", "dry_run", "flow_id", "flow_version", "date")
STEP_BLOCKS = ("setup", "steps", "on_session_expired", "on_record_failure", "teardown")


def iter_steps(steps: list[StepBase], loc: Loc) -> Iterator[tuple[StepBase, Loc]]:
    """Every step with its data path, nested ones (if/for_each/group) included."""
    for index, step in enumerate(steps):
        here = (*loc, index)
        yield step, here
        for field_name, info in type(step.params).model_fields.items():
            value = getattr(step.params, field_name)
            if isinstance(value, list) and value and all(isinstance(v, StepBase) for v in value):
                # The key as written (``else``, not the attribute ``else_``), so positions resolve.
                yield from iter_steps(value, (*here, data_key(step), info.alias or field_name))


def data_key(step: StepBase) -> str:
    """The action key as written (an alias such as ``set`` or the full ``control.set``)."""
    return type(step).model_fields["p"].alias or step.action


def all_steps(flow: Any) -> Iterator[tuple[StepBase, Loc]]:
    """Every step of a flow, in every block (``verify`` too), with its data path for the diagnostic."""
    for block in STEP_BLOCKS:
        yield from iter_steps(list(getattr(flow, block, []) or []), (block,))
    verify = getattr(flow, "verify", None)
    if verify is not None:
        yield from iter_steps(list(verify.steps), ("verify", "steps"))


def assigned_vars(flow: Any) -> set[str]:
    """Names a flow assigns: ``set`` keys, ``into:`` fields, ``for_each``'s ``as``."""
    names: set[str] = set()
    for step, _ in all_steps(flow):
        names.update(step.params.assigned_names() if hasattr(step.params, "assigned_names") else ())
    return names


def commits(loaded: LoadedFlow) -> bool:
    """Whether the flow, or a sub-flow it calls, has a step marked ``commit: true``."""
    return (any(s.commit or s.spec.commits for s, _ in all_steps(loaded.flow))
            or any(commits(sub) for sub in loaded.subflows.values()))


class _Checker:
    def __init__(self, loaded: LoadedFlow) -> None:
        self.loaded = loaded
        self.flow = loaded.flow
        self.found = Diagnostics()
        self.vars = assigned_vars(self.flow)
        #: Where a whole ``{{ secrets.NAME }}`` is allowed: the secret fields of each step.
        self.secret_locs = {(*loc, data_key(step), name) for step, loc in all_steps(self.flow)
                            for name in getattr(type(step.params), "secret_fields", ())}
        self.secrets_used: set[str] = set()

    def add(self, loc: Loc, message: str, severity: Severity = Severity.ERROR, *, key: bool = False) -> None:
        source = self.loaded.source
        pos = source.key_pos_of(loc) if key else source.pos_of(loc)
        self.found.append(Diagnostic(self.loaded.path, pos, message, severity))

    def run(self) -> Diagnostics:
        self.form_template()
        for step, loc in all_steps(self.flow):
            self.step(step, loc)
        self.expressions(self.loaded.source.data, ())
        self.env_declaration()
        for block in STEP_BLOCKS:
            self.loops(list(getattr(self.flow, block, []) or []), (block,), 1)
        for index, name in enumerate(self.flow.outputs):
            if name not in self.vars:
                self.add(("outputs", index), tr("出力 '{n}' はどのステップでも設定されていません。",
                                                "output '{n}' is never set by a step.", n=name)
                         + suggest(name, self.vars))
        self.run_outputs()
        if self.flow.records and not commits(self.loaded):
            self.add(("steps",), tr("commit: true のステップがありません。--dry-run で基幹システムへの登録を止められません",
                                    "no step is marked commit: true; --dry-run cannot hold back the final submit"),
                     Severity.WARNING, key=True)
        return self.found

    def run_outputs(self) -> None:
        """Each ``run_outputs`` name must be set in ``setup`` or ``teardown``: a record's own
        ``vars`` are gone when the record ends, so a name set only in ``steps`` never reaches the run."""
        run_vars: set[str] = set()
        for block in ("setup", "teardown"):
            for step, _ in iter_steps(list(getattr(self.flow, block, []) or []), (block,)):
                run_vars.update(step.params.assigned_names() if hasattr(step.params, "assigned_names") else ())
        for index, name in enumerate(getattr(self.flow, "run_outputs", ())):
            if name not in run_vars:
                self.add(("run_outputs", index), tr(
                    "実行結果 '{n}' は setup・teardown のどのステップでも設定されていません"
                    "（steps で設定した値はレコードごとに消えるため、実行結果になりません）。",
                    "run output '{n}' is never set by a setup or teardown step (what steps set belongs to one "
                    "record and is gone when it ends).", n=name) + suggest(name, run_vars))

    def form_template(self) -> None:
        """The form fields the flow's columns name must exist in its template."""
        records, template = self.flow.records, self.loaded.form_template
        if not isinstance(records, FormRecords) or template is None:
            return
        for name in records.columns:
            if name not in template.fields:
                self.add(("records", "columns", name), tr("帳票定義 '{f}' に欄 '{n}' がありません。", "form '{f}' has no "
                                                          "field '{n}'.", f=records.form, n=name)
                         + suggest(name, template.fields), key=True)

    def step(self, step: StepBase, loc: Loc) -> None:
        params = step.params
        key = data_key(step)
        system_name = getattr(params, "system", None)
        if isinstance(system_name, str) and not is_template(system_name) and system_name not in self.flow.systems:
            self.add((*loc, key, "system"), tr("不明なシステム '{s}'。", "unknown system '{s}'.", s=system_name)
                     + suggest(system_name, self.flow.systems))
            system_name = None
            targets: tuple[str, ...] = ()
        else:
            targets = type(params).target_fields
        for field_name in targets:
            target = getattr(params, field_name, None)
            if target is None:
                continue
            where = (*loc, key, field_name)
            if isinstance(target, str):
                self.target(target, system_name, where, step)
            else:
                self.add(where, tr("セレクタ定義を使わない直接指定です。画面変更時の修正箇所が散らばります",
                                   "raw locator; put it in the selector map so a screen change is fixed in one place"),
                         Severity.WARNING)
        check_step(self, step, loc, key)  # optional: and visible() (bots.flow.checks_states)
        if step.action == "control.call":
            self.call(str(params.flow), (*loc, key, "flow"))  # type: ignore[attr-defined]

    def target(self, ref: str, system_name: str | None, where: Loc, step: StepBase) -> None:
        kind = "desktop" if step.action.startswith("desktop.") else "web"
        system = system_name or self.flow.default_system(kind)
        if system is None:
            self.add(where, tr("system を指定してください（対象システムが一つに決まりません）",
                               "name the system: the flow has no single {k} system", k=kind))
            return
        if system not in self.flow.systems:
            self.add(where, tr("不明なシステム '{s}'。", "unknown system '{s}'.", s=system)
                     + suggest(system, self.flow.systems))
            return
        selector_map = self.loaded.selector_maps.get(system)
        if selector_map is None:
            return
        if problem := element_problem(selector_map, system, ref):
            self.add(where, problem)

    def call(self, ref: str, where: Loc) -> None:
        sub = self.loaded.subflows.get(ref)
        if sub is not None:  # the loader linked it, or reported why not
            self.record_columns_of(sub.flow, ref, where)

    def record_columns_of(self, sub: Any, ref: str, where: Loc) -> None:
        """A sub-flow that reads the caller's record needs a record, with the columns it reads."""
        if not sub.record_columns:
            return
        if where[0] in ("setup", "teardown"):
            self.add(where, tr("サブフロー '{r}' はレコードを使うので、{b} からは呼べません",
                               "sub-flow '{r}' uses the current record: it cannot be called from {b}", r=ref, b=where[0]))
            return
        missing = [name for name in sub.record_columns if name not in self.flow.record_column_names()]
        if missing:
            self.add(where, tr("サブフロー '{r}' が使う列がこのフローのレコードにありません: {m}",
                               "sub-flow '{r}' reads columns this flow's records lack: {m}", r=ref, m=", ".join(missing)))

    def expressions(self, node: Any, loc: Loc) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in BARE_KEYS and isinstance(value, str):
                    self.expression(value, (*loc, key), is_bare=True)
                else:
                    self.expressions(value, (*loc, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                self.expressions(value, (*loc, index))
        elif isinstance(node, str) and is_template(node):
            self.expression(node, loc, is_bare=False)

    def expression(self, text: str, loc: Loc, *, is_bare: bool) -> None:
        try:
            tree = parse(text, is_bare=is_bare)
        except TemplateSyntaxError as exc:
            self.add(loc, tr("式の構文エラー: {e}", "expression syntax error: {e}", e=exc.message))
            return
        for problem in cost_problems(tree):
            self.add(loc, tr("式が上限を超えます: {e}", "expression over its limit: {e}", e=problem))
        for problem in secret_problems(tree, text, takes_secret=not is_bare and loc in self.secret_locs):
            self.add(loc, problem)
        self.secrets_used |= secret_names(tree)
        for problem in env_problems(tree, self.flow.env):
            self.add(loc, problem)
        refs = tree_references(tree)
        columns = self.flow.record_column_names()
        known = {"record": columns, "inputs": set(self.flow.inputs), "vars": self.vars, "run": set(RUN_ATTRS)}
        for ref in refs:
            if ref.root in ENV.globals or ref.root in ENV.filters:
                continue
            if ref.root not in ROOTS:
                self.add(loc, tr("未定義の名前 '{n}'（使える名前: {r}）。", "undefined name '{n}' (available: {r}).",
                                 n=ref.root, r=", ".join(ROOTS)) + suggest(ref.root, ROOTS))
            elif ref.root in known and ref.attr is not None and ref.attr not in known[ref.root]:
                if ref.root == "record" and not columns:
                    message = tr("このフローには records がないので record は使えません"
                                 "（呼び出し元のレコードを使うサブフローは record_columns に列を書きます）",
                                 "record is undefined: this flow declares no records (a sub-flow that uses the "
                                 "caller's record lists its columns in record_columns)")
                else:
                    message = tr("未定義の変数 '{r}.{a}'。", "undefined variable '{r}.{a}'.", r=ref.root, a=ref.attr) \
                        + suggest(ref.attr, known[ref.root])
                self.add(loc, message)

    def env_declaration(self) -> None:
        for index, name in enumerate(self.flow.env):
            errors, warnings = env_declaration_problems(name, self.secrets_used)
            for message in errors:
                self.add(("env", index), message)
            for message in warnings:
                self.add(("env", index), message, Severity.WARNING)

    def loops(self, steps: list[StepBase], loc: Loc, outer: int) -> None:
        """``for_each`` over a literal list or range: its length, times the loops around it,
        must stay within ``settings.max_loop_iterations`` (the run-time cap)."""
        cap = self.flow.settings.max_loop_iterations
        for index, step in enumerate(steps):
            here, key, total = (*loc, index), data_key(step), outer
            if step.action == "control.for_each":
                items = str(step.params.items)  # type: ignore[attr-defined]
                try:
                    length = literal_length(parse(items, is_bare=True))
                except TemplateSyntaxError:
                    length = None  # reported by expression()
                total = outer * (length or 1)
                if total > cap:
                    self.add((*here, key, "items"), tr(
                        "for_each の繰り返しが合計 {n} 回になります（上限 settings.max_loop_iterations = {m}）",
                        "for_each runs {n} times in all (limit settings.max_loop_iterations = {m})",
                        n=f"{total:,}", m=f"{cap:,}"))
                    continue
            for field_name, info in type(step.params).model_fields.items():
                value = getattr(step.params, field_name)
                if isinstance(value, list) and value and all(isinstance(v, StepBase) for v in value):
                    self.loops(value, (*here, key, info.alias or field_name), total)


def check_flow(loaded: LoadedFlow) -> Diagnostics:
    """Every semantic problem of a linked flow (the loader has linked its files)."""
    return _Checker(loaded).run()
