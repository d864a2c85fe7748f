"""What changed between two versions of a flow, in words: the sample flows are copied into a
scratch project, edited as a person would, loaded again and compared with the originals."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import bots.actions  # noqa: F401  (fills the registry)
from bots.flow.loader import LoadedFlow, load_flow
from bots.governance.changes import Change, flow_changes, selector_changes
from bots.i18n import set_language
from bots.project import Project
from bots.selectors.loader import load_selector_map

REPO = Path(__file__).resolve().parents[2]


class Scratch:
    """A copy of the repository's flows and selector maps, to edit and load."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for folder in ("flows", "selectors"):
            shutil.copytree(REPO / folder, root / folder)
        self.project = Project(root)

    def load(self, name: str) -> LoadedFlow:
        loaded, found = load_flow(self.root / "flows" / name, self.project)
        assert loaded is not None, [d.render() for d in found]
        return loaded

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def scratch(tmp_path: Path) -> Scratch:
    return Scratch(tmp_path / "project")


def changed(scratch: Scratch, name: str, *edits: tuple[str, str, str]) -> list[Change]:
    before = scratch.load(name)
    for relative, old, new in edits:
        scratch.edit(relative, old, new)
    return flow_changes(before, scratch.load(name))


def texts(changes: list[Change]) -> list[str]:
    return [c.text for c in changes]


ENTRY = "flows/common/demo_web_entry.yaml"
PHONE = '  - browser.fill: {target: 申請入力.電話番号, value: "{{ record.電話番号 }}"}\n'
ADDRESS = '  - browser.fill: {target: 申請入力.住所, value: "{{ record.住所 }}"}\n'


def test_the_same_flow_has_no_changes(scratch: Scratch) -> None:
    assert changed(scratch, "shinsei_nyuryoku.yaml") == []
    assert flow_changes(scratch.load("desktop_nyuryoku.yaml"), scratch.load("desktop_nyuryoku.yaml")) == []


def test_a_step_inserted_in_a_sub_flow_is_one_addition(scratch: Scratch) -> None:
    found = changed(scratch, "shinsei_nyuryoku.yaml",
                    (ENTRY, ADDRESS, ADDRESS + '  - browser.fill: {target: 申請入力.備考, value: "至急"}\n'))

    # One addition: never a cascade of "changed" for the steps after it, whose numbers moved.
    assert texts(found) == ['手順を追加（サブフロー common/demo_web_entry.yaml・8 番目）: 申請入力画面の『備考』に"至急"を入力']
    assert found[0].kind == "added" and found[0].area == "steps"


def test_steps_swapped_are_a_removal_and_an_addition(scratch: Scratch) -> None:
    found = changed(scratch, "shinsei_nyuryoku.yaml", (ENTRY, ADDRESS + PHONE, PHONE + ADDRESS))

    assert texts(found) == [
        "手順を追加（サブフロー common/demo_web_entry.yaml・7 番目）: 申請入力画面の『電話番号』にレコードの『電話番号』を入力",
        "手順を削除（サブフロー common/demo_web_entry.yaml・8 番目）: 申請入力画面の『電話番号』にレコードの『電話番号』を入力",
    ]


def test_a_new_step_in_the_flow_is_named_with_its_block_and_place(scratch: Scratch) -> None:
    found = changed(scratch, "desktop_nyuryoku.yaml",
                    ("flows/desktop_nyuryoku.yaml", '        - desktop.press: tab\n        - desktop.type: {value: "{{ record.フリガナ }}"}\n',
                     '        - desktop.press: tab\n        - desktop.type: {target: 申請入力.電話番号, value: "{{ record.電話番号 }}"}\n'
                     '        - desktop.type: {value: "{{ record.フリガナ }}"}\n'))

    assert texts(found) == ["手順を追加（レコードごとの手順（1 行ずつ）・1.5 番目）: 申請入力画面の『電話番号』に Excel の『電話番号』列を入力"]
    assert found[0].kind == "added" and found[0].where == "レコードごとの手順（1 行ずつ）・1.5 番目"


def test_a_changed_value_shows_old_and_new(scratch: Scratch) -> None:
    found = changed(scratch, "shinsei_nyuryoku.yaml", (ENTRY, '{target: 申請入力.住所, value: "{{ record.住所 }}"}',
                                                      '{target: 申請入力.住所, value: "{{ record.住所 | zenkaku }}"}'))

    assert texts(found) == ["手順を変更（サブフロー common/demo_web_entry.yaml・7 番目）: 申請入力画面の『住所』にレコードの『住所』を入力 → "
                            "申請入力画面の『住所』にレコードの『住所』（全角）を入力"]


def test_a_commit_mark_removed_is_a_change(scratch: Scratch) -> None:
    found = changed(scratch, "shinsei_nyuryoku.yaml", (ENTRY, "    commit: true\n", ""))

    assert texts(found) == ["手順を変更（サブフロー common/demo_web_entry.yaml・14 番目）: 【登録操作】〔登録〕確認画面の『登録』をクリック → "
                            "〔登録〕確認画面の『登録』をクリック"]


def test_a_changed_candidate_names_the_selector_with_old_and_new(scratch: Scratch) -> None:
    found = changed(scratch, "shinsei_nyuryoku.yaml",
                    ("selectors/demo_web.yaml", '      氏名:\n        - label: 氏名\n        - css: "#shimei"',
                     '      氏名:\n        - label: お名前\n        - css: "#shimei"'))

    assert texts(found) == ["セレクタ 申請入力.氏名 の候補を変更: 1. label 氏名 → label お名前"]
    assert found[0].area == "selectors" and found[0].where == "demo_web 申請入力.氏名"


def test_selector_changes_alone(scratch: Scratch) -> None:
    path = scratch.root / "selectors" / "demo_web.yaml"
    before, _ = load_selector_map(path)
    scratch.edit("selectors/demo_web.yaml", '      フリガナ:\n        - label: フリガナ\n        - css: "#furigana"\n',
                 '      フリガナ:\n        - label: フリガナ\n')
    scratch.edit("selectors/demo_web.yaml", '        - role: button\n          name: 確認へ\n',
                 '        - role: button\n          name: 入力内容の確認\n')
    scratch.edit("selectors/demo_web.yaml", "      備考:\n", "      携帯電話:\n        - label: 携帯電話\n      備考:\n")
    scratch.edit("selectors/demo_web.yaml", "  検索:\n    url: /search\n", "  検索:\n    url: /search2\n")
    after, _ = load_selector_map(path)
    assert before is not None and after is not None

    assert texts(selector_changes(before, after)) == [
        "セレクタ 申請入力.フリガナ の候補を変更: 2. css #furigana → （なし）",
        "セレクタ 申請入力.確認へ の候補を変更: 1. role button「確認へ」 → role button「入力内容の確認」",
        "セレクタ 申請入力.携帯電話 を追加: 1. label 携帯電話",
        "画面 検索 の url を変更: /search → /search2",
    ]
    assert selector_changes(before, before) == []


def test_metadata_changes_read_as_sentences(scratch: Scratch) -> None:
    flow = "flows/shinsei_nyuryoku.yaml"
    found = changed(scratch, "shinsei_nyuryoku.yaml",
                    (flow, "owner: 情報政策係 風間", "owner: 市民課 花田"),
                    (flow, "deputy: 情報政策係 車田", "deputy: 市民課 石田"),
                    (flow, "version: 1.0.0", "version: 1.1.0"),
                    (flow, "department: 市民課 住民記録係", "department: 市民課 証明係"),
                    (flow, "data_classes: [住民記録, 個人番号]", "data_classes: [住民記録]"),
                    (flow, "contact: 情報政策係 風間（内線 1234）", "contact: 市民課（内線 2000）"),
                    (flow, "    フリガナ: {type: kana, required: true}", "    フリガナ: {type: kana}"),
                    (flow, "    備考: str\n", "    備考: str\n    世帯番号: {type: int, required: true}\n"),
                    (flow, "  key: [氏名, 生年月日]", "  key: [氏名, 生年月日, 住所]"),
                    (flow, "  max_failures: 20", "  max_failures: 5"))

    assert texts(found) == [
        "版を変更: 1.0.0 → 1.1.0",
        "所有者を変更: 情報政策係 風間 → 市民課 花田",
        "副担当を変更: 情報政策係 車田 → 市民課 石田",
        "所管課を変更: 市民課 住民記録係 → 市民課 証明係",
        "連絡先を変更: 情報政策係 風間（内線 1234） → 市民課（内線 2000）",
        "扱う個人情報を変更: 住民記録、個人番号 → 住民記録",
        "設定 max_failures を変更: 20 → 5",
        "レコードのキー（同じ行と見なす列）を変更: 氏名、生年月日 → 氏名、生年月日、住所",
        "列『フリガナ』を変更: 型 kana・必須 → 型 kana",
        "列『世帯番号』を追加（型 int・必須）",
    ]
    assert all(c.area == "metadata" and c.kind in ("changed", "added") for c in found)


def test_inputs_and_outputs(scratch: Scratch) -> None:
    flow = "flows/shinsei_nyuryoku.yaml"
    found = changed(scratch, "shinsei_nyuryoku.yaml",
                    (flow, "    default: flows/data/申請一覧.xlsx\n", "    default: flows/data/今月の申請.xlsx\n"),
                    (flow, "inputs:\n", "inputs:\n  担当:\n    type: str\n    description: 処理した職員\n"))

    assert texts(found) == ["入力『file』を変更: 型 path・既定 flows/data/申請一覧.xlsx・説明「申請一覧の Excel ファイル」 → "
                            "型 path・既定 flows/data/今月の申請.xlsx・説明「申請一覧の Excel ファイル」",
                            "入力『担当』を追加（型 str・説明「処理した職員」）"]


def test_sub_flow_swap(scratch: Scratch) -> None:
    before = scratch.load("shinsei_nyuryoku.yaml")
    shutil.copy(scratch.root / "flows/common/demo_web_lookup.yaml", scratch.root / "flows/common/demo_web_lookup2.yaml")
    scratch.edit("flows/shinsei_nyuryoku.yaml", "common/demo_web_lookup.yaml", "common/demo_web_lookup2.yaml")
    found = flow_changes(before, scratch.load("shinsei_nyuryoku.yaml"))

    assert texts(found) == [
        "手順を変更（登録済みかの照会（再開のとき）・1 番目）: サブフロー『デモ基幹システムで申請1件の登録有無を照会』"
        "（common/demo_web_lookup.yaml）を実行し、結果の『照会件数』・『受付番号』を受け取る → サブフロー『デモ基幹システムで申請1件の登録有無を照会』"
        "（common/demo_web_lookup2.yaml）を実行し、結果の『照会件数』・『受付番号』を受け取る",
        "サブフローを呼ばなくなりました: common/demo_web_lookup.yaml（デモ基幹システムで申請1件の登録有無を照会）",
        "サブフローを呼ぶようになりました: common/demo_web_lookup2.yaml（デモ基幹システムで申請1件の登録有無を照会）",
    ]


def test_a_changed_form_template_is_named(scratch: Scratch) -> None:
    found = changed(scratch, "shinsei_ocr.yaml",
                    ("selectors/forms/shinsei.yaml", "    zone: {x: 56.5, y: 54.5, w: 132, h: 12}",
                     "    zone: {x: 57.0, y: 54.5, w: 132, h: 12}"))

    assert texts(found) == ["帳票定義 shinsei（各種証明書等交付申請書）を変更: 欄 氏名"]
    assert found[0].area == "form"


def test_changes_in_english(scratch: Scratch) -> None:
    set_language("en")
    before = scratch.load("shinsei_nyuryoku.yaml")
    scratch.edit("selectors/demo_web.yaml", '        - label: 氏名\n        - css: "#shimei"',
                 '        - label: お名前\n        - css: "#shimei"')
    scratch.edit("flows/shinsei_nyuryoku.yaml", "owner: 情報政策係 風間", "owner: 市民課 花田")
    scratch.edit(ENTRY, ADDRESS, "")

    assert texts(flow_changes(before, scratch.load("shinsei_nyuryoku.yaml"))) == [
        "owner changed: 情報政策係 風間 → 市民課 花田",
        "step removed (sub-flow common/demo_web_entry.yaml, step 7): enter the record's “住所” in “住所” on the 申請入力 "
        "screen",
        "selector 申請入力.氏名: candidates changed: 1. label 氏名 → label お名前",
    ]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_change_of_the_run_outputs_is_worded(scratch: Scratch, lang: str) -> None:
    """Issue 19: ``run_outputs`` (a value kept once per run) added or dropped is a metadata change."""
    set_language(lang)
    with_total = scratch.load("spa_chumon.yaml")
    scratch.edit("flows/spa_chumon.yaml", "run_outputs: [合計件数]\n", "")
    without = scratch.load("spa_chumon.yaml")

    dropped, added = flow_changes(with_total, without), flow_changes(without, with_total)
    if lang == "ja":
        assert texts(dropped) == ["実行結果（実行全体で1つの値）を変更: 合計件数 → （なし）"]
        assert texts(added) == ["実行結果（実行全体で1つの値）を変更: （なし） → 合計件数"]
    else:
        assert texts(dropped) == ["run results (one value per run) changed: 合計件数 → (none)"]
    assert [(c.kind, c.where, c.area) for c in dropped] == [("changed", "run_outputs", "metadata")]
