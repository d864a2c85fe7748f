"""The 手順書 as Markdown: for a wiki, a Git host or a plain-text reader."""

from __future__ import annotations

import re
from pathlib import Path

from bots.catalogue.procedure_model import Bullets, Para, Procedure, ScreenSteps, SubHeading, Table
from bots.i18n import tr

_NUMBERED = re.compile(r"\d+[.)] ")


def _cell(text: str) -> str:
    """A table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def _line(text: str) -> str:
    """Text that Markdown must not read as markup at the start of a line (``#``, ``-``, ``1.``)."""
    text = " ".join(text.split())
    return "\\" + text if text and (text[0] in "#->+*|" or _NUMBERED.match(text)) else text


def render_md(procedure: Procedure) -> str:
    """The 手順書 as one Markdown document."""
    out = [f"# {procedure.title}", "",
           f"{procedure.shown} · {tr('生成日時', 'generated at')} {procedure.generated_at:%Y-%m-%d %H:%M}", "",
           f"## {tr('目次', 'Contents')}", ""]
    out.extend(f"{i}. {s.heading}" for i, s in enumerate(procedure.sections, start=1))
    out.append("")
    for number, section in enumerate(procedure.sections, start=1):
        out.extend([f"## {number}. {section.heading}", ""])
        for block in section.blocks:
            if isinstance(block, Para):
                out.extend([f"**{_line(block.text)}**" if block.warn else _line(block.text), ""])
            elif isinstance(block, Bullets):
                out.extend([f"- {' '.join(item.split())}" for item in block.items] + [""])
            elif isinstance(block, SubHeading):
                out.extend([f"### {block.text}", ""])
            elif isinstance(block, Table):
                out.append("| " + " | ".join(_cell(h) for h in block.headers) + " |")
                out.append("|" + "---|" * len(block.headers))
                out.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows)
                out.append("")
            elif isinstance(block, ScreenSteps):
                out.extend([f"#### {block.screen}", ""])
                for line in block.lines:
                    text = " ".join(line.text.split())
                    label = f"{line.number} " if line.number else ""
                    body = f"**{label}{text}**" if line.commit else f"{label}{text}"
                    out.append("  " * line.depth + f"- {body}")
                out.append("")
    out.extend(["---", "", procedure.footer, ""])
    return "\n".join(out)


def write_md(procedure: Procedure, path: Path) -> Path:
    """Write the Markdown 手順書 to ``path`` (creating its folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_md(procedure), encoding="utf-8")
    return path
