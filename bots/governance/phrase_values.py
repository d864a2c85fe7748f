"""How the parts of a step read in plain words: elements, windows, values, conditions and keys.

A 手順書 and a change report are read by staff who never open a YAML file, so ``申請入力.氏名``
reads 「申請入力画面の『氏名』」 and ``{{ record.氏名 }}`` reads 「Excel の『氏名』列」 — whatever
the caller's records are, since a sub-flow keys the record of the flow that calls it. A secret
reads as its name only (the value is never known here, and never shown). Anything these rules do
not cover reads as 「式 … の値」: exact, if less friendly, and never wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from jinja2 import TemplateSyntaxError, nodes

from bots.flow.expressions import bare, is_template, parse
from bots.flow.model import ExcelRecords, FormRecords
from bots.i18n import tr
from bots.selectors.model import Candidate

if TYPE_CHECKING:
    from bots.flow.loader import LoadedFlow
    from bots.flow.model import RecordsSpec
    from bots.selectors.model import SelectorMap

RecordKind = Literal["excel", "forms", "record"]
#: A screen a step touches: (system, screen name).
ScreenRef = tuple[str, str]
#: Longest literal or expression quoted in a phrase before it is cut with …
_SHOWN = 60


@dataclass(frozen=True)
class Wording:
    """Where a step is phrased: its own flow (selector maps, sub-flows) and the records that
    ``record.<列>`` reads — the caller's when the step is in a sub-flow inlined under its call."""

    loaded: LoadedFlow
    records: RecordsSpec | None

    @classmethod
    def of(cls, loaded: LoadedFlow) -> Wording:
        """The wording of a flow's own steps: its own records."""
        return cls(loaded, loaded.flow.records)

    def inside(self, sub: LoadedFlow) -> Wording:
        """The wording of a sub-flow's steps called from here: the sub-flow's maps, these records."""
        return Wording(sub, self.records)

    @property
    def record_kind(self) -> RecordKind:
        """Where ``record.<列>`` comes from: Excel rows, scanned forms, or a caller's record."""
        if isinstance(self.records, ExcelRecords):
            return "excel"
        if isinstance(self.records, FormRecords):
            return "forms"
        return "record"

    def system_of(self, name: str | None, kind: str) -> str | None:
        """The system a step acts on: the one it names, else the flow's only system of its kind."""
        return name or self.loaded.flow.default_system(kind)

    def selector_map(self, system: str | None) -> SelectorMap | None:
        """The selector map of a system of this flow, if it loaded."""
        return self.loaded.selector_maps.get(system) if system else None

    def system_title(self, system: str | None) -> str:
        """A system as people call it: the map's title, the flow's title for it, else its key."""
        if system is None:
            return tr("対象システム", "the target system")
        spec = self.loaded.flow.systems.get(system)
        selector_map = self.selector_map(system)
        return (spec.title if spec and spec.title else None) or (selector_map.title if selector_map else None) or system


def shorten(text: str) -> str:
    """One line, at most :data:`_SHOWN` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def quoted(value: Any) -> str:
    """A literal as written: 「"…"」 (empty: 空欄)."""
    if value is None or value == "":
        return tr("空欄", "blank")
    if value is True:
        return tr("「はい」", "“yes”")
    if value is False:
        return tr("「いいえ」", "“no”")
    return f'"{shorten(str(value))}"'


def screen_name(screen: str) -> str:
    """``申請入力`` → 「申請入力画面」 (not 「…画面画面」)."""
    if screen.endswith("画面"):
        return tr("{s}", "the {s}", s=screen)
    return tr("{s}画面", "the {s} screen", s=screen)


def element_phrase(ref: str) -> str:
    """``申請入力.氏名`` → 「申請入力画面の『氏名』」."""
    screen, dot, element = ref.partition(".")
    if not dot:
        return tr("『{e}』", "“{e}”", e=ref)
    return tr("{s}の『{e}』", "“{e}” on {s}", s=screen_name(screen), e=element)


def candidate_text(candidate: Candidate) -> str:
    """A selector candidate in one line with all it says (``label 氏名``, ``role button「登録」``)."""
    kind = candidate.kind
    value = getattr(candidate, kind)
    if isinstance(value, tuple):
        value = ", ".join(str(v) for v in value)
    text = f"{kind} {value}"
    if kind == "role" and candidate.name:
        text += f"「{candidate.name}」"
    extras = []
    if not candidate.exact:
        extras.append(tr("部分一致", "partial match"))
    if candidate.confidence is not None:
        extras.append(tr("一致度 {c:g}", "confidence {c:g}", c=candidate.confidence))
    if candidate.scales is not None:
        extras.append(tr("倍率 {s}", "scales {s}", s=", ".join(f"{s:g}" for s in candidate.scales)))
    return text + (f"（{'・'.join(extras)}）" if extras else "")


def target_phrase(target: Any) -> str:
    """An element a step acts on: a selector-map reference, or a raw locator written in the flow."""
    if isinstance(target, Candidate):
        return tr("画面上の要素（{c}）", "the element ({c})", c=candidate_text(target))
    return element_phrase(str(target))


def screen_by_window(wording: Wording, window: str, system: str | None) -> ScreenRef | None:
    """The screen a desktop step's ``window`` names, when it is a screen of the system's map."""
    selector_map = wording.selector_map(wording.system_of(system, "desktop"))
    if selector_map is not None and window in selector_map.screens:
        return selector_map.system, window
    return None


def window_phrase(wording: Wording, window: str, system: str | None) -> str:
    """A window: a screen of the map (「申請入力画面」), else its title pattern."""
    if screen_by_window(wording, window, system) is not None:
        return screen_name(window)
    return tr('タイトルが "{w}" のウィンドウ', 'the window titled "{w}"', w=shorten(window))


def screen_by_url(wording: Wording, url: Any, system: str | None) -> ScreenRef | None:
    """The screen whose ``url`` is the page a ``goto``/``open`` step opens."""
    selector_map = wording.selector_map(wording.system_of(system, "web"))
    if selector_map is None or not isinstance(url, str) or is_template(url):
        return None
    path = url.split("?", 1)[0].split("#", 1)[0]
    for name, screen in selector_map.screens.items():
        if screen.url and (path == screen.url or path.endswith(screen.url)):
            return selector_map.system, name
    return None


def page_phrase(wording: Wording, url: Any, system: str | None) -> str:
    """A page a step opens: 「申請入力画面（/entry）」, else the URL."""
    found = screen_by_url(wording, url, system)
    if found is not None:
        return tr("{s}（{u}）", "{s} ({u})", s=screen_name(found[1]), u=url)
    return value_phrase(url, wording)


_KEYS = {"enter": "Enter", "return": "Enter", "tab": "Tab", "escape": "Esc", "esc": "Esc", "space": "Space",
         "backspace": "BackSpace", "delete": "Delete", "up": "↑", "down": "↓", "left": "←", "right": "→",
         "ctrl": "Ctrl", "control": "Ctrl", "shift": "Shift", "alt": "Alt", "home": "Home", "end": "End",
         "pageup": "PageUp", "pagedown": "PageDown", "insert": "Insert"}


def key_label(key: Any) -> str:
    """A key as printed on the keyboard: ``f12`` → F12, ``enter`` → Enter, ``ctrl+s`` → Ctrl+S."""
    parts = key if isinstance(key, (list, tuple)) else str(key).split("+")
    shown = []
    for part in (str(p).strip() for p in parts):
        lower = part.lower()
        if lower in _KEYS:
            shown.append(_KEYS[lower])
        elif len(lower) in (2, 3) and lower[0] == "f" and lower[1:].isdigit():
            shown.append(lower.upper())
        elif len(part) == 1:
            shown.append(part.upper())
        else:
            shown.append(part)
    return "+".join(shown)


def value_phrase(value: Any, wording: Wording) -> str:
    """What a step types or uses, in words (see the module docstring)."""
    if not isinstance(value, str) or not is_template(value):
        return quoted(value)
    try:
        tree = parse(value)
    except TemplateSyntaxError:
        tree = None
    node = _single_expression(tree)
    phrase = _node_phrase(node, wording) if node is not None else _text_phrase(tree, wording)
    return phrase if phrase is not None else expression_phrase(value)


def expression_phrase(text: str) -> str:
    """The fallback: 「式 … の値」 (a template with text around its expressions stays quoted whole)."""
    expression = bare(text)
    shown = f'"{shorten(expression)}"' if is_template(expression) else shorten(expression)
    return tr("式 {e} の値", "the value of {e}", e=shown)


def _text_phrase(tree: nodes.Template | None, wording: Wording) -> str | None:
    """Text with expressions in it (``{{ record.氏名 }} 様``): the text, each expression phrased in ［］."""
    if tree is None or len(tree.body) != 1 or not isinstance(tree.body[0], nodes.Output):
        return None
    parts = []
    for node in tree.body[0].nodes:
        if isinstance(node, nodes.TemplateData):
            parts.append(node.data)
            continue
        phrase = _node_phrase(node, wording)
        if phrase is None:
            return None
        parts.append(f"［{phrase}］")
    return f'"{shorten("".join(parts))}"'


def _single_expression(tree: nodes.Template | None) -> nodes.Expr | None:
    """The one expression of ``{{ expr }}``; None when the template has text or several parts."""
    if tree is None or len(tree.body) != 1 or not isinstance(tree.body[0], nodes.Output):
        return None
    parts = tree.body[0].nodes
    return parts[0] if len(parts) == 1 and isinstance(parts[0], nodes.Expr) else None


def reference_phrase(root: str, attr: str, wording: Wording) -> str | None:
    """``record.氏名`` and friends; None for a root these rules do not name."""
    if root == "record":
        kind = wording.record_kind
        if kind == "excel":
            return tr("Excel の『{a}』列", "the Excel column “{a}”", a=attr)
        if kind == "forms":
            return tr("帳票の『{a}』欄", "the form field “{a}”", a=attr)
        return tr("レコードの『{a}』", "the record's “{a}”", a=attr)
    names = {
        "secrets": ("秘密情報『{a}』", "the secret “{a}”"),
        "inputs": ("入力『{a}』", "the input “{a}”"),
        "vars": ("変数『{a}』", "the variable “{a}”"),
        "env": ("環境変数『{a}』", "the environment variable “{a}”"),
    }
    if root in names:
        ja, en = names[root]
        return tr(ja, en, a=attr)
    if root == "run":
        runs = {"id": ("実行ID", "the run id"), "date": ("実行日", "the run date"),
                "started_at": ("実行の開始日時", "the run's start time")}
        ja, en = runs.get(attr, (f"実行の『{attr}』", f"the run's “{attr}”"))
        return tr(ja, en)
    return None


_FILTERS = {
    "date": ("日付", "as a date"), "wareki": ("和暦", "in the Japanese era"), "zenkaku": ("全角", "full-width"),
    "hankaku": ("半角", "half-width"), "katakana": ("カタカナ", "katakana"), "hiragana": ("ひらがな", "hiragana"),
    "zip_hyphen": ("ハイフン付き", "with a hyphen"), "int": ("整数", "as a number"), "trim": ("前後の空白を除く", "trimmed"),
    "upper": ("大文字", "upper case"), "lower": ("小文字", "lower case"), "string": ("", ""),
}


def _node_phrase(node: nodes.Node | None, wording: Wording) -> str | None:
    if isinstance(node, nodes.Const):
        return quoted(node.value)
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
        return reference_phrase(node.node.name, node.attr, wording)
    if (isinstance(node, nodes.Getitem) and isinstance(node.node, nodes.Name) and isinstance(node.arg, nodes.Const)
            and isinstance(node.arg.value, str)):
        return reference_phrase(node.node.name, node.arg.value, wording)
    if isinstance(node, nodes.Or) and isinstance(node.right, nodes.Const) and node.right.value in ("", None):
        return _node_phrase(node.left, wording)  # `x or ''`: empty stays empty, nothing to say
    if isinstance(node, nodes.Filter) and node.node is not None:
        inner = _node_phrase(node.node, wording)
        suffix = _filter_suffix(node)
        return None if inner is None or suffix is None else inner + suffix
    return None


def _filter_suffix(node: nodes.Filter) -> str | None:
    if node.kwargs or node.dyn_args or node.dyn_kwargs:
        return None
    args = [a.value for a in node.args if isinstance(a, nodes.Const)]
    if len(args) != len(node.args):
        return None
    if node.name == "default":
        return tr("（なければ {d}）", " (else {d})", d=quoted(args[0] if args else ""))
    if node.name == "date" and args:
        return tr("（日付 {f} の形）", " (as a date, {f})", f=quoted(args[0]))
    if node.name not in _FILTERS or args:
        return None
    ja, en = _FILTERS[node.name]
    return tr("（{w}）", " ({w})", w=tr(ja, en)) if ja else ""


_COMPARISONS = {
    "eq": ("{l}が {r} のとき", "when {l} is {r}"),
    "ne": ("{l}が {r} でないとき", "when {l} is not {r}"),
    "gt": ("{l}が {r} より大きいとき", "when {l} is greater than {r}"),
    "gteq": ("{l}が {r} 以上のとき", "when {l} is {r} or more"),
    "lt": ("{l}が {r} より小さいとき", "when {l} is less than {r}"),
    "lteq": ("{l}が {r} 以下のとき", "when {l} is {r} or less"),
    "in": ("{l}が {r} に含まれるとき", "when {l} is in {r}"),
}


def condition_phrase(expr: str, wording: Wording) -> str:
    """A condition (``when``, ``if``): 「変数『照会件数』が 1 より大きいとき」, else 「式 … が成り立つとき」."""
    try:
        node = _single_expression(parse(expr, is_bare=True))
    except TemplateSyntaxError:
        node = None
    if isinstance(node, nodes.Compare) and len(node.ops) == 1 and node.ops[0].op in _COMPARISONS:
        left = _operand(node.expr, wording)
        right = _operand(node.ops[0].expr, wording)
        if left is not None and right is not None:
            ja, en = _COMPARISONS[node.ops[0].op]
            return tr(ja, en, l=left, r=right)
    if isinstance(node, (nodes.Getattr, nodes.Getitem)) and (named := _node_phrase(node, wording)) is not None:
        return tr("{x}があるとき", "when {x} is set", x=named)
    return tr("式 {e} が成り立つとき", "when {e} holds", e=shorten(bare(expr)))


def _operand(node: nodes.Expr, wording: Wording) -> str | None:
    if isinstance(node, nodes.Const) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return f"{node.value:g}" if isinstance(node.value, float) else str(node.value)
    return _node_phrase(node, wording)
