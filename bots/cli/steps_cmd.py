"""``runner.py steps [NAME]``: the step reference, from the registry (``--markdown`` for docs/steps.md)."""

from __future__ import annotations

from typing import ClassVar

import typer
from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import Markdown, MarkdownElement, TableElement
from rich.markup import escape
from rich.table import Table

from bots import registry
from bots.api.step_docs import common_keys, families, step_doc
from bots.api.step_reference import common_keys_markdown, index_markdown, reference_markdown, step_markdown
from bots.errors import ExitCode
from bots.i18n import tr
from bots.spec.validation import suggest


class _FoldingTable(TableElement):
    """A Markdown table whose cells wrap anywhere: a Japanese description has no spaces to wrap at,
    and rich would otherwise cut it off with an ellipsis."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for rendered in super().__rich_console__(console, options):
            if isinstance(rendered, Table):
                for column in rendered.columns:
                    column.overflow = "fold"
            yield rendered


class _Markdown(Markdown):
    elements: ClassVar[dict[str, type[MarkdownElement]]] = {**Markdown.elements, "table_open": _FoldingTable}


def steps(
    name: str = typer.Argument(None, help=tr("ステップ名（browser.fill）か系統（browser）。省略すると一覧",
                                             "a step (browser.fill) or a family (browser); all steps if left out")),
    markdown: bool = typer.Option(False, "--markdown", help=tr("Markdown のまま出力（docs/steps.md の生成用）",
                                                               "print Markdown as is (generates docs/steps.md)")),
) -> None:
    """Print the step list, one family, or one step's page; an unknown name exits non-zero."""
    if name is None:
        text = reference_markdown() if markdown else "\n".join([
            index_markdown(), common_keys_markdown(level=2),
            tr("各ステップの詳しい説明: `runner.py steps 名前`（例: `runner.py steps browser.fill`）",
               "One step in full: `runner.py steps NAME` (e.g. `runner.py steps browser.fill`)")])
    elif name in families():
        text = index_markdown(name)
    elif registry.is_registered(name):
        text = step_markdown(step_doc(registry.get(name)), level=1)
        if not markdown:
            keys = ", ".join(f"`{k.name}`" for k in common_keys())
            text += "\n" + tr("どのステップにも共通キー（{k}）を書けます: `runner.py steps` の末尾を参照。",
                              "Any step may also carry the common keys ({k}): see the end of `runner.py steps`.", k=keys)
    else:
        Console(stderr=True).print(
            tr("[red]ステップ {n} はありません。[/]", "[red]there is no step {n}.[/]", n=escape(name))
            + escape(suggest(name, registry.names() if "." in name else [*registry.names(), *families()]))
            + tr("\n一覧: runner.py steps", "\nall steps: runner.py steps"))
        raise typer.Exit(ExitCode.INVALID)
    if markdown:
        typer.echo(text, nl=False)
    else:
        Console().print(_Markdown(text))
