"""Selector maps (``selectors/<system>.yaml``): screens → named elements → ordered candidates.

A screen change is fixed here, once, instead of in every flow that touches the screen.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from bots.i18n import tr
from bots.selectors.desktop_model import (
    DESKTOP_KINDS,
    WEB_KINDS,
    Recorded,
    check_candidate_kinds,
    check_image_file,
    map_kind,
)
from bots.selectors.syntax import css_problem, template_problem, xpath_problem
from bots.spec.governance_types import Zone
from bots.spec.types import FrozenModel

_KINDS = tuple(dict.fromkeys((*WEB_KINDS, *DESKTOP_KINDS)))


class Candidate(FrozenModel):
    """One way to find an element. Web: exactly one of role/label/text/placeholder/css/xpath;
    desktop (``bots.selectors.desktop_model``): one of image/text/point/region."""

    role: str | None = None
    name: str | None = None  #: accessible name, with ``role``
    exact: bool = True
    label: str | None = None
    text: str | None = None
    placeholder: str | None = None
    css: str | None = None
    xpath: str | None = None
    image: str | None = None  #: desktop: a template file, relative to the map's folder
    point: tuple[int, int] | None = None  #: desktop: x, y relative to the window
    region: tuple[int, int, int, int] | None = None  #: desktop: x, y, width, height relative to the window
    confidence: float | None = Field(None, gt=0, le=1)  #: desktop image: minimum match score
    scales: tuple[float, ...] | None = None  #: desktop image: factors tried, in order

    _image_exists = field_validator("image")(check_image_file)

    @field_validator("role", "name", "label", "text", "placeholder", "image")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        # An empty text or label matches (nearly) everything: never what the author meant.
        if value is not None and not value.strip():
            raise ValueError(tr("空の値は書けません", "must not be empty"))
        return value

    @field_validator("role", "name", "label", "text", "placeholder")
    @classmethod
    def _not_a_template(cls, value: str | None) -> str | None:
        # Never rendered: "{{ record.x }}" would be looked for as written (bots.selectors.syntax).
        problem = None if value is None else template_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("css")
    @classmethod
    def _css_parses(cls, value: str | None) -> str | None:
        # Refused here, not after a step's whole timeout in the middle of a run.
        problem = None if value is None else template_problem(value) or css_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("xpath")
    @classmethod
    def _xpath_parses(cls, value: str | None) -> str | None:
        problem = None if value is None else template_problem(value) or xpath_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _exactly_one(self, info: ValidationInfo) -> Candidate:
        check_candidate_kinds([k for k in _KINDS if getattr(self, k) is not None], map_kind(info))
        if (self.confidence is not None or self.scales is not None) and self.image is None:
            raise ValueError(tr("confidence と scales は image と一緒に使います", "confidence and scales go with image"))
        if self.name is not None and self.role is None:
            raise ValueError(tr("name は role と一緒に使います", "name goes with role"))
        return self

    @property
    def kind(self) -> str:
        """Which way this candidate finds its element (``role``, ``css``, ``image``…)."""
        return next(k for k in _KINDS if getattr(self, k) is not None)

    def describe(self) -> str:
        """The candidate in one short line, for drift notices and ``selectors check``."""
        value = getattr(self, self.kind)
        if self.kind == "role" and self.name:
            return f"role={value}[name={self.name!r}]"
        return f"{self.kind}={value!r}"


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, dict) else value


def _some(candidates: list[Candidate]) -> list[Candidate]:
    """An element with no candidate could never be found: refused where it is written."""
    if not candidates:
        raise ValueError(tr("候補が一つもありません。見つけ方を一つ以上書いてください",
                            "no candidate: write at least one way to find the element"))
    return candidates


Candidates = Annotated[list[Candidate], AfterValidator(_some)]


class Screen(FrozenModel):
    """One screen of the target system: how it is recognised and its named elements."""

    url: str | None = None
    title: str | None = None
    #: Desktop: a regular expression the screen's window title matches (``search``).
    window: str | None = None
    elements: dict[str, Candidates]
    #: Elements shown only in some states of the screen (error messages, search results):
    #: ``selectors check`` reports them when absent but does not fail for it.
    optional: tuple[str, ...] = ()
    #: Elements that show or hold personal data (マイナンバー, 口座番号, passwords): they are
    #: blacked out in every screenshot.
    sensitive: tuple[str, ...] = ()
    #: Elements a commit step may still act on when only a fallback candidate (not the first)
    #: found them. Otherwise a commit on a drifted element fails the record, nothing submitted:
    #: a guess (``{text: OK}`` on a screen whose OK image no longer matches) must not submit.
    allow_fallback_commit: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _lists_name_elements(self) -> Screen:
        for field, names in (("optional", self.optional), ("sensitive", self.sensitive),
                             ("allow_fallback_commit", self.allow_fallback_commit)):
            unknown = [name for name in names if name not in self.elements]
            if unknown:
                raise ValueError(tr("{f} に要素でない名前があります: {n}", "{f} names no element: {n}",
                                    f=field, n=", ".join(unknown)))
        return self

    @field_validator("elements", mode="before")
    @classmethod
    def _single_candidate(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: _as_list(v) for k, v in value.items()}
        return value


class ErrorIndicator(FrozenModel):
    """A screen that may appear instead of the expected one (error page, expiry, validation)."""

    name: str
    kind: Literal["target_error", "session_expired", "validation"]
    #: The system documents that this screen means the request was refused before processing,
    #: so retrying after a commit step cannot key the record twice.
    nothing_saved: bool = False
    #: Desktop: the indicator is a window with this title pattern; its candidates are the
    #: regions whose OCR text becomes the message.
    window: str | None = None
    #: Desktop: a key (``escape``) that closes the error window once its message is read, so a
    #: modal dialog does not block the next record.
    dismiss: str | None = None
    candidates: list[Candidate] = Field(min_length=1)


class SelectorMap(FrozenModel):
    """One target system's screens and error indicators (``selectors/<system>.yaml``)."""

    system: str
    title: str | None = None
    kind: Literal["web", "desktop"] = "web"
    #: The network the system is in (三層の対策): mynumber / lgwan / internet, or the Japanese name.
    zone: Zone | None = None
    #: Desktop: the screen the images were recorded on (a mismatch is refused at run time).
    recorded: Recorded | None = None
    error_indicators: list[ErrorIndicator] = []
    screens: dict[str, Screen]

    def element(self, ref: str) -> list[Candidate]:
        """The candidates of ``screen.element``; the reference is checked at load time."""
        screen, _, name = ref.partition(".")
        return self.screens[screen].elements[name]

    def has(self, ref: str) -> bool:
        """Whether ``screen.element`` exists: what flow checks ask before a run."""
        screen, _, name = ref.partition(".")
        return screen in self.screens and name in self.screens[screen].elements

    def fallback_commit_allowed(self, ref: str) -> bool:
        """Whether a commit step may act on ``screen.element`` found by a fallback candidate."""
        screen, _, name = ref.partition(".")
        return screen in self.screens and name in self.screens[screen].allow_fallback_commit

    def sensitive_refs(self) -> list[str]:
        """Every element blacked out in screenshots, as ``screen.element``."""
        return [f"{s}.{e}" for s, screen in self.screens.items() for e in screen.sensitive]

    def all_refs(self) -> list[str]:
        """Every element as ``screen.element``, for "did you mean" suggestions."""
        return [f"{s}.{e}" for s, screen in self.screens.items() for e in screen.elements]
