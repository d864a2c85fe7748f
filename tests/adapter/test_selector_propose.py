"""Selector drift → ``runner.py selectors propose`` → a fixed map (issue 17, part 5).

The integration test drives the real demo web system with its ``relabel`` fault (the 申請入力
screen shows 「お名前」 where it showed 「氏名」), real Playwright + chromium, the real engine with
the production audit trail; the CLI tests read real ledgers written by ``LedgerWriter``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from demo_client import Client
from flow_harness import application_list, run_job, stored_keys
from kazaguruma_demo.web.config import DemoWebConfig, parse_relabel
from kazaguruma_demo.web.server import DemoServer
from playwright.sync_api import Page, sync_playwright
from typer.testing import CliRunner, Result

from bots.adapters.drift_observe import MAX_TEXT, observe
from bots.api import RunRequest, open_trail, run_flow
from bots.audit.ledger import LedgerWriter
from bots.audit.query import audit_root, events, ledger_folders
from bots.cli.app import app
from bots.errors import NotApproved
from bots.flow.loader import load_flow
from bots.governance.approve import Approval, approve
from bots.governance.versions import Version
from bots.platform.browser import launch_options
from bots.project import Project
from bots.results.model import RunStatus, Status
from bots.selectors.loader import load_selector_map
from bots.selectors.model import Candidate

REPO = Path(__file__).resolve().parents[2]
Demo = Callable[..., DemoServer]
SHIMEI_BEFORE = '      氏名:\n        - label: 氏名\n        - css: "#shimei"\n'
SHIMEI_AFTER = '      氏名:\n        - label: お名前\n        - css: "#shimei"\n'


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A copy of the project's flows, selector maps and configuration in tmp; ``KZ_HOME`` points at
    it (what ``runner.py`` reads) and its logs (ledger, run store, proposals) go to tmp too."""
    root = tmp_path / "project"
    for folder in ("flows", "selectors", "config"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("*.xlsx"))
    monkeypatch.setenv("KZ_HOME", str(root))
    monkeypatch.setenv("KZ_LOGS", str(tmp_path / "logs"))
    for name in ("KZ_STORE_URL", "KZ_LANG", "KZ_AUDIT_KEY"):
        monkeypatch.delenv(name, raising=False)
    return Project(root)


def kz(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "250", "NO_COLOR": "1"})


def drift_entries(project: Project) -> list[dict[str, object]]:
    today = dt.date.today()
    found = events(ledger_folders(audit_root(project.logs)), today, today, frozenset({"selector_drift"}))
    return [event.data for event in found]


def shimei_candidates(project: Project) -> list[Candidate]:
    selector_map, found = load_selector_map(project.selectors / "demo_web.yaml")
    assert selector_map is not None, [d.render() for d in found]
    return selector_map.element("申請入力.氏名")


@pytest.mark.browser
def test_relabel_drift_propose_and_rerun(demo_web: Demo, home: Project, tmp_path: Path) -> None:
    server = demo_web(relabel={"氏名": "お名前"})
    flow = home.flows / "shinsei_nyuryoku.yaml"
    home.logs.mkdir(parents=True)
    runs_url = "sqlite:///" + (home.logs / "実行記録.sqlite3").as_posix()

    # 0. The flow as shipped is approved (風間 wrote it, 車田 approves).
    shipped, _ = load_flow(flow, home)
    assert shipped is not None
    with open_trail(home, runs_url) as trail:
        approve(home, trail, Version.of(shipped, home), Approval(by="kurumada", author="kazama", actor="test"))

    # 1. The relabelled screen: the label candidate fails, css finds the field, every record is keyed.
    first_keys = application_list(tmp_path / "申請一覧1.xlsx", 3, seed=171)
    out = run_job(home, flow, store_url=runs_url, input_file=tmp_path / "申請一覧1.xlsx")
    assert out.result.status is RunStatus.COMPLETED
    assert [r.status for r in out.result.records] == [Status.PASS] * 3, [r.error for r in out.result.records]
    assert stored_keys(server.config.db_path) == first_keys
    (notice,) = out.notices("selector_drift")
    assert notice["element"] == "申請入力.氏名" and notice["observed"]["label"] == "お名前"

    # What the ledger keeps: which candidate failed and which worked, and what the page showed there.
    (entry,) = drift_entries(home)
    assert (entry["system"], entry["map"], entry["screen"], entry["element"], entry["candidate"]) == (
        "demo_web", "demo_web", "申請入力", "申請入力.氏名", 2)
    assert entry["first"] == {"kind": "label", "value": "氏名"}
    assert entry["matched"] == {"index": 1, "description": "css='#shimei'", "kind": "css", "value": "#shimei"}
    assert entry["observed"] == {"tag": "input", "role": "textbox", "accessible_name": "お名前", "label": "お名前",
                                 "placeholder": "例: 山田 太郎", "id": "shimei", "name_attr": "shimei"}
    keyed = json.dumps(entry, ensure_ascii=False)
    assert not any(name in keyed for name, _ in first_keys)  # never what was typed into the field

    # 2. The proposal: a diff naming the new label, saved as a patch, applied to the map.
    result = kz("selectors", "propose", "demo_web", "--apply")
    assert result.exit_code == 0, result.output
    assert "-        - label: 氏名\n+        - label: お名前\n" in result.output
    assert "画面のその場所の表示は「お名前」でした。第1候補を label='お名前' に変えます" in result.output
    assert "runner.py flows approve FLOW --by 承認者" in result.output and "flows/shinsei_nyuryoku.yaml" in result.output
    (patch,) = (home.logs / "proposals").glob("demo_web-*.patch")
    assert "+        - label: お名前" in patch.read_text(encoding="utf-8")
    assert shimei_candidates(home) == [Candidate(label="お名前"), Candidate(css="#shimei")]
    text = (home.selectors / "demo_web.yaml").read_text(encoding="utf-8")
    assert text == (REPO / "selectors" / "demo_web.yaml").read_text(encoding="utf-8").replace(SHIMEI_BEFORE, SHIMEI_AFTER)

    # 3. The next run against the same relabelled system finds the field by its first candidate.
    second_keys = application_list(tmp_path / "申請一覧2.xlsx", 2, seed=172)
    again = run_job(home, flow, store_url=runs_url, input_file=tmp_path / "申請一覧2.xlsx")
    assert [r.status for r in again.result.records] == [Status.PASS] * 2, [r.error for r in again.result.records]
    assert again.notices("selector_drift") == []
    assert len(drift_entries(home)) == 1  # still only the first run's
    today = dt.date.today()
    (change,) = events(ledger_folders(audit_root(home.logs)), today, today, frozenset({"config_changed"}))
    assert change.data["file"] == "selectors/demo_web.yaml" and change.data["sha256_before"] != change.data["sha256_after"]
    assert stored_keys(server.config.db_path) == first_keys + second_keys

    # 4. Production mode: the patched map changed the flow's fingerprint, so the flow approved before the
    #    fix is refused — naming the changed element — until a second person approves the new version.
    (home.root / "kazaguruma.yaml").write_text("governance:\n  mode: production\n", encoding="utf-8")
    patched, _ = load_flow(flow, home)
    assert patched is not None
    request = RunRequest(flow=str(flow), cwd=str(home.root), primary_input=str(tmp_path / "申請一覧3.xlsx"))
    third_keys = application_list(tmp_path / "申請一覧3.xlsx", 1, seed=173)
    with open_trail(home, runs_url) as trail:
        with pytest.raises(NotApproved, match=r"申請入力\.氏名 の候補を変更: 1\. label 氏名 → label お名前"):
            run_flow(request, trail=trail, project=home)
        approve(home, trail, Version.of(patched, home), Approval(by="hanada", author="kazama", actor="test"))
        approved_run = run_flow(request, trail=trail, project=home)
    assert approved_run.status is RunStatus.COMPLETED and approved_run.count(Status.PASS) == 1
    assert stored_keys(server.config.db_path) == first_keys + second_keys + third_keys


# --- the demo system's relabel fault ---------------------------------------------------------------


def test_relabel_fault_renames_labels_on_the_input_screens_and_can_be_switched_at_run_time(
        server: DemoServer, client: Client) -> None:
    client.login()
    assert '<label for="shimei">氏名</label>' in client.get("/entry").body
    server.reconfigure(relabel=parse_relabel("氏名=お名前、生年月日=誕生日"))
    entry, search = client.get("/entry").body, client.get("/search").body
    assert '<label for="shimei">お名前</label>' in entry and '<label for="birth">誕生日</label>' in entry
    assert 'id="shimei" name="shimei"' in entry  # ids and names stay: css still finds the field
    assert '<label for="s_shimei">お名前</label>' in search and '<label for="furigana">フリガナ</label>' in entry
    server.reconfigure(relabel={})
    assert '<label for="shimei">氏名</label>' in client.get("/entry").body


@pytest.mark.parametrize(("spec", "problem"), [("氏名", ValueError), ("=お名前", ValueError), ("氏名=", ValueError)])
def test_relabel_refuses_what_it_cannot_mean(spec: str, problem: type[Exception], tmp_path: Path) -> None:
    with pytest.raises(problem):
        parse_relabel(spec)
    with pytest.raises(TypeError):
        DemoWebConfig(db_path=tmp_path / "x.db", relabel="氏名=お名前")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        DemoWebConfig(db_path=tmp_path / "x.db", relabel={"氏名": " "})


# --- what the page showed: one evaluate on the matched element --------------------------------------

OBSERVED_PAGE = """<form>
<label id=wrap>お名前 <span class=req>必須</span><input id=a name=shimei placeholder="例: 山田 太郎"></label>
<span id=l1>ふりがな</span><span id=l2>（全角）</span><input id=b aria-labelledby="l1 l2">
<input id=c aria-label="電話番号" title="ハイフン可">
<label for=d>備考</label><textarea id=d>窓口で聞いた個人的な事情</textarea>
<label for=e>性別</label><select id=e><option>男</option><option selected>女</option></select>
<button id=f type=button>送信する</button><a id=g href="/menu">メニューへ</a>
<input id=h type=submit value="確認へ"><img id=i src="data:," alt="市章">
<table><tr><th>氏名</th><td id=j>風間 太郎</td></tr></table>
<p id=k class=message>""" + "長い説明。" * 100 + """</p>
</form>"""


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        page = browser.new_page()
        page.set_content(OBSERVED_PAGE)
        page.fill("#a", "小林 一郎")  # typed data: never read back
        page.fill("#b", "ヤマダ タロウ")
        yield page
        browser.close()


@pytest.mark.browser
@pytest.mark.parametrize(("selector", "expected"), [
    ("#a", {"tag": "input", "role": "textbox", "accessible_name": "お名前 必須", "label": "お名前 必須",
            "placeholder": "例: 山田 太郎", "id": "a", "name_attr": "shimei"}),
    ("#b", {"tag": "input", "role": "textbox", "accessible_name": "ふりがな （全角）", "label": "ふりがな （全角）", "id": "b"}),
    ("#c", {"tag": "input", "role": "textbox", "accessible_name": "電話番号", "label": "電話番号", "id": "c",
            "title": "ハイフン可"}),
    ("#d", {"tag": "textarea", "role": "textbox", "accessible_name": "備考", "label": "備考", "id": "d"}),
    ("#e", {"tag": "select", "role": "combobox", "accessible_name": "性別", "label": "性別", "id": "e"}),
    ("#f", {"tag": "button", "role": "button", "accessible_name": "送信する", "id": "f", "text": "送信する"}),
    ("#g", {"tag": "a", "role": "link", "accessible_name": "メニューへ", "id": "g", "text": "メニューへ"}),
    ("#h", {"tag": "input", "role": "button", "accessible_name": "確認へ", "id": "h"}),
    ("#i", {"tag": "img", "role": "img", "accessible_name": "市章", "id": "i", "alt": "市章"}),
    ("#j", {"tag": "td", "role": "cell", "accessible_name": "風間 太郎", "id": "j", "text": "風間 太郎"}),
], ids=["wrapping-label", "labelledby", "aria-label", "textarea", "select", "button", "link", "submit", "img", "cell"])
def test_observe_reads_what_identifies_an_element_never_what_was_typed(page: Page, selector: str,
                                                                      expected: dict[str, str]) -> None:
    seen = observe(page.locator(selector))
    assert seen == expected
    shown = json.dumps(seen, ensure_ascii=False)
    for typed in ("小林", "ヤマダ", "個人的な事情", "女"):
        assert typed not in shown


@pytest.mark.browser
def test_observe_of_a_sensitive_element_reads_no_content_and_long_text_is_cut(page: Page) -> None:
    assert observe(page.locator("#j"), with_text=False) == {"tag": "td", "role": "cell", "id": "j"}
    long = observe(page.locator("#k"))
    assert long is not None and long["role"] == "paragraph" and len(long["text"]) == MAX_TEXT
    assert observe(page.locator("#nothing-here")) is None  # the page changed: the drift is reported without it


# --- the command on recorded ledgers -----------------------------------------------------------------

JST = dt.timezone(dt.timedelta(hours=9))


def drift(element: str, first: dict[str, str], winner: str, observed: dict[str, str] | None = None,
          *, system: str = "demo_web") -> dict[str, object]:
    data: dict[str, object] = {"message": f"セレクタのずれ: {element}", "system": system, "map": system,
                               "screen": element.partition(".")[0], "element": element, "candidate": 2,
                               "first": first, "matched": {"index": 1, "description": winner}}
    if observed:
        data["observed"] = observed
    return data


def record(project: Project, *entries: tuple[dt.datetime, dict[str, object]]) -> None:
    """Write ``selector_drift`` entries at the given times, as the audit listener would."""
    clock = {"now": entries[0][0]}
    with LedgerWriter(audit_root(project.logs) / "main", clock=lambda: clock["now"], actor="山田") as writer:
        for when, data in entries:
            clock["now"] = when
            writer.append("selector_drift", None, "run-1", data)


def days_ago(n: int) -> dt.datetime:
    return dt.datetime.combine(dt.date.today() - dt.timedelta(days=n), dt.time(10, 0), tzinfo=JST).astimezone()


LABEL = {"kind": "label", "value": "氏名"}


def test_propose_without_apply_prints_and_saves_a_patch_that_applies(home: Project) -> None:
    record(home, (days_ago(2), drift("申請入力.氏名", LABEL, "css='#shimei'", {"label": "お名前"})),
           (days_ago(1), drift("確認.氏名", {"kind": "css", "value": "#c_shimei"},
                               "xpath=\"//table[@id='confirm_table']//tr[th[normalize-space()='氏名']]/td\"")))
    before = (home.selectors / "demo_web.yaml").read_bytes()
    result = kz("selectors", "propose", "demo_web")
    assert result.exit_code == 0, result.output
    assert "セレクタ定義 selectors/demo_web.yaml の修正案（過去 30 日のずれの記録 2 件から）:" in result.output
    assert "第2候補を第1候補に上げます" in result.output
    assert "--- a/selectors/demo_web.yaml\n+++ b/selectors/demo_web.yaml\n" in result.output
    assert "runner.py selectors propose demo_web --apply" in result.output
    assert (home.selectors / "demo_web.yaml").read_bytes() == before  # nothing written without --apply
    (patch,) = (home.logs / "proposals").glob("demo_web-*.patch")
    assert patch.read_text(encoding="utf-8").startswith("# 申請入力.氏名: 第1候補 label='氏名' では見つからず")
    # The saved patch is a real one: it applies to the map as it is.
    applied = subprocess.run(["git", "apply", "--check", "-v", str(patch)], cwd=home.root, capture_output=True,
                             text=True, check=False)
    assert applied.returncode == 0, applied.stderr
    assert "Checking patch selectors/demo_web.yaml" in applied.stderr


def test_nothing_recorded_in_the_window_or_for_the_system_proposes_nothing(home: Project) -> None:
    record(home, (days_ago(40), drift("申請入力.氏名", LABEL, "css='#shimei'", {"label": "お名前"})),
           (days_ago(1), drift("申請入力.氏名", LABEL, "css='#shimei'", {"label": "お名前"}, system="other")))
    result = kz("selectors", "propose", "demo_web")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "提案はありません（過去 30 日に demo_web のセレクタのずれの記録はありません）"
    assert not (home.logs / "proposals").exists()
    # A wider window sees the old entry.
    wider = kz("selectors", "propose", "demo_web", "--days", "45")
    assert wider.exit_code == 0 and "label='お名前' に変えます" in wider.output


def test_the_window_comes_from_the_project_configuration(home: Project) -> None:
    record(home, (days_ago(10), drift("申請入力.氏名", LABEL, "css='#shimei'", {"label": "お名前"})))
    (home.root / "kazaguruma.yaml").write_text("governance:\n  drift_window_days: 7\n", encoding="utf-8")
    result = kz("selectors", "propose", "demo_web")
    assert result.exit_code == 0 and "過去 7 日" in result.output and "提案はありません" in result.output


def test_conflicting_wordings_are_explained_and_nothing_is_written(home: Project) -> None:
    record(home, (days_ago(2), drift("申請入力.氏名", LABEL, "css='#shimei'", {"label": "お名前"})),
           (days_ago(1), drift("申請入力.氏名", LABEL, "css='#shimei'", {"label": "ご氏名"})))
    before = (home.selectors / "demo_web.yaml").read_bytes()
    result = kz("selectors", "propose", "demo_web", "--apply")
    assert result.exit_code == 0, result.output
    assert "画面の表示が記録によって違います（「お名前」、「ご氏名」）" in result.output
    assert result.output.rstrip().endswith("提案はありません")
    assert (home.selectors / "demo_web.yaml").read_bytes() == before
    assert not (home.logs / "proposals").exists()


def test_apply_keeps_windows_line_ends_and_a_second_proposal_is_empty(home: Project) -> None:
    path = home.selectors / "demo_web.yaml"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    record(home, (days_ago(1), drift("申請入力.氏名", LABEL, "css='#shimei'", {"label": "お名前"})))
    assert kz("selectors", "propose", "demo_web", "--apply").exit_code == 0
    data = path.read_bytes()
    assert b"\r\n        - label: \xe3\x81\x8a\xe5\x90\x8d\xe5\x89\x8d\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert shimei_candidates(home)[0] == Candidate(label="お名前")
    again = kz("selectors", "propose", "demo_web")
    assert again.exit_code == 0
    assert "記録の後にセレクタ定義が変わっています（第1候補は今 label='お名前'）" in again.output
    assert again.output.rstrip().endswith("提案はありません")


def test_propose_in_english(home: Project) -> None:
    record(home, (days_ago(1), drift("申請入力.氏名", LABEL, "css='#shimei'", {"label": "お名前"})))
    result = kz("--lang", "en", "selectors", "propose", "demo_web", "--apply")
    assert result.exit_code == 0, result.output
    assert "proposed fix of selectors/demo_web.yaml (from 1 selector drift records of the last 30 days):" in result.output
    assert "The page showed “お名前” there. The first candidate becomes label='お名前'" in result.output
    assert "selector map updated: selectors/demo_web.yaml" in result.output
    assert "runner.py flows approve FLOW --by APPROVER" in result.output
    nothing = kz("--lang", "en", "selectors", "propose", "demo_desktop")
    assert nothing.output.strip() == "nothing to propose (no selector drift on demo_desktop recorded in the last 30 days)"


def test_an_unknown_system_is_refused(home: Project) -> None:
    result = kz("selectors", "propose", "no_such_system")
    assert result.exit_code == 2
    assert "セレクタ定義が見つかりません" in result.output
