"""What an expression may read of the secrets and the environment, checked by ``validate``.

**Secrets are passed whole or not at all.** Masking replaces a secret's exact value (and its
URL/JSON/HTML encodings) in every log; a *derived* value — ``upper``, a slice, ``reverse``, a
concatenation, a comparison's true/false — is a different string, so masking cannot find it.
Tracking taint through every jinja filter and Python method would still leak through lengths and
conditions; refusing derivation leaks nothing. So ``secrets`` may appear only as the whole value
``"{{ secrets.NAME }}"`` of a parameter that takes a secret (``Params.secret_fields``: the
value of ``browser.fill`` and ``desktop.type``); the engine resolves exactly that form and every
other expression sees a ``secrets`` that refuses any use.

**The environment is declared.** ``env`` exposes only the names listed in the flow's ``env:``;
``{{ env }}`` as a whole (which would write every password the process holds into the run log)
and undeclared names are refused here, and are simply absent at run time.
"""

from __future__ import annotations

import re

from jinja2 import nodes

from bots.flow.expressions import secret_misuse_message, whole_secret
from bots.i18n import tr
from bots.spec.validation import suggest

_LOOKS_SECRET = re.compile(r"PASS|PWD|SECRET|TOKEN|CREDENTIAL|PRIVATE", re.IGNORECASE)


def _keyed(tree: nodes.Template) -> dict[int, str]:
    """``id(Name node)`` → the literal key read from it (``env.X``, ``env['X']``)."""
    found: dict[int, str] = {}
    for node in tree.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name):
            found[id(node.node)] = node.attr
    for item in tree.find_all(nodes.Getitem):
        if isinstance(item.node, nodes.Name) and isinstance(item.arg, nodes.Const) and isinstance(item.arg.value, str):
            found[id(item.node)] = item.arg.value
    return found


def _uses(tree: nodes.Template, root: str) -> list[nodes.Name]:
    return [n for n in tree.find_all(nodes.Name) if n.name == root]


def secret_names(tree: nodes.Template) -> set[str]:
    """The secrets an expression names (``secrets.X``), for cross-checks with ``env:``."""
    keyed = _keyed(tree)
    return {keyed[id(n)] for n in _uses(tree, "secrets") if id(n) in keyed}


def secret_problems(tree: nodes.Template, text: str, *, takes_secret: bool) -> list[str]:
    """Why this use of ``secrets`` is refused; [] when the expression is a whole secret in a
    parameter that takes one (or does not mention secrets)."""
    if not _uses(tree, "secrets"):
        return []
    if takes_secret and whole_secret(text) is not None:
        return []
    return [secret_misuse_message()]


def env_problems(tree: nodes.Template, declared: tuple[str, ...]) -> list[str]:
    """Every read of ``env`` must name a declared variable: ``env.NAME`` with NAME in ``env:``."""
    keyed = _keyed(tree)
    found: list[str] = []
    for use in _uses(tree, "env"):
        name = keyed.get(id(use))
        if use.ctx != "load":
            continue
        if name is None:
            found.append(tr("env は env.名前 と書き、フローの env: に宣言した名前だけを読めます（env 全体は使えません）",
                            "read env as env.NAME, a name declared in the flow's env: (env as a whole is refused)"))
        elif name not in declared:
            found.append(tr("環境変数 '{n}' は宣言されていません。フローの先頭に env: [{n}] と書いてください。",
                            "environment variable '{n}' is not declared: add env: [{n}] to the flow.",
                            n=name) + suggest(name, declared))
    return found


def env_declaration_problems(name: str, secrets_used: set[str]) -> tuple[list[str], list[str]]:
    """(errors, warnings) of one name in ``env:``: a secret must not be readable as plain env."""
    if name in secrets_used:
        return [tr("'{n}' は secrets.{n} として使われています。env に宣言すると伏せ字にならない形で読めてしまいます",
                   "'{n}' is used as secrets.{n}: declared in env it could be read unmasked", n=name)], []
    if _LOOKS_SECRET.search(name):
        return [], [tr("'{n}' は秘密情報の名前に見えます。パスワード等は secrets.{n} で読んでください",
                       "'{n}' looks like a secret: read passwords as secrets.{n}", n=name)]
    return [], []
