"""Resolve a flow's declared inputs from the command line (``--input``, ``--set k=v``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from bots.errors import InputFileError
from bots.flow.model import Flow
from bots.i18n import tr


def _convert(name: str, kind: str, value: Any, base: Path) -> Any:
    if value is None or kind == "str":
        return value
    try:
        if kind == "path":
            path = Path(str(value)).expanduser()
            return path if path.is_absolute() else (base / path)
        if kind == "int":
            return int(value)
        if kind == "date":
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        if kind == "bool":
            return value if isinstance(value, bool) else str(value).lower() in {"1", "true", "yes", "はい"}
    except ValueError as exc:
        raise InputFileError(tr("入力 {n} の値 {v!r} は {k} として読めません", "input {n}: {v!r} is not a valid {k}",
                                n=name, v=value, k=kind)) from exc
    return value


def resolve_inputs(
    flow: Flow, given: dict[str, Any], *, cwd: Path, root: Path, primary: str | None = None
) -> dict[str, Any]:
    """Declared inputs with defaults applied and types converted; unknown names refused.

    ``primary`` is the value of ``--input``: it fills the first ``path`` input.
    """
    given = dict(given)
    if primary is not None:
        first_path = next((n for n, s in flow.inputs.items() if s.type == "path"), None)
        if first_path is None:
            raise InputFileError(tr("このフローにはファイルの入力がありません（--input は使えません）",
                                    "this flow takes no file input (--input is not allowed)"))
        given[first_path] = primary
    unknown = sorted(set(given) - set(flow.inputs))
    if unknown:
        raise InputFileError(tr("不明な入力: {u}（このフローの入力: {k}）", "unknown inputs: {u} (this flow takes: {k})",
                                u=", ".join(unknown), k=", ".join(flow.inputs) or "-"))
    resolved: dict[str, Any] = {}
    for name, spec in flow.inputs.items():
        value = given.get(name, spec.default)
        if value is None and spec.required:
            raise InputFileError(tr("入力 {n} を指定してください", "input {n} is required", n=name))
        # Defaults are relative to the project root; command-line paths to the current folder.
        resolved[name] = _convert(name, spec.type, value, cwd if name in given else root)
    return resolved
