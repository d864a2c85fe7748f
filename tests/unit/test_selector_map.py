"""Selector map model: a screen's optional elements."""

from __future__ import annotations

from pathlib import Path

from bots.selectors.loader import load_selector_map

MAP = """\
system: sys
screens:
  画面:
    optional: [{optional}]
    elements:
      ボタン: {{css: "#b"}}
      メッセージ: {{css: ".message"}}
"""


def test_optional_names_elements_of_the_screen(tmp_path: Path) -> None:
    path = tmp_path / "sys.yaml"
    path.write_text(MAP.format(optional="メッセージ"), encoding="utf-8")
    selector_map, found = load_selector_map(path)
    assert not found and selector_map is not None
    assert selector_map.screens["画面"].optional == ("メッセージ",)


def test_optional_naming_no_element_is_refused_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "sys.yaml"
    path.write_text(MAP.format(optional="メッセージ, ない"), encoding="utf-8")
    selector_map, found = load_selector_map(path)
    assert selector_map is None
    assert [d.render() for d in found] == [f"{path}:4:5: エラー: optional に要素でない名前があります: ない"]
