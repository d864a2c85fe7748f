"""Template matching (real OpenCV on real images), the desktop selector-map model, and the
completeness of the desktop error translation."""

from __future__ import annotations

import inspect
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from bots.adapters.desktop_errors import mapped, translate
from bots.adapters.screen_match import best_match, load_template, to_gray
from bots.errors import KazagurumaError, RunHalted, StepError
from bots.selectors.loader import load_selector_map


def _screen_with(icon: Image.Image, at: tuple[int, int]) -> Image.Image:
    rng = np.random.default_rng(7)
    screen = Image.fromarray(rng.integers(200, 256, (400, 600, 3), dtype=np.uint8))
    draw = ImageDraw.Draw(screen)
    draw.rectangle((20, 20, 120, 60), outline=(0, 0, 0), width=2)  # a decoy button frame
    screen.paste(icon, at)
    return screen


def _icon(size: int = 48) -> Image.Image:
    icon = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(icon)
    draw.rectangle((2, 2, size - 3, size - 3), outline=(0, 0, 160), width=3)
    draw.ellipse((size // 4, size // 4, 3 * size // 4, 3 * size // 4), fill=(200, 0, 0))
    draw.line((4, size - 6, size - 6, 4), fill=(0, 120, 0), width=3)
    return icon


def test_found_at_its_position_at_scale_one() -> None:
    screen = _screen_with(_icon(), (300, 200))
    match, best = best_match(to_gray(screen), to_gray(_icon()), confidence=0.9, scales=(1.0,))
    assert match is not None and (match.rect.x, match.rect.y) == (300, 200) and match.scale == 1.0
    assert best > 0.99


def test_multi_scale_finds_an_icon_drawn_smaller_and_reports_the_scale() -> None:
    screen = _screen_with(_icon().resize((38, 38), Image.Resampling.LANCZOS), (100, 250))
    template = to_gray(_icon())
    assert best_match(to_gray(screen), template, confidence=0.85, scales=(1.0,))[0] is None
    match, _ = best_match(to_gray(screen), template, confidence=0.85, scales=(1.0, 0.9, 0.8))
    assert match is not None and match.scale == 0.8
    assert abs(match.rect.x - 100) <= 2 and abs(match.rect.y - 250) <= 2


def test_confidence_decides_and_a_missing_icon_is_not_found() -> None:
    other = Image.new("RGB", (48, 48), (255, 255, 255))
    ImageDraw.Draw(other).rectangle((10, 10, 38, 38), fill=(0, 0, 0))
    screen = _screen_with(other, (300, 200))
    match, best = best_match(to_gray(screen), to_gray(_icon()), confidence=0.8, scales=(1.0, 0.9, 1.1))
    assert match is None and best < 0.8
    screen = _screen_with(_icon(), (300, 200))
    ImageDraw.Draw(screen).rectangle((324, 200, 348, 248), fill=(255, 255, 255))  # half the icon changed
    found, changed = best_match(to_gray(screen), to_gray(_icon()), confidence=0.9, scales=(1.0,))
    assert found is None and 0.3 < changed < 0.9
    assert best_match(to_gray(screen), to_gray(_icon()), confidence=changed - 0.01, scales=(1.0,))[0] is not None


def test_templates_load_from_non_ascii_paths(tmp_path: Path) -> None:
    path = tmp_path / "画像" / "登録ボタン.png"
    path.parent.mkdir()
    _icon().save(path)
    assert load_template(path).shape == (48, 48)
    with pytest.raises(OSError):
        load_template(tmp_path / "ない.png")


DESKTOP_MAP = """\
system: sys
kind: desktop
recorded: {width: 1280, height: 800}
screens:
  入力:
    window: "^入力$"
    elements:
      ボタン: [{image: sys/button.png, confidence: 0.9, scales: [1.0, 0.8]}, {text: 登録}]
      欄: {point: [10, 20]}
      番号: {region: [1, 2, 30, 40]}
"""


def test_a_desktop_map_loads_with_images_texts_points_and_regions(tmp_path: Path) -> None:
    (tmp_path / "sys").mkdir()
    _icon().save(tmp_path / "sys" / "button.png")
    path = tmp_path / "sys.yaml"
    path.write_text(DESKTOP_MAP, encoding="utf-8")
    selector_map, found = load_selector_map(path)
    assert not found and selector_map is not None
    assert [c.image or c.text for c in selector_map.element("入力.ボタン")] == ["sys/button.png", "登録"]
    assert selector_map.element("入力.欄")[0].point == (10, 20)
    assert selector_map.recorded is not None and selector_map.recorded.scale == 1.0


def test_a_missing_image_and_web_locators_are_refused_with_their_positions(tmp_path: Path) -> None:
    path = tmp_path / "sys.yaml"
    path.write_text(DESKTOP_MAP.replace("番号: {region: [1, 2, 30, 40]}", "番号: {css: '#no'}"), encoding="utf-8")
    selector_map, found = load_selector_map(path)
    assert selector_map is None
    rendered = [d.render() for d in found]
    assert any(r.startswith(f"{path}:8:") and "画像ファイルがありません" in r for r in rendered), rendered
    assert any(r.startswith(f"{path}:10:") and "image / text / point / region" in r for r in rendered), rendered


def test_a_web_map_still_refuses_desktop_candidates(tmp_path: Path) -> None:
    path = tmp_path / "web.yaml"
    path.write_text("system: web\nscreens:\n  s:\n    elements:\n      e: {point: [1, 2]}\n", encoding="utf-8")
    selector_map, found = load_selector_map(path)
    assert selector_map is None and "role / label / text / placeholder / css / xpath" in found[0].render()


@pytest.mark.display
def test_every_desktop_third_party_exception_is_translated(xvfb_display: object) -> None:  # noqa: F811
    import cv2
    import pyautogui
    import pyscreeze
    from Xlib import error as xerror


    table = mapped()
    exported = [obj for module in (pyautogui, pyscreeze, xerror) for _, obj in inspect.getmembers(module)
                if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__.startswith(
                    (module.__name__.split(".")[0], "Xlib"))]
    exported += [cv2.error, subprocess.TimeoutExpired, subprocess.CalledProcessError, OSError]
    assert len(exported) > 8
    for cls in exported:
        assert any(issubclass(cls, source) for source in table), f"{cls.__module__}.{cls.__name__} is not mapped"
    halted = translate(pyautogui.FailSafeException("corner"), "click")
    assert isinstance(halted, RunHalted)
    timeout = translate(subprocess.TimeoutExpired(["xclip"], 5), "paste")
    assert isinstance(timeout, StepError) and timeout.kind == "timeout" and str(timeout).startswith("paste")
    assert isinstance(translate(cv2.error("bad"), "match"), KazagurumaError)
