"""A report table (:class:`bots.audit.report_tables.Grid`) on the terminal, as rich draws it."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from bots.audit.report_tables import Grid, fmt


def grid_table(grid: Grid, title: str | None = None, tone_column: int | None = None) -> Table:
    """Numbers right-aligned; the ``tone_column`` coloured by each row's tone (fail red, review/warn yellow)."""
    table = Table(title=title, title_justify="left")
    for column, header in enumerate(grid.headers):
        numeric = bool(grid.rows) and all(isinstance(row[column], int) for row in grid.rows)
        table.add_column(header, overflow="fold", justify="right" if numeric else "left")
    styles = {"ok": "green", "fail": "red", "review": "yellow", "warn": "yellow"}
    for row, tone in zip(grid.rows, grid.tones, strict=True):
        table.add_row(*(Text(fmt(cell), style=styles.get(tone, "") if i == tone_column else "")
                        for i, cell in enumerate(row)))
    return table
