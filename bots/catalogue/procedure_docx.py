"""The 手順書 as a Word document (.docx): the format a 原課 edits, stamps and files.

A4 with one chapter per page, as the HTML prints; headings are Word's own heading styles, so the
navigation pane and a generated table of contents work; the footer of every page says the file
is generated from the flow.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.text import WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from bots.catalogue.procedure_model import Bullets, Para, Procedure, ScreenSteps, SubHeading, Table
from bots.i18n import tr

#: The Japanese font Word uses for East Asian text (installed with Office; others fall back).
EAST_ASIAN_FONT = "Yu Gothic"
_WARN = RGBColor(0x8A, 0x5A, 0x00)
_COMMIT = RGBColor(0xB3, 0x26, 0x1E)


def render_docx(procedure: Procedure, path: Path) -> Path:
    """Write the 手順書 to ``path`` as .docx (creating its folder) and return the path."""
    document = Document()
    page = document.sections[0]
    page.page_width, page.page_height = Mm(210), Mm(297)
    page.left_margin = page.right_margin = Mm(18)
    page.top_margin = page.bottom_margin = Mm(16)
    normal = document.styles["Normal"]
    normal.font.size = Pt(10.5)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    document.core_properties.title = procedure.title
    document.core_properties.comments = procedure.footer
    page.footer.paragraphs[0].text = procedure.footer

    document.add_heading(procedure.title, level=0)
    document.add_paragraph(f"{procedure.shown} · {tr('生成日時', 'generated at')} "
                           f"{procedure.generated_at:%Y-%m-%d %H:%M}")
    for number, section in enumerate(procedure.sections, start=1):
        if section.new_page:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        document.add_heading(f"{number}. {section.heading}", level=1)
        for block in section.blocks:
            if isinstance(block, Para):
                run = document.add_paragraph().add_run(block.text)
                if block.warn:
                    run.bold = True
                    run.font.color.rgb = _WARN
            elif isinstance(block, Bullets):
                for item in block.items:
                    document.add_paragraph(item, style="List Bullet")
            elif isinstance(block, SubHeading):
                document.add_heading(block.text, level=2)
            elif isinstance(block, Table):
                _table(document, block)
            elif isinstance(block, ScreenSteps):
                document.add_heading(block.screen, level=3)
                for line in block.lines:
                    paragraph = document.add_paragraph()
                    paragraph.paragraph_format.left_indent = Mm(7 * line.depth)
                    paragraph.paragraph_format.space_after = Pt(1)
                    if line.number:
                        paragraph.add_run(f"{line.number}  ").bold = True
                    run = paragraph.add_run(line.text)
                    run.italic = not line.number
                    if line.commit:
                        run.bold = True
                        run.font.color.rgb = _COMMIT
    closing = document.add_paragraph().add_run(procedure.footer)
    closing.italic = True
    closing.font.size = Pt(8)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def _table(document: WordDocument, block: Table) -> None:
    table = document.add_table(rows=1, cols=len(block.headers))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, block.headers, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(header).bold = True
    for row in block.rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
