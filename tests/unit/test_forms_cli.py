"""``runner.py forms new`` and ``runner.py forms check`` in a project folder, in Japanese and English.

A blank shinsei page without corner marks (the generator's drawing, scanned) is the sample; a
filled demo scan is what ``check`` registers against the drafted template. Real tesseract, real
OpenCV, the real command line (typer's runner, in process).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from forms_draft_support import blank_shinsei
from kazaguruma_demo.forms import GeneratedForm, default_template, generate_forms
from PIL import Image
from typer.testing import CliRunner

from bots.cli.app import app
from bots.i18n import set_language
from bots.selectors.form_template import load_form_template

ENV = {"COLUMNS": "200", "NO_COLOR": "1"}


@pytest.fixture(autouse=True)
def _language() -> Iterator[None]:
    yield
    set_language(None)  # --lang en sets the process's language: not for the next test


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project folder (flows/, selectors/forms/) and a blank sample scan without marks."""
    root = tmp_path_factory.mktemp("project")
    (root / "flows").mkdir()
    (root / "selectors" / "forms").mkdir(parents=True)
    (root / "見本").mkdir()  # a non-ASCII folder, as staff name them
    blank_shinsei(root / "見本" / "blank.jpg", default_template(), dpi=200, seed=11, marks=False)
    return root


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> GeneratedForm:
    return generate_forms(tmp_path_factory.mktemp("scans"), 1, seed=21)[0]


def _run(project: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(project)
    monkeypatch.delenv("KZ_HOME", raising=False)
    result = CliRunner().invoke(app, list(args), env=ENV)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def drafted(project: Path) -> tuple[int, str]:
    """``forms new mine --sample 見本/blank.jpg`` once for the module (a draft takes seconds)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        return _run(project, monkeypatch, "forms", "new", "mine", "--sample", str(project / "見本" / "blank.jpg"))


@pytest.mark.tesseract
def test_forms_new_writes_a_template_and_its_blank_reference(project: Path, drafted: tuple[int, str]) -> None:
    code, output = drafted

    assert code == 0, output
    template_path = project / "selectors" / "forms" / "mine.yaml"
    assert "書き出しました" in output and "forms check mine" in output
    assert "白紙の帳票の画像との照合" in output  # no marks on the sample: registration by the reference
    assert (project / "selectors" / "forms" / "mine_blank.png").is_file()
    template, found = load_form_template(template_path)
    assert template is not None, [str(d) for d in found]
    assert {"氏名", "フリガナ", "生年月日", "郵便番号", "住所", "電話番号", "個人番号"} <= set(template.fields)


@pytest.mark.tesseract
@pytest.mark.parametrize(("lang", "message"), [
    ([], "すでにあります。上書きするには --force を付けてください"),
    (["--lang", "en"], "already exists; add --force to overwrite it"),
])
def test_forms_new_refuses_to_overwrite(project: Path, drafted: tuple[int, str], monkeypatch: pytest.MonkeyPatch,
                                        lang: list[str], message: str) -> None:
    template_path = project / "selectors" / "forms" / "mine.yaml"
    before = template_path.read_bytes()

    code, output = _run(project, monkeypatch, *lang, "forms", "new", "mine", "--sample",
                        str(project / "見本" / "blank.jpg"))

    assert code == 2
    assert message in output
    assert template_path.read_bytes() == before


@pytest.mark.tesseract
def test_forms_new_force_overwrites_and_out_writes_elsewhere(project: Path, drafted: tuple[int, str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    out = project / "別の場所" / "copy.yaml"
    code, output = _run(project, monkeypatch, "--lang", "en", "forms", "new", "copy", "--sample",
                        str(project / "見本" / "blank.jpg"), "--out", str(out))
    assert code == 0, output
    assert "written:" in output and "registration: matching the blank form's image" in output
    assert out.is_file() and (out.parent / "copy_blank.png").is_file()

    out.write_text("changed", encoding="utf-8")
    code, output = _run(project, monkeypatch, "forms", "new", "copy", "--sample", str(project / "見本" / "blank.jpg"),
                        "--out", str(out), "--force")
    assert code == 0, output
    assert out.read_text(encoding="utf-8").startswith("# 帳票定義の下書き")


@pytest.mark.parametrize(("lang", "message"), [
    ([], "帳票の名前に使えるのは英小文字・数字・_・- だけです: Mine"),
    (["--lang", "en"], "a form name may hold only a-z, 0-9, _ and -: Mine"),
])
def test_forms_new_refuses_a_name_that_is_no_form_name(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                       lang: list[str], message: str) -> None:
    code, output = _run(project, monkeypatch, *lang, "forms", "new", "Mine", "--sample", "x.jpg")

    assert code == 2
    assert message in output


@pytest.mark.tesseract
def test_forms_check_draws_the_zones_on_the_registered_scan(project: Path, drafted: tuple[int, str],
                                                            filled: GeneratedForm,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    image = project / "check.png"

    code, output = _run(project, monkeypatch, "forms", "check", "mine", str(filled.path), "--out", str(image))

    assert code == 0, output
    template, _ = load_form_template(project / "selectors" / "forms" / "mine.yaml")
    assert template is not None
    for name in template.fields:
        assert name in output
    postcode = str(filled.truth["郵便番号"])
    assert f"{postcode[:3]}-{postcode[3:]}" in output  # the zone holds the value: a plain reading finds it
    assert "☑" in output  # 同意 is ticked on this form
    drawn = np.asarray(Image.open(image).convert("RGB")).astype(int)
    assert drawn.shape[:2] == (3508, 2480)  # the registered A4 canvas at 300 dpi
    zone = template.zone_mm("住所")
    k = 300 / 25.4
    edge = drawn[round((zone.y + zone.h / 2) * k), round(zone.x * k) - 3:round(zone.x * k) + 4]
    assert any(r > 180 and g < 90 and b < 90 for r, g, b in edge)  # the zone's red outline
    assert "check.png" in output


@pytest.mark.tesseract
@pytest.mark.parametrize(("lang", "message"), [
    ([], "位置合わせができません"),
    (["--lang", "en"], "cannot register the scan"),
])
def test_forms_check_says_why_a_scan_cannot_be_registered(project: Path, drafted: tuple[int, str],
                                                          monkeypatch: pytest.MonkeyPatch, lang: list[str],
                                                          message: str) -> None:
    white = project / "white.png"
    Image.new("L", (1654, 2339), 250).save(white, dpi=(200, 200))

    code, output = _run(project, monkeypatch, *lang, "forms", "check", "mine", str(white), "--out",
                        str(project / "none.png"))

    assert code == 1
    assert message in output
    reason = re.sub(r"\s+", " ", output.split(message, 1)[1])
    assert len(reason.strip(" :：")) > 5  # registration's own reason follows
    assert not (project / "none.png").exists()
