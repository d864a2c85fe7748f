"""``bots.selectors.propose``: recorded selector drift → a new selector map text, explained.

Pure functions on real map texts (the repository's ``selectors/demo_web.yaml`` and small maps
written here); every result is also loaded back with the real loader.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path
from typing import Any

import pytest

from bots import i18n
from bots.selectors.loader import load_selector_map
from bots.selectors.model import Candidate
from bots.selectors.observation import Observation, drift_data
from bots.selectors.propose import propose

REPO = Path(__file__).resolve().parents[2]
DEMO_MAP = (REPO / "selectors" / "demo_web.yaml").read_text(encoding="utf-8")
WHEN = dt.datetime(2026, 5, 1, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=9)))


def seen(element: str, candidates: list[dict[str, Any]], index: int, observed: dict[str, str] | None = None,
         *, kind: str = "web") -> Observation:
    """An observation exactly as the browser adapter's notice data makes it (through ``drift_data``)."""
    models = [Candidate.model_validate(c, context={"kind": kind}) for c in candidates]
    observation = Observation.from_data(drift_data("demo_web", "demo_web", element, models, index, observed),
                                        seen_at=WHEN, run_id="run-1")
    assert observation is not None
    return observation


SHIMEI = [{"label": "氏名"}, {"css": "#shimei"}]


def changed_lines(old: str, new: str) -> list[str]:
    return [line for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def loads(text: str, tmp_path: Path) -> Any:
    path = tmp_path / "demo_web.yaml"
    path.write_text(text, encoding="utf-8")
    selector_map, found = load_selector_map(path)
    assert selector_map is not None, [d.render() for d in found]
    return selector_map


def test_a_changed_label_becomes_the_first_candidates_new_label(tmp_path: Path) -> None:
    observed = {"tag": "input", "role": "textbox", "accessible_name": "お名前", "label": "お名前", "id": "shimei",
                "name_attr": "shimei", "placeholder": "例: 山田 太郎"}
    proposal = propose([seen("申請入力.氏名", SHIMEI, 1, observed)] * 3, DEMO_MAP)
    assert proposal.changed
    assert changed_lines(DEMO_MAP, proposal.text) == ["-        - label: 氏名", "+        - label: お名前"]
    (explanation,) = proposal.explanations
    assert explanation.action == "retext" and explanation.element == "申請入力.氏名"
    assert explanation.message == (
        "申請入力.氏名: 第1候補 label='氏名' では見つからず、第2候補 css='#shimei' で見つかりました（3 回記録、最後は "
        "2026-05-01 10:30）。画面のその場所の表示は「お名前」でした。第1候補を label='お名前' に変えます（ほかの候補はそのまま）")
    fixed = loads(proposal.text, tmp_path)
    assert fixed.element("申請入力.氏名") == [Candidate(label="お名前"), Candidate(css="#shimei")]
    assert fixed.element("検索.氏名")[0] == Candidate(label="氏名")  # the same label on another screen: untouched


def test_a_renamed_button_keeps_its_role_and_exact_flag() -> None:
    candidates = [{"role": "button", "name": "登録", "exact": True}, {"css": "#submit"}]
    proposal = propose([seen("確認.登録", candidates, 1, {"role": "button", "accessible_name": "送信する"})], DEMO_MAP)
    assert changed_lines(DEMO_MAP, proposal.text) == ["-          name: 登録", "+          name: 送信する"]


def test_a_non_text_first_candidate_is_replaced_by_promoting_the_one_that_worked(tmp_path: Path) -> None:
    xpath = "//table[@id='confirm_table']//tr[th[normalize-space()='氏名']]/td"
    proposal = propose([seen("確認.氏名", [{"css": "#c_shimei"}, {"xpath": xpath}], 1, {"role": "cell"})], DEMO_MAP)
    (explanation,) = proposal.explanations
    assert explanation.action == "promote"
    assert "第2候補を第1候補に上げます" in explanation.message
    assert loads(proposal.text, tmp_path).element("確認.氏名") == [Candidate(xpath=xpath), Candidate(css="#c_shimei")]
    assert changed_lines(DEMO_MAP, proposal.text) == [f'+        - xpath: "{xpath}"', f'-        - xpath: "{xpath}"']


@pytest.mark.parametrize("observed", [
    None,  # an entry without what the page showed (older runs, or the page navigated away)
    {"role": "textbox", "accessible_name": "氏名", "label": "氏名"},  # the same wording: it failed for another reason
    {"role": "textbox", "placeholder": "例: 山田 太郎"},  # no label shown at all
], ids=["no-evidence", "same-wording", "no-label"])
def test_a_text_first_candidate_without_a_new_wording_is_promoted(tmp_path: Path, observed: dict[str, str] | None) -> None:
    proposal = propose([seen("申請入力.氏名", SHIMEI, 1, observed)], DEMO_MAP)
    assert [e.action for e in proposal.explanations] == ["promote"]
    assert loads(proposal.text, tmp_path).element("申請入力.氏名") == [Candidate(css="#shimei"), Candidate(label="氏名")]


def test_a_link_that_became_a_button_is_promoted_not_renamed(tmp_path: Path) -> None:
    candidates = [{"role": "link", "name": "申請入力"}, {"css": "#menu_entry"}]
    proposal = propose([seen("メニュー.申請入力", candidates, 1, {"role": "button", "accessible_name": "新規申請"})],
                       DEMO_MAP)
    assert [e.action for e in proposal.explanations] == ["promote"]
    assert loads(proposal.text, tmp_path).element("メニュー.申請入力")[0] == Candidate(css="#menu_entry")


def test_two_different_wordings_for_one_element_propose_nothing_for_it(tmp_path: Path) -> None:
    furigana = [{"label": "フリガナ"}, {"css": "#furigana"}]
    proposal = propose([seen("申請入力.氏名", SHIMEI, 1, {"label": "お名前"}),
                        seen("申請入力.氏名", SHIMEI, 1, {"label": "ご氏名"}),
                        seen("申請入力.フリガナ", furigana, 1, {"label": "ふりがな"})], DEMO_MAP)
    conflict, other = proposal.explanations
    assert (conflict.element, conflict.action) == ("申請入力.氏名", "none")
    assert conflict.message == ("申請入力.氏名: 画面の表示が記録によって違います（「お名前」、「ご氏名」）。どれが正しいか決められないため"
                                "提案しません。画面を確かめてセレクタ定義を直してください")
    assert (other.element, other.action) == ("申請入力.フリガナ", "retext")
    assert changed_lines(DEMO_MAP, proposal.text) == ["-        - label: フリガナ", "+        - label: ふりがな"]


def test_different_working_candidates_propose_nothing() -> None:
    candidates = [{"label": "生年月日"}, {"placeholder": "例: 1980-04-01"}, {"css": "#birth"}]
    proposal = propose([seen("申請入力.生年月日", candidates, 1), seen("申請入力.生年月日", candidates, 2)], DEMO_MAP)
    assert not proposal.changed and proposal.text == DEMO_MAP
    (explanation,) = proposal.explanations
    assert "記録によって見つかった候補が違います" in explanation.message


def test_only_conflicts_leave_the_text_as_it_was() -> None:
    proposal = propose([seen("申請入力.氏名", SHIMEI, 1, {"label": "お名前"}),
                        seen("申請入力.氏名", SHIMEI, 1, {"label": "ご氏名"})], DEMO_MAP)
    assert not proposal.changed and proposal.text == DEMO_MAP


def test_drift_recorded_before_the_map_changed_is_not_proposed_again() -> None:
    observation = seen("申請入力.氏名", SHIMEI, 1, {"label": "お名前"})
    applied = propose([observation], DEMO_MAP).text
    again = propose([observation], applied)
    assert not again.changed and again.text == applied
    (explanation,) = again.explanations
    assert explanation.message == ("申請入力.氏名: 記録の後にセレクタ定義が変わっています（第1候補は今 label='お名前'）。"
                                   "提案しません")


def test_entries_that_do_not_name_the_failed_candidate_count_only_after_the_last_change_of_the_map() -> None:
    # The desktop adapter and older runs record only which candidate won: promoting it again after
    # the map was changed would undo the fix, so such entries older than the file are left out.
    old = Observation.from_data({"element": "申請入力.氏名", "candidate": 2}, seen_at=WHEN)
    assert old is not None
    assert propose([old], DEMO_MAP, changed_at=WHEN - dt.timedelta(minutes=1)).changed
    stale = propose([old], DEMO_MAP, changed_at=WHEN + dt.timedelta(minutes=1))
    assert not stale.changed and "記録の後にセレクタ定義が変わっています" in stale.explanations[0].message
    # An entry that names the failed candidate is judged by it, whenever the file changed.
    assert propose([seen("申請入力.氏名", SHIMEI, 1)], DEMO_MAP, changed_at=WHEN + dt.timedelta(days=1)).changed


def test_unknown_and_single_candidate_elements_are_explained() -> None:
    proposal = propose([seen("申請入力.申請番号", [{"label": "申請番号"}, {"css": "#no"}], 1),
                        seen("完了.受付番号", [{"label": "受付番号"}, {"css": "#receipt_no"}], 1)], DEMO_MAP)
    assert [e.message for e in proposal.explanations] == [
        "申請入力.申請番号: セレクタ定義にこの要素がありません。提案しません",
        "完了.受付番号: 候補が一つしかないため提案しません"]
    assert proposal.text == DEMO_MAP


COMMENTED = """\
# 業務システムのセレクタ定義（コメントは残ること）
system: demo_web
screens:
  # 入力画面
  申請入力:
    url: /entry   # 入力画面の URL
    elements:
      氏名:                 # 利用者の氏名
        - label: 氏名        # 画面の項目名
        - css: "#shimei"    # id は変わらない
      住所:
        - label: '住所'
        - css: '#address'
      確認へ:
        - css: "#to_confirm"  # ボタンの id
        - role: button
          name: 確認へ
"""


def test_comments_order_and_quoting_survive_the_edit(tmp_path: Path) -> None:
    proposal = propose([seen("申請入力.氏名", SHIMEI, 1, {"label": "お名前"}),
                        seen("申請入力.住所", [{"label": "住所"}, {"css": "#address"}], 1, {"label": "現住所"}),
                        seen("申請入力.確認へ", [{"css": "#to_confirm"}, {"role": "button", "name": "確認へ"}], 1)],
                       COMMENTED)
    assert [e.action for e in proposal.explanations] == ["retext", "retext", "promote"]
    new = proposal.text
    for comment in ("# 業務システムのセレクタ定義（コメントは残ること）", "# 入力画面", "# 入力画面の URL", "# 利用者の氏名",
                    "# 画面の項目名", "# id は変わらない", "# ボタンの id"):
        assert comment in new, comment
    assert re.search(r"\n        - label: お名前 +# 画面の項目名\n", new)  # the comment stays on its line
    assert "        - label: '現住所'\n" in new  # single quotes kept
    assert new.index("system:") < new.index("screens:") < new.index("氏名:") < new.index("住所:") < new.index("確認へ:")
    assert loads(new, tmp_path).element("申請入力.確認へ") == [Candidate(role="button", name="確認へ"),
                                                               Candidate(css="#to_confirm")]


def test_flow_style_candidates_are_edited_too(tmp_path: Path) -> None:
    text = 'system: demo_web\nscreens:\n  申請入力:\n    elements:\n      氏名: [{label: 氏名}, {css: "#shimei"}]\n'
    proposal = propose([seen("申請入力.氏名", SHIMEI, 1, {"label": "お名前"})], text)
    assert loads(proposal.text, tmp_path).element("申請入力.氏名") == [Candidate(label="お名前"), Candidate(css="#shimei")]


def test_observation_from_older_entries_and_non_drift_data() -> None:
    old = Observation.from_data({"system": "demo_web", "element": "申請入力.氏名", "candidate": 2})
    assert old is not None and (old.matched_index, old.first, old.matched, old.observed) == (1, None, None, {})
    assert old.concerns("demo_web", "demo_web") and not old.concerns("other", "other")
    assert Observation.from_data({"element": "申請入力.氏名", "candidate": 1}) is None  # the first candidate won
    assert Observation.from_data({"element": "氏名", "candidate": 2}) is None  # not screen.element
    assert Observation.from_data({"message": "x"}) is None


def test_notice_data_carries_the_first_and_the_winning_candidate() -> None:
    models = [Candidate(role="button", name="登録"), Candidate(css="#submit")]
    data = drift_data("web", "demo_web", "確認.登録", models, 1, {"role": "button", "accessible_name": "送信"})
    assert data == {"system": "web", "map": "demo_web", "screen": "確認", "element": "確認.登録", "candidate": 2,
                    "first": {"kind": "role", "value": "button", "name": "登録"},
                    "matched": {"index": 1, "description": "css='#submit'", "kind": "css", "value": "#submit"},
                    "observed": {"role": "button", "accessible_name": "送信"}}
    observation = Observation.from_data(data)
    assert observation is not None and observation.concerns("demo_web", "demo_web")


def test_explanations_in_english() -> None:
    i18n.set_language("en")
    try:
        retext = propose([seen("申請入力.氏名", SHIMEI, 1, {"label": "お名前"})], DEMO_MAP).explanations[0].message
        conflict = propose([seen("申請入力.氏名", SHIMEI, 1, {"label": "お名前"}),
                            seen("申請入力.氏名", SHIMEI, 1, {"label": "ご氏名"})], DEMO_MAP).explanations[0].message
    finally:
        i18n.set_language("ja")
    assert retext == ("申請入力.氏名: not found by its first candidate label='氏名' but by candidate 2 css='#shimei' "
                      "(seen 1 times, last 2026-05-01 10:30). The page showed “お名前” there. The first candidate "
                      "becomes label='お名前' (the other candidates stay)")
    assert conflict == ("申請入力.氏名: the runs saw different wordings (“お名前”, “ご氏名”); nothing proposed. Look at the "
                        "screen and fix the selector map")
