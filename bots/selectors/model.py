"""Selector maps (``selectors/<system>.yaml``): screens → named elements → ordered candidates.

A screen change is fixed here, once, instead of in every flow that touches the screen. An element
whose candidates hold ``{value}`` is parametrised (``bots.selectors.placeholder``): a flow names it
``画面.要素[値]``. A screen inside an ``<iframe>`` says so with ``frame:``.
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
from bots.selectors.placeholder import (
    PLACEHOLDER,
    SAMPLE,
    css_with_value,
    has_placeholder,
    text_with_value,
    xpath_with_value,
)
from bots.selectors.syntax import css_problem, template_problem, xpath_problem
from bots.spec.governance_types import Zone
from bots.spec.types import FrozenModel

_KINDS = tuple(dict.fromkeys((*WEB_KINDS, *DESKTOP_KINDS)))
_TEXT_FIELDS = ("role", "name", "label", "text", "placeholder", "near_label")


class Candidate(FrozenModel):
    """One way to find an element. Web: exactly one of role/label/text/placeholder/css/xpath/
    near_label; desktop (``bots.selectors.desktop_model``): one of image/text/point/region."""

    role: str | None = None
    name: str | None = None  #: accessible name, with ``role``
    exact: bool = True
    label: str | None = None
    text: str | None = None
    placeholder: str | None = None
    css: str | None = None
    xpath: str | None = None
    #: The input, select or textarea next to this label text (``<label>`` without ``for=``,
    #: ``<th>``/``<td>``, ``<dt>``/``<dd>``, a text just before the control).
    near_label: str | None = None
    image: str | None = None  #: desktop: a template file, relative to the map's folder
    point: tuple[int, int] | None = None  #: desktop: x, y relative to the window
    region: tuple[int, int, int, int] | None = None  #: desktop: x, y, width, height relative to the window
    confidence: float | None = Field(None, gt=0, le=1)  #: desktop image: minimum match score
    scales: tuple[float, ...] | None = None  #: desktop image: factors tried, in order

    _image_exists = field_validator("image")(check_image_file)

    @field_validator("role", "name", "label", "text", "placeholder", "near_label", "image")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        # An empty text or label matches (nearly) everything: never what the author meant.
        if value is not None and not value.strip():
            raise ValueError(tr("空の値は書けません", "must not be empty"))
        return value

    @field_validator("role", "name", "label", "text", "placeholder", "near_label")
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
        # ``{value}`` is checked as the word it will be replaced by (escaped: it cannot add syntax).
        problem = None if value is None else template_problem(value) or css_problem(css_with_value(value, SAMPLE))
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("xpath")
    @classmethod
    def _xpath_parses(cls, value: str | None) -> str | None:
        problem = None if value is None else template_problem(value) or xpath_problem(xpath_with_value(value, SAMPLE))
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _exactly_one(self, info: ValidationInfo) -> Candidate:
        check_candidate_kinds([k for k in _KINDS if getattr(self, k) is not None], map_kind(info))
        if self.parametrised and map_kind(info) == "desktop":
            raise ValueError(tr("{p} は Web のセレクタ定義でだけ使えます", "{p} works in web selector maps only",
                                p=PLACEHOLDER))
        if (self.confidence is not None or self.scales is not None) and self.image is None:
            raise ValueError(tr("confidence と scales は image と一緒に使います", "confidence and scales go with image"))
        if self.name is not None and self.role is None:
            raise ValueError(tr("name は role と一緒に使います", "name goes with role"))
        return self

    @property
    def kind(self) -> str:
        """Which way this candidate finds its element (``role``, ``css``, ``image``…)."""
        return next(k for k in _KINDS if getattr(self, k) is not None)

    @property
    def parametrised(self) -> bool:
        """Whether the candidate holds ``{value}`` (its element is named ``画面.要素[値]``)."""
        return any(has_placeholder(getattr(self, f)) for f in (*_TEXT_FIELDS, "css", "xpath"))

    def with_value(self, value: str) -> Candidate:
        """This candidate for one value: escaped into ``css``/``xpath``, as it is elsewhere."""
        update: dict[str, str] = {}
        for field in _TEXT_FIELDS:
            text = getattr(self, field)
            if has_placeholder(text):
                update[field] = text_with_value(text, value)
        if self.css is not None and has_placeholder(self.css):
            update["css"] = css_with_value(self.css, value)
        if self.xpath is not None and has_placeholder(self.xpath):
            update["xpath"] = xpath_with_value(self.xpath, value)
        return self.model_copy(update=update)

    def describe(self) -> str:
        """The candidate in one short line, for drift notices and ``selectors check``."""
        value = getattr(self, self.kind)
        if self.kind == "role" and self.name:
            return f"role={value}[name={self.name!r}]"
        return f"{self.kind}={value!r}"


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, dict) else value


def _some(candidates: list[Candidate]) -> list[Candidate]:
    """An element with no candidate could never be found: refused where it is written. A
    parametrised element has ``{value}`` in every candidate: a fallback without it would find the
    same element whatever the value (the wrong radio button), so it is refused too."""
    if not candidates:
        raise ValueError(tr("候補が一つもありません。見つけ方を一つ以上書いてください",
                            "no candidate: write at least one way to find the element"))
    with_value = [c.parametrised for c in candidates]
    if any(with_value) and not all(with_value):
        missing = ", ".join(str(i + 1) for i, has in enumerate(with_value) if not has)
        raise ValueError(tr("{p} を使う要素では、すべての候補に {p} を書いてください（書いていない候補: 第{n}候補）",
                            "an element that uses {p} needs it in every candidate (candidate {n} lacks it)",
                            p=PLACEHOLDER, n=missing))
    return candidates


Candidates = Annotated[list[Candidate], AfterValidator(_some)]


class Screen(FrozenModel):
    """One screen of the target system: how it is recognised and its named elements."""

    url: str | None = None
    title: str | None = None
    #: Desktop: a regular expression the screen's window title matches (``search``).
    window: str | None = None
    #: Web: the ``<iframe>`` the screen is shown in (its css; a list for frames inside frames,
    #: outermost first): every element of the screen is looked for inside it.
    frame: tuple[str, ...] = ()
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

    @field_validator("frame", mode="before")
    @classmethod
    def _frames(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("frame")
    @classmethod
    def _frames_parse(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for css in value:
            problem = template_problem(css) or css_problem(css)
            if problem:
                raise ValueError(problem)
        return value

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

    @field_validator("candidates")
    @classmethod
    def _no_value(cls, value: list[Candidate]) -> list[Candidate]:
        # Nothing gives an error indicator a value: it would be looked for as "{value}".
        if any(c.parametrised for c in value):
            raise ValueError(tr("エラー表示の候補には {p} を書けません", "error indicators take no {p}", p=PLACEHOLDER))
        return value


def split_ref(ref: str) -> tuple[str, str | None]:
    """``注文.胴体[赤]`` → (``注文.胴体``, ``赤``); ``注文.胴体`` → (``注文.胴体``, None). The value is
    everything between the first ``[`` and the final ``]``, brackets in it included."""
    opening = ref.find("[")
    if opening == -1 or not ref.endswith("]"):
        return ref, None
    return ref[:opening], ref[opening + 1:-1]


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
        """The candidates of ``screen.element`` (a ``[value]`` is ignored here: see
        :meth:`candidates_for`); the reference is checked at load time."""
        screen, _, name = split_ref(ref)[0].partition(".")
        return self.screens[screen].elements[name]

    def has(self, ref: str) -> bool:
        """Whether ``screen.element`` exists (``[value]`` ignored): what flow checks ask before a run."""
        screen, _, name = split_ref(ref)[0].partition(".")
        return screen in self.screens and name in self.screens[screen].elements

    def parametrised(self, ref: str) -> bool:
        """Whether the element takes a value (its candidates hold ``{value}``)."""
        return any(c.parametrised for c in self.element(ref))

    def candidates_for(self, ref: str) -> list[Candidate]:
        """The candidates of ``画面.要素`` or, for a parametrised element, ``画面.要素[値]`` with the
        value put in. A value for an element without ``{value}`` (or none for one with it) raises
        ValueError with the message ``validate`` shows for the same mistake."""
        base, value = split_ref(ref)
        if problem := self.value_problem(ref):
            raise ValueError(problem)
        candidates = self.element(base)
        return candidates if value is None else [c.with_value(value) for c in candidates]

    def value_problem(self, ref: str) -> str | None:
        """Why ``ref``'s brackets do not fit its element (``validate`` and the run say the same)."""
        base, value = split_ref(ref)
        if value is not None and not self.parametrised(base):
            return tr("要素 {r} は値を受け取りません（候補に {p} がありません）。[…] を外すか、候補に {p} を書いてください",
                      "element {r} takes no value (no candidate holds {p}): drop the […] or put {p} in its candidates",
                      r=base, p=PLACEHOLDER)
        if value is None and self.parametrised(base):
            return tr("要素 {r} は値で決まる要素です（候補に {p} があります）。{r}[値] と書いてください（例: {r}[{{{{ record.列名 }}}}]）",
                      "element {r} depends on a value (its candidates hold {p}): write {r}[value] "
                      "(e.g. {r}[{{{{ record.column }}}}])", r=base, p=PLACEHOLDER)
        return None

    def frame_of(self, ref: str) -> tuple[str, ...]:
        """The iframes (outermost first) the element's screen is shown in; () on the page itself."""
        screen = split_ref(ref)[0].partition(".")[0]
        return self.screens[screen].frame if screen in self.screens else ()

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
