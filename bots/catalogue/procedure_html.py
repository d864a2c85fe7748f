"""The 手順書 as one self-contained HTML file: inline CSS, no scripts, no external resources, so it
opens, prints (A4, one chapter per page) and archives on a closed network. Jinja2 with autoescape:
every text from the flow (titles, descriptions, literals typed) is escaped.

The template lives here rather than in a file so the module is all there is to install.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, StrictUndefined

from bots.catalogue.procedure_model import Block, Procedure
from bots.i18n import tr

_TEMPLATE = """<!DOCTYPE html>
<html lang="{{ p.lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ p.title }}</title>
<style>
  :root { --line: #c9ced6; --head: #eef1f5; --warn: #8a5a00; --commit: #b3261e; --accent: #3b5b8c; }
  * { box-sizing: border-box; }
  body { font-family: "Noto Sans CJK JP", "Noto Sans JP", "Yu Gothic UI", "Meiryo", sans-serif;
         color: #1f2328; margin: 0 auto; padding: 24px 32px; max-width: 1100px; font-size: 14px; line-height: 1.6; }
  h1 { font-size: 24px; margin: 0 0 4px; }
  .meta { color: #4a5560; margin: 0 0 16px; }
  h2 { font-size: 19px; border-bottom: 2px solid var(--accent); padding-bottom: 4px; margin: 32px 0 12px; }
  h3 { font-size: 16px; margin: 22px 0 8px; color: var(--accent); }
  h4 { font-size: 14px; margin: 14px 0 4px; padding: 2px 8px; background: var(--head); border-left: 4px solid var(--accent); }
  nav.toc ol { columns: 2; margin: 0; }
  table { border-collapse: collapse; width: 100%; margin: 4px 0 12px; }
  th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; word-break: break-word; }
  th { background: var(--head); white-space: nowrap; }
  p.warn, td.warn { color: var(--warn); font-weight: bold; }
  ol.steps { list-style: none; padding: 0; margin: 0 0 8px; }
  ol.steps li { padding: 2px 0; display: flex; gap: 0.6em; }
  ol.steps .num { flex: 0 0 3.2em; color: #4a5560; font-variant-numeric: tabular-nums; }
  ol.steps li.commit { color: var(--commit); font-weight: bold; }
  ol.steps li.label { font-style: italic; color: #4a5560; }
  footer { margin-top: 40px; padding-top: 8px; border-top: 1px solid var(--line); color: #4a5560; font-size: 12px; }
  @page { size: A4; margin: 16mm 14mm; }
  @media print {
    body { padding: 0; max-width: none; font-size: 11pt; }
    nav.toc { display: none; }
    section.chapter { break-before: page; }
    h2, h3, h4 { break-after: avoid; }
    tr, li { break-inside: avoid; }
  }
</style>
</head>
<body>
<header>
<h1>{{ p.title }}</h1>
<p class="meta">{{ p.shown }} · {{ generated_label }} {{ generated }}</p>
</header>
<nav class="toc">
<h2>{{ toc }}</h2>
<ol>{% for s in p.sections %}<li><a href="#{{ s.key }}">{{ s.heading }}</a></li>{% endfor %}</ol>
</nav>
{% for s in p.sections %}
<section id="{{ s.key }}"{% if s.new_page %} class="chapter"{% endif %}>
<h2>{{ loop.index }}. {{ s.heading }}</h2>
{% for kind, b in blocks(s) %}
{% if kind == "Para" %}
<p{% if b.warn %} class="warn"{% endif %}>{{ b.text }}</p>
{% elif kind == "Bullets" %}
<ul>{% for item in b.items %}<li>{{ item }}</li>{% endfor %}</ul>
{% elif kind == "SubHeading" %}
<h3>{{ b.text }}</h3>
{% elif kind == "Table" %}
<table>
<thead><tr>{% for h in b.headers %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in b.rows %}<tr>{% for cell in row %}<td{% if warn in cell %} class="warn"{% endif %}>{{ cell }}</td>{% endfor %}</tr>{% endfor %}</tbody>
</table>
{% elif kind == "ScreenSteps" %}
<h4>{{ b.screen }}</h4>
<ol class="steps">
{% for line in b.lines %}<li class="{{ 'commit' if line.commit }}{{ ' label' if not line.number }}" style="margin-left: {{ line.depth * 2 }}em"><span class="num">{{ line.number }}</span><span>{{ line.text }}</span></li>
{% endfor %}</ol>
{% endif %}
{% endfor %}
</section>
{% endfor %}
<footer>{{ p.footer }}</footer>
</body>
</html>
"""


def _kinds(section: Any) -> list[tuple[str, Block]]:
    return [(type(block).__name__, block) for block in section.blocks]


def render_html(procedure: Procedure) -> str:
    """The 手順書 as one HTML document (see the module docstring)."""
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(_TEMPLATE)
    return template.render(p=procedure, blocks=_kinds, warn="⚠", toc=tr("目次", "Contents"),
                           generated_label=tr("生成日時", "generated at"),
                           generated=f"{procedure.generated_at:%Y-%m-%d %H:%M}")


def write_html(procedure: Procedure, path: Path) -> Path:
    """Write the HTML 手順書 to ``path`` (creating its folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(procedure), encoding="utf-8")
    return path
