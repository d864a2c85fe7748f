"""A drafted form template (:class:`bots.ocr.draft.Draft`) written out: the YAML and the blank reference.

Written by hand rather than by a YAML library so that the file reads like ``shinsei.yaml``: zones on
one line, and Japanese comments at each place the person must check (a field named 欄N, a kind
that was guessed, a choice without options, a paper size taken from the aspect alone). The
reference image (the sample straightened, zones wiped: the blank form) is saved beside the
template at :data:`REFERENCE_DPI`, small enough for the repository.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from bots.ocr.boxes import Gray
from bots.ocr.draft import PX_PER_MM, Draft, DraftField
from bots.ocr.register import MM_PER_INCH

#: The reference image's resolution: enough for feature registration, ~0.5 MB for an A4 page.
REFERENCE_DPI = 200
#: Gray levels this close to the paper's are paper: scanner noise is a few levels (σ 2–7).
_PAPER_MARGIN = 40


def reference_name(form: str) -> str:
    """The reference image's file name for ``form`` (beside the template)."""
    return f"{form}_blank.png"


def write_draft(draft: Draft, path: Path, sample: Path) -> list[Path]:
    """Write the template to ``path`` (and, when it registers by reference, the blank image beside
    it); each file replaced in one step. Returns the files written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    if draft.anchors.get("kind") == "reference":
        image = path.parent / reference_name(draft.name)
        scale = REFERENCE_DPI / MM_PER_INCH / PX_PER_MM
        small = _clean_paper(np.asarray(cv2.resize(draft.reference, None, fx=scale, fy=scale,
                                                   interpolation=cv2.INTER_AREA), dtype=np.uint8))
        temporary = image.with_name(f".{image.name}.draft")
        Image.fromarray(small).save(temporary, "PNG", dpi=(REFERENCE_DPI, REFERENCE_DPI), optimize=True)
        os.replace(temporary, image)
        written.append(image)
    temporary = path.with_name(f".{path.name}.draft")
    temporary.write_bytes(render(draft, sample.name).encode("utf-8"))
    os.replace(temporary, path)
    return [path, *written]


def _clean_paper(gray: Gray) -> Gray:
    """Paper made plain white (scanner noise and tone above the paper's level): the print, what
    registration matches, is kept, and the PNG shrinks from ~1.3 MB to a tenth."""
    paper = float(np.percentile(gray, 60))
    cleaned = gray.astype(np.float32) * (255 / max(paper, 1.0))
    cleaned[cleaned >= 255 - _PAPER_MARGIN] = 255
    return np.asarray(np.clip(cleaned, 0, 255), dtype=np.uint8)


def render(draft: Draft, sample: str) -> str:
    """The template's YAML text, commented for the person who checks it."""
    paper = draft.paper
    orientation = "横" if paper.width_mm > paper.height_mm else "縦"
    size_note = "スキャンの解像度から判定" if paper.measured else "縦横比だけから推定: 用紙の大きさを確かめる"
    lines = [
        f"# 帳票定義の下書き: runner.py forms new が見本 {sample} から作成。使う前に人が確かめること:",
        "#   1. 欄の名前 = レコードの列名（Excel の申請一覧の見出しと同じに）。「欄1」などは項目名を読めなかった欄。",
        "#   2. kind（値の種類）は項目名から推定した。選択肢の欄は kind: choice と options（選択肢）を書く。",
        "#   3. required（必須）: 空欄でよい欄は false に。",
        f"#   4. 位置: runner.py forms check {draft.name} <記入済みのスキャン> で、各欄の枠が罫線の内側にあるかを画像で確かめる。",
        "# zone はページ左上からの mm。印刷された罫線の内側 1.5 mm ほどに取ってある（位置合わせの誤差で罫線を読まないため）。",
        f"form: {draft.name}",
        f"title: {_quoted(draft.title or draft.name)}" + ("" if draft.title else "  # 表題を読めませんでした: 帳票の名前を書く"),
        f"page: {{width_mm: {_mm(paper.width_mm)}, height_mm: {_mm(paper.height_mm)}}}"
        f"  # {paper.name} {orientation}（{size_note}）",
        *_anchors(draft),
        "fields:",
    ]
    for spec in draft.fields:
        lines += _field(spec)
    return "\n".join(lines) + "\n"


def _anchors(draft: Draft) -> list[str]:
    anchors = draft.anchors
    if anchors.get("kind") == "corner_marks":
        return ["anchors:                                  # 位置合わせ: 四隅の黒い正方形（見本で見つかったもの）",
                "  kind: corner_marks",
                f"  size_mm: {_mm(float(anchors['size_mm']))}  # マークの一辺",  # type: ignore[arg-type]
                f"  inset_mm: {_mm(float(anchors['inset_mm']))}  # ページの端からマークの外側の辺まで"]  # type: ignore[arg-type]
    return ["anchors:                                  # 位置合わせ: 白紙の帳票の画像（見本から作成）に印刷の特徴で合わせる",
            "  kind: reference",
            f"  image: {reference_name(draft.name)}             # この定義と同じフォルダ。記入欄は白く消してある"]


def _field(spec: DraftField) -> list[str]:
    x, y, w, h = spec.zone
    lines = [f"  {_key(spec.name)}:{_field_note(spec)}",
             f"    zone: {{x: {_mm(x)}, y: {_mm(y)}, w: {_mm(w)}, h: {_mm(h)}}}",
             f"    kind: {spec.kind}"]
    settings = dict(spec.settings)
    if spec.kind == "checkbox":
        return [*lines, "    required: false                       # チェックが必須なら true"]
    if "options" in settings:
        options = ", ".join(_quoted(str(option)) for option in settings.pop("options"))  # type: ignore[attr-defined]
        lines.append(f"    options: [{options}]                   # 印字される選択肢（確かめる）")
    lines += [f"    lang: {settings.pop('lang', 'jpn')}", "    psm: 7"]
    if "whitelist" in settings:
        lines.append(f"    whitelist: {_quoted(str(settings.pop('whitelist')))}")
    required = settings.pop("required", True)
    lines.append(f"    required: {'true' if required else 'false'}")
    if settings.pop("sensitive", False):
        lines.append("    sensitive: true                       # 個人番号: ログ・レビュー表では伏せ字")
    if settings.pop("itaiji", False):
        lines.append("    itaiji: true                          # 人の名前: 異体字（髙・﨑 など）を確認")
    return lines


def _field_note(spec: DraftField) -> str:
    """The comment on a field's first line: what was read and what the person must do."""
    if not spec.label:
        return "  # 項目名を読めませんでした: 欄の名前（列名）を付けてください"
    if spec.kind == "checkbox":
        return f"  # 印字「{spec.label}」の横の小さな四角: チェック欄（インクの量で判定）"
    if not spec.guessed:
        return f"  # 印字「{spec.label}」から。種類が分からず text にした: 選択肢・数字などなら kind を直す"
    return f"  # 印字「{spec.label}」から kind を推定"


def _mm(value: float) -> str:
    """12.0 → "12", 56.5 → "56.5"."""
    return f"{value:g}"


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is one)."""
    return json.dumps(text, ensure_ascii=False)


def _key(name: str) -> str:
    """A field name as a mapping key: plain when YAML cannot take it for anything but a string."""
    plain = re.fullmatch(r"[^\x00-\x7f][^\s:#]*", name) is not None
    return name if plain else _quoted(name)
