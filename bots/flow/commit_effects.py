"""A desktop commit step must be followed by a step that sees its effect; warned at validation.

A click or key press on a thick client reports nothing back: one that hit nothing (a moved
button, a dialog in the way) looks exactly like one that worked. At run time a record whose
desktop commit no later step observed ends 要確認, never 成功 (:mod:`bots.engine.keying`); this
check tells the author before the first run, at the commit step's ``file:line:col``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bots.flow.checks import all_steps
from bots.i18n import tr
from bots.spec.diagnostics import Diagnostic, Diagnostics, Severity

if TYPE_CHECKING:
    from bots.flow.loader import LoadedFlow

#: Steps that wait for or read back the screen: what counts as seeing a commit's effect.
OBSERVING = frozenset({"desktop.wait_window", "desktop.wait_for", "desktop.verify_field", "desktop.read_text"})


def check_commit_effects(loaded: LoadedFlow) -> Diagnostics:
    """A warning at each desktop commit step no later step of its block observes."""
    found = Diagnostics()
    steps = list(all_steps(loaded.flow))
    for index, (step, loc) in enumerate(steps):
        if not (step.action.startswith("desktop.") and (step.commit or step.spec.commits)):
            continue
        later = (s for s, where in steps[index + 1:] if where[0] == loc[0])
        if not any(s.action in OBSERVING or s.action == "control.call" for s in later):
            found.append(Diagnostic(loaded.path, loaded.source.key_pos_of(loc), tr(
                "登録操作の後に、その結果（次の画面・表示・入力内容）を確かめるステップがありません。"
                "このままでは各レコードが要確認になります（desktop.wait_window・wait_for・verify_field・read_text）",
                "nothing after this commit step checks its effect (a next window, a text, a field); every record "
                "would end needing review (add desktop.wait_window, wait_for, verify_field or read_text)"),
                Severity.WARNING))
    return found
