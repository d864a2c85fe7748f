"""Paths a flow names are confined to the installation's roots, and resolved before use.

A flow file is reviewed and approved; the paths in it must not reach outside what the IT
section allowed: ``selectors: ../../../../etc/passwd``, an input default of
``../../../../etc/passwd``, a ``browser.upload`` of ``/etc/shadow`` (sent to a web system!) or a
``call:`` of a sub-flow elsewhere on the disk. Every path is resolved (``..`` and symbolic links
followed, like the program would follow them) and must lie under a root: the project folder,
its logs folder (``KZ_LOGS``), and the folders listed in the project's ``kazaguruma.yaml``::

    paths:
      roots:
        - '\\\\fileserver\\受付'        # a shared drive
        - D:/申請データ

Selector maps must lie under ``selectors/``; downloads under the run's ``downloads/`` folder.
Static paths are checked at validation (``file:line:col``); paths rendered from expressions are
checked when a step uses them (the record fails, nothing is sent).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from bots.flow.checks import all_steps
from bots.flow.expressions import is_template
from bots.flow.model import ExcelRecords, FormRecords
from bots.i18n import tr
from bots.project import Project
from bots.spec.diagnostics import Diagnostic, Diagnostics
from bots.spec.project_config import load_project_config

if TYPE_CHECKING:
    from bots.flow.loader import LoadedFlow

Loc = tuple[str | int, ...]

#: Step parameters that name a file or folder a step reads (relative to the project folder).
READ_PATHS = {("browser.upload", "file"), ("excel.read_rows", "file"), ("ocr.read_forms", "files")}


def load_roots(project: Project) -> tuple[tuple[Path, ...], Diagnostics]:
    """The folders flows may use (resolved), and the problems of ``kazaguruma.yaml`` if any.
    A configuration with errors adds no root: fewer places, never more."""
    config, found = load_project_config(project)
    base = project.base_roots()
    if found.errors:
        return base, found
    extra = tuple(resolve(os.path.expandvars(root), project.root) for root in config.paths.roots)
    return base + extra, found


def resolve(value: str | Path, base: Path) -> Path:
    """``value`` as the program will open it: ``~`` expanded, relative to ``base``, ``..`` and
    symbolic links followed (pathlib, so ``C:/Users/山田`` and UNC paths work on Windows)."""
    path = Path(value).expanduser()
    return (path if path.is_absolute() else base / path).resolve()


def within(path: Path, roots: Iterable[Path]) -> bool:
    """Whether the resolved ``path`` lies under one of ``roots`` (resolved too)."""
    return any(path == root or path.is_relative_to(root) for root in roots)


def outside_message(value: str, resolved: Path, roots: Iterable[Path]) -> str:
    """The diagnostic (or step error) for a path outside every root, naming the allowed ones."""
    return tr("許可されたフォルダの外のパスです: {v}（→ {r}）。使えるのは {a} の下だけです"
              "（共有フォルダは kazaguruma.yaml の paths.roots に追加します）",
              "path outside the allowed folders: {v} (→ {r}); only paths under {a} may be used (add shared "
              "folders to paths.roots in kazaguruma.yaml)", v=value, r=resolved, a=", ".join(str(r) for r in roots))


def selector_map_problem(path: Path, project: Project) -> str | None:
    """Why a flow's selector map (``systems.X.selectors``) may not be loaded, or None: it must lie
    under ``selectors/``."""
    folder = project.selectors.resolve()
    resolved = path.resolve()
    if within(resolved, [folder]):
        return None
    return tr("セレクタ定義は selectors/ フォルダの中に置きます: {p}", "selector maps must lie under selectors/: {p}",
              p=resolved)


def subflow_problem(path: Path, project: Project, top: Path) -> str | None:
    """Why a sub-flow (``call:``) may not be loaded, or None: it must lie in the project, or
    beside the flow the run or validation was started with (``top``: a flow kept elsewhere
    brings its own sub-flows)."""
    resolved = path.resolve()
    if within(resolved, [project.root.resolve(), top.resolve().parent]):
        return None
    return tr("プロジェクトの外のサブフローは呼べません: {p}", "a sub-flow outside the project cannot be called: {p}",
              p=resolved)


def download_problem(name: str, folder: Path) -> str | None:
    """Why a download's file name would land outside the run's ``downloads/`` folder, or None."""
    resolved = resolve(name, folder)
    if within(resolved, [folder.resolve()]) and resolved != folder.resolve():
        return None
    return tr("ダウンロードの保存先は実行フォルダの downloads/ の中だけです: {v}",
              "downloads are saved only inside the run's downloads/ folder: {v}", v=name)


def read_path_problem(value: str, project: Project) -> str | None:
    """Why a path a step reads (relative to the project) is refused, or None. A glob is judged by
    the folder before its first wildcard."""
    fixed = value
    if glob.has_magic(value):
        head = value[:min(value.find(c) for c in "*?[" if c in value)]
        fixed = head if head.endswith(("/", "\\")) else str(Path(head).parent)
    roots, _ = load_roots(project)
    resolved = resolve(fixed, project.root)
    return None if within(resolved, roots) else outside_message(value, resolved, roots)


def check_paths(loaded: LoadedFlow, project: Project) -> Diagnostics:
    """Every static path of a linked flow (inputs' defaults, records' files, steps' files and
    downloads) resolved and confined; ``kazaguruma.yaml``'s own problems too. Templates are
    judged when rendered, by the step that uses them."""
    found = Diagnostics()
    _, config_found = load_roots(project)
    found.extend(config_found)

    def check(value: object, loc: Loc, *, download: bool = False) -> None:
        if not isinstance(value, str) or not value.strip() or is_template(value):
            return
        # Where a download lands is judged against a stand-in run folder: only its shape matters.
        message = download_problem(value, project.logs / "downloads") if download \
            else read_path_problem(value, project)
        if message:
            found.append(Diagnostic(loaded.path, loaded.source.pos_of(loc), message))

    flow = loaded.flow
    for name, spec in flow.inputs.items():
        if spec.type == "path":
            check(spec.default, ("inputs", name, "default"))
    records = flow.records
    if isinstance(records, ExcelRecords):
        check(records.file, ("records", "file"))
    elif isinstance(records, FormRecords):
        check(records.files, ("records", "files"))
        check(records.review_dir, ("records", "review_dir"))
    for step, loc in all_steps(flow):
        key = type(step).model_fields["p"].alias or step.action
        for field in type(step.params).model_fields:
            value = getattr(step.params, field)
            if (step.action, field) in READ_PATHS:
                check(value, (*loc, key, field))
            elif (step.action, field) == ("browser.download", "save_as"):
                check(value, (*loc, key, field), download=True)
    return found
