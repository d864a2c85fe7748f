"""Form templates (``selectors/forms/<form>.yaml``): the paper form's selector map.

Where each field sits on the page (mm from the top-left corner, or relative 0–1 units), what kind
of value it holds and how tesseract should read it. A changed paper form is fixed here, once.
Loaded like flows: every problem at ``file:line:col``, never a traceback.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from bots.i18n import tr
from bots.spec.diagnostics import Diagnostic, Diagnostics
from bots.spec.types import FrozenModel
from bots.spec.validation import diagnostics_from_validation
from bots.spec.yamlpos import load_yaml

FieldKind = Literal["text", "kana", "digits", "date_wareki", "zip", "phone", "mynumber", "checkbox", "choice"]


class Page(FrozenModel):
    """The paper size in mm: zones are checked against it and relative units scale by it."""

    width_mm: float = Field(gt=0)
    height_mm: float = Field(gt=0)


class CornerMarks(FrozenModel):
    """Registration by four filled squares printed near the page corners (forms made for OCR)."""

    kind: Literal["corner_marks"]
    size_mm: float = Field(8.0, gt=0)
    #: Distance from each page edge to the mark's outer edge.
    inset_mm: float = Field(10.0, ge=0)

    def describe(self) -> str:
        """The method in a line, for ``validate``."""
        return tr("四隅のマーク（{s:g} mm 角、用紙の端から {i:g} mm）", "corner marks ({s:g} mm squares, {i:g} mm from "
                  "the page edges)", s=self.size_mm, i=self.inset_mm)


class ReferenceImage(FrozenModel):
    """Registration by the print of the blank form itself (any form: no marks needed).

    ``image`` is relative to the template's folder; the loader resolves it and computes the image's
    features once (:mod:`bots.selectors.form_reference`), so a missing, unreadable or too plain image
    is refused here, at this key, and not on every scan."""

    kind: Literal["reference"]
    image: Path

    @field_validator("image")
    @classmethod
    def _usable(cls, image: Path, info: ValidationInfo) -> Path:
        context = info.context or {}
        base = context.get("base_dir")
        path = image if image.is_absolute() or base is None else Path(base) / image
        if context.get("page_mm") is not None:  # else FormTemplate checks it, once the page is known
            _check_reference(path, context["page_mm"])
        return path

    def describe(self) -> str:
        """The method in a line, for ``validate``."""
        return tr("白紙の帳票の画像との照合（{p}）", "matched to the blank form's image ({p})", p=self.image.name)


#: How scans of the form are registered: ``kind`` picks the method (required: a template without it
#: would fail on every scan, one by one, at run time).
Anchors = Annotated[CornerMarks | ReferenceImage, Field(discriminator="kind")]
#: Shown when ``anchors:`` is missing: both methods, as they are written.
ANCHORS_HELP = ("anchors: {kind: reference, image: <白紙の帳票>.png}  /  "
                "anchors: {kind: corner_marks, size_mm: 8, inset_mm: 10}")


def _check_reference(image: Path, page_mm: tuple[float, float]) -> None:
    """The reference image's features (computed once, cached), or the reason it cannot be used."""
    # lazy: OpenCV and numpy only for a template that registers by a reference image (validate stays light).
    from bots.selectors.form_reference import ReferenceImageError, reference_features

    try:
        reference_features(image, page_mm)
    except ReferenceImageError as exc:
        raise ValueError(str(exc)) from None


class Zone(FrozenModel):
    """A field's rectangle on the page, in the template's unit (mm or 0–1 of the page)."""

    x: float = Field(ge=0)
    y: float = Field(ge=0)
    w: float = Field(gt=0)
    h: float = Field(gt=0)

    @model_validator(mode="after")
    def _on_the_page(self, info: ValidationInfo) -> Zone:
        # With the page size in the context (load_form_template), the error points at this zone.
        page = (info.context or {}).get("page_size")
        if page and (self.x + self.w > page[0] + 1e-9 or self.y + self.h > page[1] + 1e-9):
            raise ValueError(tr("欄の位置がページの外にはみ出しています", "the field lies outside the page"))
        return self


class FieldSpec(FrozenModel):
    """One field of the paper form: where it is, what it holds, how OCR reads and checks it."""

    zone: Zone
    kind: FieldKind = "text"
    lang: Literal["jpn", "eng", "jpn+eng"] = "jpn"
    #: tesseract page segmentation mode: 7 = one text line (most fields), 6 = a block.
    psm: int = Field(7, ge=3, le=13)
    whitelist: str | None = None
    required: bool = False
    #: For ``choice``: the printed options; the value read must be one of them.
    options: tuple[str, ...] = ()
    #: Per field, overriding the form's ``min_confidence``.
    min_confidence: float | None = Field(None, ge=0, le=100)
    #: Personal data (個人番号): masked in logs and review output like a sensitive column.
    sensitive: bool = False
    #: A person's name: checked for itaiji (髙, 﨑) that OCR reads as the standard character.
    itaiji: bool = False
    #: ``text`` only: the width of digits and Latin letters kept as printed (第２ stays 第２), or made
    #: full-width (``zenkaku``) or half-width (``hankaku``) by the target system's rule. Never changed silently.
    width: Literal["as_printed", "zenkaku", "hankaku"] = "as_printed"
    #: ``text`` only: the characters the value may hold: ``name`` (JIS X 0208/0213 kanji, kana, ・ ー 々),
    #: ``address`` (those, digits, Latin letters, －‐-・、 and brackets) or ``any``; default ``name``
    #: for an ``itaiji`` field, else ``any``. Anything else is a problem (a "," read before a name).
    charset: Literal["name", "address", "any"] | None = None
    #: ``date_wareki`` only: the earliest and latest plausible date (ISO, or ``today``); default
    #: 1900-01-01 to today (bots/ocr/crosscheck.py).
    min: dt.date | Literal["today"] | None = None
    max: dt.date | Literal["today"] | None = None

    @model_validator(mode="after")
    def _options_for_choice(self) -> FieldSpec:
        if self.kind == "choice" and not self.options:
            raise ValueError(tr("choice には options（選択肢）を書いてください", "a choice field needs options"))
        return self

    @model_validator(mode="after")
    def _rules_for_their_kind(self) -> FieldSpec:
        if self.kind != "text" and (self.width != "as_printed" or self.charset is not None):
            raise ValueError(tr("width と charset は text の欄にだけ書けます", "width and charset apply to text fields only"))
        if self.kind != "date_wareki" and (self.min is not None or self.max is not None):
            raise ValueError(tr("min と max は日付（date_wareki）の欄にだけ書けます",
                                "min and max apply to date (date_wareki) fields only"))
        return self

    def characters(self) -> str:
        """The character set a ``text`` value is checked against (see ``charset``)."""
        return self.charset or ("name" if self.itaiji else "any")


class CrossCheck(FrozenModel):
    """Two fields that must agree: a postcode and the address it belongs to (bots/ocr/crosscheck.py)."""

    postcode: str
    address: str


class FormTemplate(FrozenModel):
    """One paper form's layout and reading rules (see the module docstring)."""

    form: str = Field(pattern=r"^[a-z0-9_-]+$")
    title: str
    page: Page
    unit: Literal["mm", "relative"] = "mm"
    #: Required; ``None`` only so that a missing key gets :meth:`_anchors_given`'s message, not pydantic's.
    anchors: Anchors = Field(None, validate_default=True)
    #: Field names are the record's columns (the same as the Excel list's headers).
    fields: dict[str, FieldSpec] = Field(min_length=1)
    min_confidence: float = Field(80.0, ge=0, le=100)
    #: The confidence each reading needs when two different models read the field and agree
    #: (bots/ocr/DESIGN.md: calibrated on a tuning set; a model's confidence barely separates its
    #: right readings from its wrong ones, two models agreeing does).
    agree_confidence: float = Field(0.0, ge=0, le=100)
    #: Fields checked against each other; ``None``: derived from the kinds where safe (one ``zip`` field
    #: and one address field); ``[]``: none.
    cross_checks: tuple[CrossCheck, ...] | None = None

    @field_validator("anchors", mode="before")
    @classmethod
    def _anchors_given(cls, value: Any) -> Any:
        if value is None:
            raise ValueError(tr(
                "位置合わせの方法（anchors）がありません。白紙の帳票の画像と照合するか、四隅のマークを使うかを書いてください: {h}",
                "the registration method (anchors) is missing: match the blank form's image or use corner marks: {h}",
                h=ANCHORS_HELP))
        return value

    @model_validator(mode="after")
    def _reference_usable(self) -> FormTemplate:
        # Loaded from a file, ``image:`` was checked where it stands (cached: no second computation).
        if isinstance(self.anchors, ReferenceImage):
            _check_reference(self.anchors.image, (self.page.width_mm, self.page.height_mm))
        return self

    @model_validator(mode="after")
    def _cross_checks_name_fields(self) -> FormTemplate:
        for check in self.cross_checks or ():
            for role, name, kind in (("postcode", check.postcode, "zip"), ("address", check.address, "text")):
                spec = self.fields.get(name)
                if spec is None or spec.kind != kind:
                    raise ValueError(tr("cross_checks の {r} には {k} の欄の名前を書いてください（'{n}'）",
                                        "cross_checks: {r} must name a {k} field ('{n}')", r=role, k=kind, n=name))
        return self

    @model_validator(mode="after")
    def _zones_on_the_page(self) -> FormTemplate:
        width, height = (1.0, 1.0) if self.unit == "relative" else (self.page.width_mm, self.page.height_mm)
        for name, spec in self.fields.items():
            zone = spec.zone
            if zone.x + zone.w > width + 1e-9 or zone.y + zone.h > height + 1e-9:
                raise ValueError(tr("欄 '{n}' の位置がページの外にはみ出しています", "field '{n}' lies outside the page",
                                    n=name))
        return self

    def zone_mm(self, name: str) -> Zone:
        """A field's zone in mm, whatever unit the file uses."""
        zone = self.fields[name].zone
        if self.unit == "mm":
            return zone
        w, h = self.page.width_mm, self.page.height_mm
        return Zone(x=zone.x * w, y=zone.y * h, w=zone.w * w, h=zone.h * h)

    def threshold(self, name: str) -> float:
        """The OCR confidence a field's reading needs: its own, else the form's."""
        own = self.fields[name].min_confidence
        return self.min_confidence if own is None else own


def form_path(selectors_root: Path, form: str) -> Path:
    """Where the template of ``form`` lives (``selectors/forms/<form>.yaml``)."""
    return selectors_root / "forms" / f"{form}.yaml"


def load_form_template(path: Path) -> tuple[FormTemplate | None, Diagnostics]:
    """Parse and validate one form template; never raises for bad content.

    A reference image (``anchors: {kind: reference, image: …}``) is resolved against the template's
    folder and its features computed now (cached): an unusable image is an error at ``image:``."""
    if not path.is_file():
        return None, Diagnostics([Diagnostic(path, None, tr("帳票定義が見つかりません", "form template not found"))])
    loaded, found = load_yaml(path)
    if loaded is None:
        return None, found
    try:
        context = {"page_size": _page_size(loaded.data), "page_mm": _page_mm(loaded.data), "base_dir": path.parent}
        return FormTemplate.model_validate(loaded.data, context=context), found
    except ValidationError as exc:
        found.extend(diagnostics_from_validation(exc, loaded))
        return None, found


def _page_mm(data: object) -> tuple[float, float] | None:
    """The page in mm, when readable: a reference image's proportions are checked against it."""
    try:
        page = data["page"]  # type: ignore[index]
        return float(page["width_mm"]), float(page["height_mm"])
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


def _page_size(data: object) -> tuple[float, float] | None:
    """The page's extent in the file's unit, when readable, so zones can be checked where they stand."""
    if isinstance(data, dict) and data.get("unit", "mm") == "relative":
        return 1.0, 1.0
    return _page_mm(data)
