"""A table as one self-contained HTML page (inline CSS, no scripts, prints on A4 landscape): the
health report and the 管理台帳 for people who do not open Excel. Every value is escaped."""

from __future__ import annotations

import datetime as dt
from html import escape

from bots.audit.report_tables import Grid
from bots.i18n import language

_CSS = """
body { font-family: "Noto Sans CJK JP", "Yu Gothic", "Meiryo", sans-serif; margin: 1.5em; color: #1b2733; }
h1 { font-size: 1.4em; border-bottom: 3px solid #3b5b8c; padding-bottom: .3em; }
p.meta { color: #555; }
table { border-collapse: collapse; width: 100%; font-size: .9em; }
th { background: #3b5b8c; color: #fff; text-align: left; padding: .4em; }
td { border-bottom: 1px solid #ccd; padding: .4em; vertical-align: top; white-space: pre-line; }
tr.warn td { background: #fff8e8; } tr.fail td { background: #fbe3e1; }
@page { size: A4 landscape; margin: 12mm; }
@media print { th { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
"""


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, dt.datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    return str(value)


def grid_page(title: str, meta: str, grid: Grid, empty: str) -> str:
    """The page: title, a line of metadata, then the table (or ``empty`` when it has no rows)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in grid.headers)
    rows = "".join(f'<tr class="{escape(tone)}">' + "".join(f"<td>{escape(_cell(v))}</td>" for v in row) + "</tr>"
                   for row, tone in zip(grid.rows, grid.tones, strict=True))
    body = f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>" if grid.rows \
        else f"<p>{escape(empty)}</p>"
    return (f'<!DOCTYPE html><html lang="{language()}"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{_CSS}</style></head><body><h1>{escape(title)}</h1><p class=\"meta\">{escape(meta)}</p>"
            f"{body}</body></html>")
