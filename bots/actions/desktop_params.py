"""Parameters of the desktop steps (``desktop.*``): typed, ``extra="forbid"``.

``window`` names the window a step expects, either as a screen of the system's selector map
(its ``window:`` title pattern) or as a title regular expression. Keyboard steps refuse to
type when that window (or, if the step names none, the window the flow last focused) does
not have the focus.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from bots.actions.param_types import ScalarValue, Words
from bots.registry import Params

_WINDOW_DOC = "ウィンドウ（セレクタ定義の画面名か、タイトルの正規表現）"
_SELECT_ALL_DOC = "欄の文字を全選択するキー"
_COPY_KEYS_DOC = "選択した文字をコピーするキー"


class DesktopParams(Params):
    """What every desktop step may name: the system, when the flow has several."""

    system: str | None = Field(
        None, description="対象のデスクトップシステム（フローの `systems:` のキー。一つなら省略可）")


class LaunchParams(DesktopParams):
    """The program to start and the window it should show: a scalar is the command."""

    shorthand: ClassVar[str | None] = "command"

    command: Words = Field(
        description="起動するプログラムと引数（文字列はシェルと同じ規則で区切りますが、シェルは通しません）")
    cwd: str | None = Field(None, description="作業フォルダ")
    window: str | None = Field(None, description="表示を待ってフォーカスするウィンドウ（画面名かタイトルの正規表現）")


class WindowParams(DesktopParams):
    """One window: a scalar names it."""

    shorthand: ClassVar[str | None] = "window"

    window: str = Field(description=_WINDOW_DOC)


class WaitWindowParams(WindowParams):
    """A window and whether to wait for it to show or to go."""

    state: Literal["shown", "gone"] = Field("shown", description="`shown`（表示されるまで）か `gone`（閉じるまで）")
    focus: bool = Field(True, description="表示されたらフォーカスする（以後のキーボード操作はこのウィンドウを前提にします）")


class ClickParams(DesktopParams):
    """An element to click, and how: a scalar is the element."""

    shorthand: ClassVar[str | None] = "target"
    target_fields: ClassVar[tuple[str, ...]] = ("target",)

    target: str = Field(description="クリックする要素（セレクタ定義の `画面.要素`: 画像・OCR の文字・ウィンドウ内の座標）")
    button: Literal["left", "right", "middle"] = Field("left", description="マウスのボタン")
    clicks: int = Field(1, ge=1, le=3, description="クリック回数（2 でダブルクリック）")


class KeyboardParams(DesktopParams):
    """Keyboard steps name the window that must have the focus before any key is sent."""

    window: str | None = Field(
        None, description="フォーカスを持っているべきウィンドウ（省略時はフローが最後にフォーカスしたもの）")


class TypeParams(KeyboardParams):
    """The value to type and, optionally, the field to click first."""

    target_fields: ClassVar[tuple[str, ...]] = ("target",)
    secret_fields: ClassVar[frozenset[str]] = frozenset({"value"})  # a password, whole

    value: ScalarValue = Field(description="入力する値（`{{ record.列名 }}` など）")
    target: str | None = Field(None, description="先にクリックする要素（入力欄など）")
    clear: bool = Field(False, description="先に全選択して、欄の内容を消す")


class HotkeyParams(KeyboardParams):
    """A key combination: a scalar is the keys."""

    shorthand: ClassVar[str | None] = "keys"

    keys: Words = Field(description="同時に押すキー（`ctrl+s` または `[ctrl, s]`）")


class PressParams(KeyboardParams):
    """A key and how many times to press it: a scalar is the key."""

    shorthand: ClassVar[str | None] = "key"

    key: str = Field(description="押すキー（`tab`・`enter`・`f9` など pyautogui のキー名）")
    times: int = Field(1, ge=1, le=100, description="押す回数")


class ReadTextParams(KeyboardParams):
    """Where to read text from (OCR or clipboard) and the variable that receives it."""

    target_fields: ClassVar[tuple[str, ...]] = ("target",)

    into: str = Field(description="読んだ文字を入れる変数名（以後 `vars.<名前>` で使えます）")
    target: str | None = Field(
        None, description="読む要素・領域（`via: ocr` では必須。`via: clipboard` では先にクリックする欄）")
    via: Literal["ocr", "clipboard"] = Field(
        "ocr", description="`ocr`（画面の文字を認識）か `clipboard`（欄を全選択してコピー）")
    pattern: str | None = Field(
        None, description="正規表現。最初のグループ（グループがなければ一致全体）を取り出します")
    lang: str = Field("jpn", description="OCR の言語（tesseract の言語名。`jpn`・`eng` など）")
    select_all: str = Field("ctrl+a", description=_SELECT_ALL_DOC + "（`via: clipboard`）")
    copy_keys: str = Field("ctrl+c", description=_COPY_KEYS_DOC + "（`via: clipboard`）")

    def assigned_names(self) -> list[str]:
        """The variable set, so ``validate`` knows ``vars.<into>`` exists after this step."""
        return [self.into]


class WaitForParams(DesktopParams):
    """An element and whether to wait for it to appear or disappear: a scalar is the element."""

    shorthand: ClassVar[str | None] = "target"
    target_fields: ClassVar[tuple[str, ...]] = ("target",)

    target: str = Field(description="待つ要素（セレクタ定義の `画面.要素`: 画像か文字）")
    state: Literal["visible", "hidden"] = Field("visible", description="`visible`（現れるまで）か `hidden`（消えるまで）")


class ScreenshotParams(DesktopParams):
    """The file name, and optionally one window to crop to: a scalar is the name."""

    shorthand: ClassVar[str | None] = "name"

    name: str = Field("desktop", description="ファイル名（実行フォルダの `screenshots/<name>.png`）")
    window: str | None = Field(None, description="このウィンドウだけを撮る（省略時は画面全体）")


class VerifyFieldParams(KeyboardParams):
    """The value a field must hold and, optionally, the field to click first."""

    target_fields: ClassVar[tuple[str, ...]] = ("target",)

    value: ScalarValue = Field(description="欄に入っているべき値（1 文字ずつ比べます）")
    target: str | None = Field(None, description="先にクリックする欄（省略時はフォーカスのある欄を読みます）")
    select_all: str = Field("ctrl+a", description=_SELECT_ALL_DOC)
    copy_keys: str = Field("ctrl+c", description=_COPY_KEYS_DOC)


class CloseParams(DesktopParams):
    """Which system's applications to close: a scalar names the system."""

    shorthand: ClassVar[str | None] = "system"
