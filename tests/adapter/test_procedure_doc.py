"""``flows doc``: the 手順書 of each sample flow, written by the command into a scratch copy of the
project, then read back as a person would — the HTML in headless Chromium (screenshot, text,
print layout), the Markdown as text, the .docx with python-docx."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
import typer
from docx import Document
from PIL import Image
from playwright.sync_api import sync_playwright
from typer.testing import CliRunner

import bots.actions  # noqa: F401  (fills the registry)
from bots.catalogue.entry import CatalogueEntry
from bots.catalogue.procedure import build_procedure
from bots.catalogue.procedure_md import render_md
from bots.cli.flows_doc_cmd import doc
from bots.flow.loader import load_flow
from bots.governance.staff import load_staff
from bots.governance.versions import ApprovalState
from bots.i18n import set_language
from bots.platform.browser import launch_options
from bots.project import Project
from bots.spec.diagnostics import Diagnostics

REPO = Path(__file__).resolve().parents[2]
HEADINGS = ["目的", "所管課・所有者・副担当", "実行のタイミング", "入力", "画面ごとの手順", "登録操作", "出力", "不備のある行",
            "失敗・要確認のとき", "停止と再開", "連絡先", "版と承認"]
HEADINGS_EN = ["Purpose", "Department, owner and deputy", "When it runs", "Inputs", "Steps, screen by screen",
               "The commit step", "Outputs", "Rows with problems", "When records fail or need review",
               "Stopping and resuming", "Contacts", "Version and approval"]
FOOTER = "このファイルはフロー定義から自動生成されています"
#: Per sample flow: its id and lines its 手順書 must have (the sub-flow's steps inlined, phrased for its records).
SAMPLES = {
    "shinsei_nyuryoku.yaml": ("shinsei-nyuryoku", ["申請入力画面の『氏名』に Excel の『氏名』列を入力",
                                                   "【登録操作】〔登録〕確認画面の『登録』をクリック",
                                                   "ログイン画面の『パスワード』に秘密情報『KZ_DEMO_PASSWORD』を入力",
                                                   "demo_nightly"]),
    "shinsei_ocr.yaml": ("shinsei-ocr", ["申請入力画面の『氏名』に帳票の『氏名』欄を入力", "要確認_shinsei.xlsx",
                                         "python runner.py review import"]),
    "desktop_nyuryoku.yaml": ("desktop-nyuryoku", ["申請入力画面の『氏名』に Excel の『氏名』列を入力", "Ctrl+Shift+F12",
                                                   "【登録操作】〔登録〕申請入力画面の『登録』をクリック"]),
}

cli = typer.Typer()
cli.command()(doc)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A copy of the repository's flows, maps, staff directory and schedules; runs go to tmp."""
    root = tmp_path / "project"
    for folder in ("flows", "selectors", "config", "schedules"):
        shutil.copytree(REPO / folder, root / folder)
    monkeypatch.setenv("KZ_HOME", str(root))
    monkeypatch.setenv("KZ_LOGS", str(tmp_path / "logs"))
    monkeypatch.delenv("KZ_ABORT_HOTKEY", raising=False)
    return Project(root)


def write_doc(project: Project, flow: str, fmt: str, *extra: str) -> Path:
    result = CliRunner().invoke(cli, [str(project.flows / flow), "--format", fmt, *extra])
    assert result.exit_code == 0, result.output
    match = re.search(r"(?:手順書を書きました|procedure written): (.+)$", result.output.strip(), re.M)
    assert match, result.output
    path = Path(match[1].strip())
    assert path.is_file()
    return path


def read_html_in_chromium(path: Path, shot: Path) -> tuple[str, str, list[str]]:
    """The page's text and title, and the print break of each section, as Chromium lays them out."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        page = browser.new_page(viewport={"width": 1100, "height": 900}, locale="ja-JP")
        page.goto(path.as_uri())
        page.screenshot(path=str(shot), full_page=True)
        text, title = page.inner_text("body"), page.title()
        page.emulate_media(media="print")
        breaks = page.eval_on_selector_all("section", "els => els.map(e => getComputedStyle(e).breakBefore)")
        browser.close()
    return text, title, breaks


@pytest.mark.browser
@pytest.mark.parametrize("flow", list(SAMPLES))
def test_html_procedure_renders_with_every_section(project: Project, flow: str, tmp_path: Path) -> None:
    flow_id, lines = SAMPLES[flow]
    path = write_doc(project, flow, "html")
    shot = tmp_path / "procedure.png"
    text, title, breaks = read_html_in_chromium(path, shot)

    assert path == project.root / "docs" / "procedures" / f"{flow_id}.html"  # the default place
    with Image.open(shot) as image:
        assert image.height > 2000 and len(image.convert("L").getcolors(maxcolors=65536) or []) > 50  # not blank
    assert title.startswith("手順書: ")
    for number, heading in enumerate(HEADINGS, start=1):
        assert f"{number}. {heading}" in text, heading
    for line in lines:
        assert line in text, line
    assert FOOTER in text and "風間 太郎（情報政策課 情報政策係）" in text
    assert breaks == ["auto", "auto", "auto", "auto", "page", "auto", "auto", "page", "auto", "auto", "auto", "page"]


def test_html_procedure_is_self_contained_and_escaped(project: Project) -> None:
    flow = project.flows / "shinsei_nyuryoku.yaml"
    flow.write_text(flow.read_text(encoding="utf-8").replace(
        "description: |\n", "description: |\n  <script>alert(1)</script> & <b>太字</b>\n"), encoding="utf-8")
    html = write_doc(project, "shinsei_nyuryoku.yaml", "html").read_text(encoding="utf-8")

    assert not re.search(r"<link|<script|<img|<iframe|@import|url\(", html, re.I)
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", html, re.I)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;太字&lt;/b&gt;" in html
    assert "@page { size: A4" in html


@pytest.mark.parametrize("flow", list(SAMPLES))
def test_markdown_procedure_reads_back(project: Project, flow: str, tmp_path: Path) -> None:
    _, lines = SAMPLES[flow]
    path = write_doc(project, flow, "md", "--out", str(tmp_path / "out" / "手順書.md"))
    text = path.read_text(encoding="utf-8")

    assert path == tmp_path / "out" / "手順書.md"
    headings = re.findall(r"^## (\d+)\. (.+)$", text, re.M)
    assert headings == [(str(n), h) for n, h in enumerate(HEADINGS, start=1)]
    for line in lines:
        assert line in text, line
    assert FOOTER in text
    assert re.search(r"^\| 所有者 \| 風間 太郎（情報政策課 情報政策係） \|$", text, re.M)


@pytest.mark.parametrize("flow", list(SAMPLES))
def test_docx_procedure_reads_back(project: Project, flow: str, tmp_path: Path) -> None:
    _, lines = SAMPLES[flow]
    path = write_doc(project, flow, "docx", "--out", str(tmp_path / "手順書.docx"))
    document = Document(str(path))

    chapters = [p.text for p in document.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert chapters == [f"{n}. {h}" for n, h in enumerate(HEADINGS, start=1)]
    paragraphs = [p.text for p in document.paragraphs]
    for line in lines:
        assert any(line in p for p in paragraphs) or any(line in c.text for t in document.tables
                                                           for row in t.rows for c in row.cells), line
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "風間 太郎（情報政策課 情報政策係）" in cells and "市民課 住民記録係" in cells
    page = document.sections[0]
    assert page.page_width is not None and page.page_height is not None
    assert (round(page.page_width.mm), round(page.page_height.mm)) == (210, 297)  # A4 (stored in twips)
    assert FOOTER in page.footer.paragraphs[0].text
    assert any(FOOTER in p for p in paragraphs)
    commit = next(run for p in document.paragraphs for run in p.runs if run.text.startswith("【登録操作】"))
    assert commit.bold


def test_procedure_in_english(project: Project, tmp_path: Path) -> None:
    set_language("en")
    text = write_doc(project, "shinsei_nyuryoku.yaml", "md", "--out", str(tmp_path / "p.md")).read_text(encoding="utf-8")

    assert re.findall(r"^## \d+\. (.+)$", text, re.M) == HEADINGS_EN
    assert "enter the Excel column “氏名” in “氏名” on the 申請入力 screen" in text
    assert "This file is generated from the flow definition" in text and FOOTER not in text
    assert "procedure written" in CliRunner().invoke(cli, [str(project.flows / "shinsei_ocr.yaml")]).output


def test_a_flow_with_errors_gets_no_procedure(project: Project) -> None:
    broken = project.flows / "broken.yaml"
    broken.write_text("id: broken\ntitle: 壊れた\nversion: 1.0.0\nowner: 風間\nsteps:\n  - browser.clik: a.b\n",
                      encoding="utf-8")
    result = CliRunner().invoke(cli, [str(broken)])

    assert result.exit_code == 2 and "手順書を作れません" in result.output
    assert not (project.root / "docs" / "procedures" / "broken.html").exists()


def test_people_not_in_the_directory_and_the_approval_are_shown(project: Project) -> None:
    """A catalogue entry built by hand: owner unknown, no deputy, an approved version."""
    loaded, _ = load_flow(project.flows / "shinsei_nyuryoku.yaml", project)
    assert loaded is not None
    staff, _ = load_staff(project)
    approval = ApprovalState(status="approved", fingerprint="0123456789abcdef" * 4, approved_fingerprint=None,
                             approvers=("kurumada", "someone-gone"), approved_at=dt.datetime(2026, 4, 1, 9, 30),
                             review_due=dt.date(2027, 4, 1), required=2)
    entry = CatalogueEntry(path=loaded.path, shown="flows/shinsei_nyuryoku.yaml", loaded=loaded,
                           diagnostics=Diagnostics(), flow_id="shinsei-nyuryoku", title=loaded.flow.title,
                           version="1.0.0", department=None, owner_ref="総務課 山田", deputy_ref=None, owner=None,
                           deputy=None, approval=approval)
    text = render_md(build_procedure(entry, staff=staff, now=dt.datetime(2026, 5, 1, 12, 0)))

    assert "| 所有者 | 総務課 山田 ⚠ 職員名簿で確認できません |" in text
    assert "| 副担当 | ⚠ 未設定 |" in text and "| 所管課 | ⚠ 未設定 |" in text
    assert "| 承認の状態 | 承認済み |" in text and "| 指紋（承認の対象） | 0123456789ab |" in text
    assert "| 承認者 | 車田 花子（情報政策課 情報政策係）、someone-gone |" in text
    assert "| 見直し期限 | 2027-04-01 |" in text and "| 必要な承認者数 | 2 |" in text
    assert "（生成日時 2026-05-01 12:00）" in text
    assert "スケジュールはありません" in text  # a hand-built entry names no schedule


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_run_outputs_are_listed_next_to_the_outputs(project: Project, tmp_path: Path, lang: str) -> None:
    """Issue 19: a flow's run outputs (one value per run, read in teardown) are in the 出力 section,
    with where staff find them; a flow without them says nothing of the kind."""
    set_language(lang)
    text = write_doc(project, "spa_chumon.yaml", "md", "--out", str(tmp_path / "spa.md")).read_text(encoding="utf-8")
    heading = "出力" if lang == "ja" else "Outputs"
    section = text.split(f"## 7. {heading}\n", 1)[1].split("\n## 8. ", 1)[0]
    if lang == "ja":
        assert "結果ファイルに書き戻す値: 『受付番号』・『受付票』" in section
        assert ("実行全体で1つ残す値（実行結果）: 『合計件数』。最初の行の前・最後の行の後に読み取り、結果ファイルの「実行結果」シート、"
                "実行終了時の画面、実行の記録（python runner.py audit show <実行ID>） に残します。") in section
    else:
        assert "values kept once per run (run results): “合計件数”, read before the first or after the last " \
               "record; shown in the results workbook's 実行結果 sheet" in section
    plain = write_doc(project, "shinsei_nyuryoku.yaml", "md", "--out", str(tmp_path / "p.md")).read_text(encoding="utf-8")
    assert "実行全体で1つ残す値" not in plain and "values kept once per run" not in plain
    # The .docx says it too (read back with python-docx).
    document = Document(str(write_doc(project, "spa_chumon.yaml", "docx", "--out", str(tmp_path / "spa.docx"))))
    assert any("『合計件数』" in p.text or "“合計件数”" in p.text for p in document.paragraphs)
