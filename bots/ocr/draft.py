"""A form template drafted from one sample scan: boxes → zones, printed labels → names, labels → kinds.

A municipality onboarding its own paper form should not measure mm with a ruler. From a blank (or
filled) sample this finds the page size, straightens the page (by its corner marks when it has
four, else by its rules), takes every box (:mod:`bots.ocr.boxes`) as a zone ~1.5 mm inside its
rules, names it from the printed label beside it (a label cell left of it, else text left of or
above it, read by tesseract ``jpn``) and guesses its kind from that label. What it cannot know
(a name it could not read, a choice's options) is left for the person, marked in the YAML
(:mod:`bots.ocr.draft_yaml`). The draft is a start to check with ``forms check``, not a finished
template.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from bots.errors import NotAFormError
from bots.ocr import boxes as found_boxes
from bots.ocr.boxes import Box, Gray
from bots.ocr.register import MM_PER_INCH, WORK_DPI, mm_to_px, register, to_gray
from bots.ocr.tesseract import Word, read_batch
from bots.selectors.form_template import FormTemplate

PX_PER_MM = WORK_DPI / MM_PER_INCH
#: Paper sizes (portrait, mm) a sample is matched to.
PAPER = {"A4": (210.0, 297.0), "B5": (182.0, 257.0), "A3": (297.0, 420.0), "B4": (257.0, 364.0),
         "A5": (148.0, 210.0)}  # fmt: skip
#: A zone sits this far (mm) inside the paper the rules enclose (≈ 1.5 mm inside the rules' centre
#: line, as shinsei.yaml): registration may be ±1 mm off and the zone must still hold no rule.
INSET_MM = 1.1
#: A square box up to this side (mm) is a checkbox.
CHECKBOX_MAX_MM = 12.0
#: A label is short; longer printed text in a box is a note or a heading.
LABEL_MAX_CHARS = 12
#: How far (mm) left of a box a label cell or printed label may stand, and above it.
LABEL_REACH_MM, ABOVE_MM = 40.0, 8.0
#: Ink (mm²) that makes a box printed on (a label, a note) rather than blank: a short word's worth.
_INKED_MM2 = 1.5
#: Blank rows (mm) that separate two lines of print: a label is one line, a note several.
_LINE_GAP_MM = 1.0

#: Label keyword → (kind, extra settings), first match wins: フリガナ before 氏名 (氏名（フリガナ）).
KINDS: tuple[tuple[tuple[str, ...], str, dict[str, object]], ...] = (
    (("フリガナ", "ふりがな", "カナ"), "kana", {}),
    (("個人番号", "マイナンバー"), "mynumber", {"lang": "eng", "whitelist": "0123456789", "sensitive": True,
                                           "required": False}),
    (("生年月日",), "date_wareki", {}),
    (("郵便番号", "〒"), "zip", {"lang": "eng", "whitelist": "0123456789-"}),
    (("電話番号", "電話", "TEL", "連絡先"), "phone", {"lang": "eng", "whitelist": "0123456789-()"}),
    (("性別",), "choice", {"options": ("男", "女")}),
    (("氏名", "名前"), "text", {"itaiji": True}),
    (("住所", "所在地", "住居"), "text", {}),
)  # fmt: skip
#: Labels a misread is snapped back to (生年月目 → 生年月日), when close enough.
KNOWN_LABELS = ("氏名", "フリガナ", "ふりがな", "生年月日", "性別", "郵便番号", "住所", "電話番号", "個人番号",
                "マイナンバー", "申請種別", "同意", "続柄", "国籍", "職業", "メールアドレス")  # fmt: skip
_SNAP_RATIO = 0.74
#: The title is above the first box at least this wide (share of the page): the form's body.
_TITLE_ABOVE_WIDTH = 0.4
#: Title words need this confidence, and the title this many words (one per character): the two
#: corner marks in the title's band, taller than any print, read as "“" and 關 at 50–70.
_TITLE_CONF, _TITLE_WORDS = 40, 3


@dataclass(frozen=True)
class PaperSize:
    """The sample's paper: its name, size in mm and whether the dpi confirmed it (else guessed from the aspect)."""

    name: str
    width_mm: float
    height_mm: float
    measured: bool


@dataclass(frozen=True)
class DraftField:
    """One zone of the draft: its name (the record column), where it is (mm) and what it holds."""

    name: str
    zone: tuple[float, float, float, float]
    kind: str
    settings: dict[str, object] = field(default_factory=dict)
    #: The label as read, or "" when none was readable (the name is then 欄N: the person names it).
    label: str = ""
    #: Whether the kind came from a keyword of the label (else ``text`` by default, or a checkbox by shape).
    guessed: bool = False


@dataclass
class Draft:
    """Everything ``forms new`` writes: the template's content and the blank reference image."""

    name: str
    title: str
    paper: PaperSize
    fields: list[DraftField]
    #: ``{"kind": "corner_marks", "size_mm": …, "inset_mm": …}`` or ``{"kind": "reference"}``.
    anchors: dict[str, object]
    #: The straightened page with every zone wiped: what the blank form looks like (gray, WORK_DPI).
    reference: Gray


def paper_size(page: Image.Image, dpi: float | None) -> PaperSize:
    """The standard paper nearest the page's size in mm (from ``dpi``), in the page's orientation;
    without a dpi only the aspect is known, which A4 and B5 share: A4 is assumed."""
    landscape = page.width > page.height
    if not dpi:
        w, h = PAPER["A4"]
        return PaperSize("A4", *((h, w) if landscape else (w, h)), measured=False)
    short, long_ = (min(page.size) / dpi * MM_PER_INCH, max(page.size) / dpi * MM_PER_INCH)
    name = min(PAPER, key=lambda n: abs(PAPER[n][0] - short) / PAPER[n][0] + abs(PAPER[n][1] - long_) / PAPER[n][1])
    w, h = PAPER[name]
    close = abs(w - short) / w < 0.06 and abs(h - long_) / h < 0.06
    return PaperSize(name, *((h, w) if landscape else (w, h)), measured=close)


def draft_template(name: str, page: Image.Image, dpi: float | None) -> Draft:
    """The draft of form ``name`` from one sample page (``dpi``: the scan's, when the file says it)."""
    paper = paper_size(page, dpi)
    canvas, anchors = upright(page, paper)
    boxes = found_boxes.find_boxes(canvas, PX_PER_MM)
    fields = _name_fields(canvas, boxes)
    reference = canvas.copy()
    for spec in fields:
        x, y, w, h = spec.zone
        cv2.rectangle(reference, (mm_to_px(x), mm_to_px(y)), (mm_to_px(x + w), mm_to_px(y + h)), 255, -1)
    return Draft(name, read_title(canvas, boxes), paper, fields, anchors, reference)


def upright(page: Image.Image, paper: PaperSize) -> tuple[Gray, dict[str, object]]:
    """The sample straightened onto the template canvas (gray, :data:`WORK_DPI`) and the anchors that
    put a scan there: the corner marks when the page has four, else the page itself (a reference)."""
    # The red channel: a red 印 seal on a label cell turns to paper, black print stays.
    gray = to_gray(np.asarray(page.convert("RGB"), dtype=np.uint8), drop_red=True)
    px_per_mm = gray.shape[1] / paper.width_mm
    angle = found_boxes.skew_angle(gray, px_per_mm)
    turn = cv2.getRotationMatrix2D((gray.shape[1] / 2, gray.shape[0] / 2), angle, 1.0)
    straight = np.asarray(cv2.warpAffine(gray, turn, (gray.shape[1], gray.shape[0]), flags=cv2.INTER_LINEAR,
                                         borderMode=cv2.BORDER_REPLICATE), dtype=np.uint8)
    size = (mm_to_px(paper.width_mm), mm_to_px(paper.height_mm))
    marks = found_boxes.corner_marks(straight, px_per_mm)
    if marks is not None:
        anchors = _mark_anchors(straight, marks, px_per_mm, paper)
        template = FormTemplate.model_validate({
            "form": "draft", "title": "draft", "anchors": anchors,
            "page": {"width_mm": paper.width_mm, "height_mm": paper.height_mm},
            "fields": {"draft": {"zone": {"x": 0, "y": 0, "w": 1, "h": 1}}}})
        try:
            registered = register(Image.fromarray(straight).convert("RGB"), template)
        except NotAFormError:  # four squares that are no rectangle of marks: the page is its own reference
            pass
        else:
            return np.asarray(cv2.cvtColor(registered, cv2.COLOR_RGB2GRAY), dtype=np.uint8), anchors
    canvas = cv2.resize(straight, size, interpolation=cv2.INTER_AREA if px_per_mm > PX_PER_MM else cv2.INTER_CUBIC)
    return np.asarray(canvas, dtype=np.uint8), {"kind": "reference"}


def _mark_anchors(straight: Gray, marks: NDArray[np.float32], px_per_mm: float, paper: PaperSize) -> dict[str, object]:
    """Mark size and inset (mm), symmetric as printed: a scan's shift moves the marks one way on the
    image, so the inset is measured from the marks' spread, not from the image's edges."""
    side = float(np.median([found_boxes.mark_side_px(straight, centre, px_per_mm) for centre in marks])) / px_per_mm
    across = float(np.mean([marks[1][0] - marks[0][0], marks[3][0] - marks[2][0]])) / px_per_mm
    down = float(np.mean([marks[2][1] - marks[0][1], marks[3][1] - marks[1][1]])) / px_per_mm
    centre_inset = ((paper.width_mm - across) / 2 + (paper.height_mm - down) / 2) / 2
    return {"kind": "corner_marks", "size_mm": _half_mm(side), "inset_mm": _half_mm(max(0.0, centre_inset - side / 2))}


def _half_mm(value: float) -> float:
    """Rounded to 0.5 mm: what a person would measure, and the draft's own precision."""
    return round(value * 2) / 2


def _name_fields(canvas: Gray, boxes: list[Box]) -> list[DraftField]:
    """Which boxes are fields, and each one's label: the pairing of label cells with the box right of them."""
    ink = found_boxes.ink_mask(canvas, PX_PER_MM)
    inked = [b for b in boxes if _inner(ink, b).sum() / 255 >= _INKED_MM2 * PX_PER_MM**2 and not _is_checkbox(b)]
    texts = dict(zip(inked, _read_labels(canvas, inked), strict=True))
    labels = {b: text for b, text in texts.items() if _is_label(text) and _one_line(ink, b)}
    named, used = _pair_beside(boxes, labels, inked)
    loose = [b for b in boxes if b not in named and b not in used and b not in texts]
    for box in loose:
        cell = _label_cell_above(box, boxes, labels, used) or _label_cell_left(box, labels, used)
        if cell is not None:
            named[box] = labels[cell]
            used.add(cell)
    unnamed = [b for b in loose if b not in named]
    for box, text in zip(unnamed, _read_free_labels(canvas, unnamed, boxes), strict=True):
        named[box] = text
    return _fields(sorted(named, key=lambda b: (round(b.y / PX_PER_MM / 3), b.x)), named)


def _pair_beside(boxes: list[Box], labels: dict[Box, str], inked: list[Box]) -> tuple[dict[Box, str], set[Box]]:
    """Label cells and the box right of each: (field box → label, the label cells used).

    Leftmost first, so a filled value cell (a name reads like a label) is taken as the field of the
    label before it rather than as a label itself. A row of label cells over blank cells is a
    table's header: those label the cells below them (:func:`_label_cell_above`), not each other."""
    named: dict[Box, str] = {}
    used: set[Box] = set()
    blank = [b for b in boxes if b not in inked]
    for box in sorted(labels, key=lambda b: b.x):
        right = next((b for b in boxes if _beside(box, b)), None)
        if box in named or right is None or right in named or right in used:
            continue
        if right in labels and any(_below(box, b) for b in blank):
            continue
        named[right] = labels[box]
        used.add(box)
    for box in inked:  # a value beside a label that a seal or smudge made unreadable: named by the person
        left = next((b for b in inked if _beside(b, box)), None)
        if box not in named and box not in used and left is not None and left not in labels and left.w < box.w:
            named[box] = ""
    return named, used


def _fields(order: list[Box], named: dict[Box, str]) -> list[DraftField]:
    """The draft fields in reading order: unique names (欄N where no label was read), kinds guessed."""
    fields: list[DraftField] = []
    taken: set[str] = set()
    unnamed = 0
    for box in order:
        label = clean_label(named[box])
        if not label:
            unnamed += 1
            label_name = f"欄{unnamed}"
        else:
            label_name = label
        unique, n = label_name, 2
        while unique in taken:
            unique, n = f"{label_name}{n}", n + 1
        taken.add(unique)
        guess = None if _is_checkbox(box) else guess_kind(label)
        kind, settings = guess or ("checkbox" if _is_checkbox(box) else "text", {})
        fields.append(DraftField(unique, _zone_mm(box), kind, settings, label, guessed=guess is not None))
    return fields


def clean_label(text: str) -> str:
    """A label as a column name: no spaces or framing punctuation; snapped to a known label it nearly is."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\([^)]*\)?", "", text)  # a hint in brackets after the label
    text = re.sub(r"[\s:：※*＊()（）「」\[\]|｜,、。.・]+", "", text)
    text = "".join(char for char in text if char.isalnum() or char in "〒ー々")
    if not text:
        return ""
    close = difflib.get_close_matches(text, KNOWN_LABELS, n=1, cutoff=_SNAP_RATIO)
    if close and len(close[0]) == len(text):
        return close[0]
    # A known label followed by a hint printed after it (フリガナ（カタカナ）, 生年月日（和暦）) whose
    # brackets OCR dropped: the label is the name.
    return next((known for known in KNOWN_LABELS if text.startswith(known) and len(known) >= 2), text)


def guess_kind(label: str) -> tuple[str, dict[str, object]] | None:
    """The kind (and its settings) a field's label suggests; None when no keyword matches."""
    for words, kind, settings in KINDS:
        if any(word in label for word in words):
            return kind, dict(settings)
    return None


def _zone_mm(box: Box) -> tuple[float, float, float, float]:
    x, y = box.x / PX_PER_MM + INSET_MM, box.y / PX_PER_MM + INSET_MM
    w, h = box.w / PX_PER_MM - 2 * INSET_MM, box.h / PX_PER_MM - 2 * INSET_MM
    return _half_mm(x), _half_mm(y), _half_mm(w), _half_mm(h)


def _is_checkbox(box: Box) -> bool:
    side_w, side_h = box.w / PX_PER_MM, box.h / PX_PER_MM
    return max(side_w, side_h) <= CHECKBOX_MAX_MM and min(side_w, side_h) / max(side_w, side_h) >= 0.75


def _is_label(text: str) -> bool:
    """Short, and no digits: a date, postcode or phone number written in a filled sample is a value."""
    return 0 < len(text) <= LABEL_MAX_CHARS and not any(char.isdigit() for char in text)


def _inner(ink: NDArray[np.uint8], box: Box) -> NDArray[np.uint8]:
    """A box's paper without its edges (where the rules' own ink may spill in)."""
    margin = round(0.8 * PX_PER_MM)
    return ink[box.y + margin:box.bottom - margin, box.x + margin:box.right - margin]


def _one_line(ink: NDArray[np.uint8], box: Box) -> bool:
    """Whether the print in a box is one line (a label), not several (a note, an instruction)."""
    rows = np.flatnonzero(_inner(ink, box).any(axis=1))
    return bool(len(rows)) and not np.any(np.diff(rows) > _LINE_GAP_MM * PX_PER_MM)


def _beside(left: Box, right: Box) -> bool:
    """``right`` starts where ``left`` ends (one rule between them) and they share most of a row."""
    overlap = min(left.bottom, right.bottom) - max(left.y, right.y)
    return abs(right.x - left.right) <= 1.5 * PX_PER_MM and overlap >= 0.6 * min(left.h, right.h)


def _below(upper: Box, lower: Box) -> bool:
    """``lower`` starts where ``upper`` ends (one rule between them) and they share most of a column."""
    overlap = min(upper.right, lower.right) - max(upper.x, lower.x)
    return abs(lower.y - upper.bottom) <= 1.5 * PX_PER_MM and overlap >= 0.6 * min(upper.w, lower.w)


def _label_cell_above(box: Box, boxes: list[Box], labels: dict[Box, str], used: set[Box]) -> Box | None:
    """The unused label cell right above ``box`` (a table's header cell)."""
    return next((cell for cell in boxes if cell in labels and cell not in used and _below(cell, box)), None)


def _label_cell_left(box: Box, labels: dict[Box, str], used: set[Box]) -> Box | None:
    """The nearest unused label cell left of ``box`` on its row, within :data:`LABEL_REACH_MM`."""
    centre = box.y + box.h / 2
    near = [cell for cell in labels if cell not in used and cell.right <= box.x + PX_PER_MM
            and cell.y <= centre <= cell.bottom and box.x - cell.right <= LABEL_REACH_MM * PX_PER_MM]
    return max(near, key=lambda c: c.right, default=None)


def _crop(canvas: Gray, x0: int, y0: int, x1: int, y1: int) -> Gray:
    """A part of the canvas, binarised: a label cell's grey fill and a scan's noise confuse tesseract
    (フリガナ read as ジりカチ on the grey of a 200 dpi JPEG); black on white does not."""
    height, width = canvas.shape
    crop = np.ascontiguousarray(canvas[max(0, y0):min(height, y1), max(0, x0):min(width, x1)])
    if crop.shape[0] < 8 or crop.shape[1] < 8:
        return np.full((16, 16), 255, np.uint8)  # nothing there: tesseract reads a blank square as nothing
    smooth = cv2.GaussianBlur(crop, (3, 3), 0)
    return np.asarray(cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1], dtype=np.uint8)


def _read_labels(canvas: Gray, cells: list[Box]) -> list[str]:
    """The text printed in each cell (one tesseract call for all)."""
    margin = round(0.5 * PX_PER_MM)
    crops = [_crop(canvas, b.x + margin, b.y + margin, b.right - margin, b.bottom - margin) for b in cells]
    return [_joined(words) for words in read_batch(crops, lang="jpn", psm=7)] if crops else []


def _read_free_labels(canvas: Gray, loose: list[Box], boxes: list[Box]) -> list[str]:
    """For boxes with no label cell: the text just left of each (up to the next box), else just above it."""
    reach, above, gap = round(LABEL_REACH_MM * PX_PER_MM), round(ABOVE_MM * PX_PER_MM), round(0.6 * PX_PER_MM)
    lefts, tops = [], []
    for box in loose:
        stop = max((b.right for b in boxes if b.right <= box.x and min(b.bottom, box.bottom) > max(b.y, box.y)),
                   default=box.x - reach)
        lefts.append(_crop(canvas, max(stop + gap, box.x - reach), box.y, box.x - gap, box.bottom))
        floor = max((b.bottom for b in boxes if b.bottom <= box.y and min(b.right, box.right) > max(b.x, box.x)),
                    default=box.y - above)
        tops.append(_crop(canvas, box.x, max(floor + gap, box.y - above), box.right, box.y - gap))
    read = [_joined(words) for words in read_batch(lefts + tops, lang="jpn", psm=6)] if loose else []
    return [left or top for left, top in zip(read[:len(loose)], read[len(loose):], strict=True)]


def _joined(words: list[Word]) -> str:
    return "".join(word.text for word in words if word.conf > 10).strip()


def read_title(canvas: Gray, boxes: list[Box]) -> str:
    """The form's title: the tallest line of print above the first wide box ("" when none is read)."""
    wide = [b.y for b in boxes if b.w > _TITLE_ABOVE_WIDTH * canvas.shape[1]]  # not a stamp box beside the title
    top = min(wide, default=canvas.shape[0] // 3)
    words = read_batch([_crop(canvas, 0, 0, canvas.shape[1], top)], lang="jpn", psm=11)[0] if top > 40 else []
    words = [w for w in words if w.conf > _TITLE_CONF and w.height < top]
    lines = [_line_of(word, words) for word in sorted(words, key=lambda w: -w.height)]
    title = next((line for line in lines if len(line) >= _TITLE_WORDS), [])
    return "".join(w.text for w in sorted(title, key=lambda w: w.left))


def _line_of(word: Word, words: list[Word]) -> list[Word]:
    """The words on ``word``'s line of about its height."""
    middle = word.top + word.height / 2
    return [w for w in words if abs(w.top + w.height / 2 - middle) < word.height / 2 and w.height > 0.6 * word.height]
