"""Browser steps (Playwright): open, goto, fill, select, check, click, press, wait_for,
expect_text, read_text, screenshot, download, upload (``browser.close`` and the
pages and dialogs: ``bots.actions.browser_windows``).

Elements are named from the system's selector map (``画面.要素``); a raw locator mapping
(``{css: "#x"}``) works too, but ``validate`` warns about it.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from bots.actions.param_types import ScalarValue
from bots.engine.context import StepContext
from bots.errors import ExpectationFailed, InputRecordError
from bots.flow.paths import download_problem, load_roots, outside_message, resolve, within
from bots.i18n import tr
from bots.registry import Params, action
from bots.results.folder import safe_name
from bots.selectors.model import Candidate

TargetRef = str | Candidate

_SYSTEM_DOC = "対象の Web システム（フローの `systems:` のキー。Web システムが一つなら省略可）"
_INTO_DOC = "読んだ値を入れる変数名（以後 `vars.<名前>` で使えます）"
_PATTERN_DOC = "正規表現。最初のグループ（グループがなければ一致全体）を取り出します"


def commits(ctx: StepContext) -> bool:
    """Whether this step is a commit: it then acts only on an element its first candidate found."""
    return ctx.step.commit or ctx.step.spec.commits


def as_text(value: Any) -> str:
    """How a value is typed into a field: dates as YYYY-MM-DD, None as empty."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class TargetParams(Params):
    """One element of a web screen: the base of most browser steps."""

    shorthand: ClassVar[str | None] = "target"
    target_fields: ClassVar[tuple[str, ...]] = ("target",)

    target: TargetRef = Field(description="操作する要素（セレクタ定義の `画面.要素`。`{css: \"#x\"}` の直接指定も可）")
    system: str | None = Field(None, description=_SYSTEM_DOC)


class OpenParams(Params):
    """Which system to open, and where: a scalar names the system."""

    shorthand: ClassVar[str | None] = "system"

    system: str | None = Field(None, description=_SYSTEM_DOC)
    url: str | None = Field(None, description="最初に開く URL（`base_url` からの相対パスも可）")


@action("browser.open", OpenParams)
def open_(ctx: StepContext, p: OpenParams) -> None:
    """Open a browser page on a target system (its ``base_url``), optionally at ``url``.

    Usually the first browser step of a flow (or of its ``setup``); later steps reuse the page.

    ``- browser.open: {system: demo_web, url: /login}``
    """
    session = ctx.browser(p.system)
    if p.url:
        session.goto(str(p.url), ctx.timeout_ms)


class GotoParams(Params):
    """Where to go: a scalar is the URL."""

    shorthand: ClassVar[str | None] = "url"

    url: str = Field(description="開く URL（`base_url` からの相対パスも可）")
    system: str | None = Field(None, description=_SYSTEM_DOC)


@action("browser.goto", GotoParams)
def goto(ctx: StepContext, p: GotoParams) -> None:
    """Go to a URL (relative to the system's ``base_url``).

    ``- browser.goto: /entry``
    """
    ctx.browser(p.system).goto(str(p.url), ctx.timeout_ms)


class FillParams(TargetParams):
    """An element and the value typed into it; no shorthand, the value is required."""

    shorthand: ClassVar[str | None] = None
    secret_fields: ClassVar[frozenset[str]] = frozenset({"value"})  # a password, whole

    value: ScalarValue = Field(description="入力する値（`{{ record.列名 }}` など。日付は YYYY-MM-DD、空値は空欄）")


@action("browser.fill", FillParams)
def fill(ctx: StepContext, p: FillParams) -> None:
    """Type a value into a text field (replacing what is there).

    A secret, or the value of a column marked ``sensitive``, also blacks the field out of every
    later screenshot.

    ``- browser.fill: {target: 申請入力.氏名, value: "{{ record.氏名 }}"}``
    """
    text = as_text(p.value)
    session = ctx.browser(p.system)
    if ctx.run.is_sensitive_value(text, ctx.scope):
        session.mark_sensitive(p.target)  # blacked out in screenshots from now on
    session.act(p.target, tr("入力", "fill"), ctx.timeout_ms, lambda loc, t: loc.fill(text, timeout=t),
                commit=commits(ctx))


class SelectParams(TargetParams):
    """A drop-down and the option to choose, by label or by value (exactly one)."""

    shorthand: ClassVar[str | None] = None

    value: ScalarValue = Field(None, description="選ぶ選択肢の `value` 属性（`label` とどちらか一つ）")
    label: ScalarValue = Field(None, description="選ぶ選択肢の表示名（`value` とどちらか一つ）")


@action("browser.select", SelectParams)
def select(ctx: StepContext, p: SelectParams) -> None:
    """Choose an option of a drop-down by its visible label (or its value).

    A label the list does not offer fails the record as bad input, naming the options offered.

    ``- browser.select: {target: 申請入力.性別, label: "{{ record.性別 }}"}``
    """
    if (p.value is None) == (p.label is None):
        raise InputRecordError(tr("select には value か label のどちらか一つを指定します", "give either value or label"))
    ctx.browser(p.system).select(p.target, ctx.timeout_ms, label=None if p.label is None else as_text(p.label),
                                 value=None if p.value is None else as_text(p.value), commit=commits(ctx))


class CheckParams(TargetParams):
    """A checkbox or radio button and the state wanted."""

    checked: ScalarValue = Field(True, description="`true` でチェックを付け、`false` で外します（`はい`・`1`・`yes` も true）")


@action("browser.check", CheckParams)
def check(ctx: StepContext, p: CheckParams) -> None:
    """Tick (or untick, ``checked: false``) a checkbox or radio button.

    ``- browser.check: 申請入力.同意``
    """
    wanted = p.checked if isinstance(p.checked, bool) else str(p.checked).strip().lower() in {"true", "1", "はい", "yes"}
    ctx.browser(p.system).act(p.target, tr("チェック", "check"), ctx.timeout_ms,
                              lambda loc, t: loc.set_checked(wanted, timeout=t), commit=commits(ctx))


class ClickParams(TargetParams):
    """The element to click, and whether the click opens a new tab or window."""

    opens: Literal["popup"] | None = Field(
        None, description="`popup`: このクリックで新しいタブ・ウィンドウが開くのを待ち、以後のステップはそちらを操作します"
                          "（戻るときは `browser.switch_page: main` か `browser.close_page`）")


@action("browser.click", ClickParams)
def click(ctx: StepContext, p: ClickParams) -> None:
    """Click a button or link. Mark the final submit with ``commit: true``.

    The commit mark makes ``--dry-run`` stop before the submit and lets a resume tell a record
    that may have been keyed from one that was not.
    A commit click acts only on an element its first candidate found: found only by a fallback,
    the record fails (``selector_drift``, nothing submitted) unless the screen's
    ``allow_fallback_commit`` lists the element.
    With ``opens: popup`` the step waits for the new tab or window the click opens, and later
    steps of the system act on it.

    ``- browser.click: 申請入力.確認へ``
    ``- browser.click: {target: "一覧.詳細[{{ record.受付番号 }}]", opens: popup}``
    """
    session = ctx.browser(p.system)

    def click_it() -> None:
        session.act(p.target, tr("クリック", "click"), ctx.timeout_ms, lambda loc, t: loc.click(timeout=t),
                    commit=commits(ctx))

    if p.opens == "popup":
        with session.opening_popup(ctx.timeout_ms):
            click_it()
    else:
        click_it()


class PressParams(Params):
    """A key, pressed on an element or on the whole page: a scalar is the key."""

    shorthand: ClassVar[str | None] = "key"
    target_fields: ClassVar[tuple[str, ...]] = ("target",)

    key: str = Field(description="押すキー（`Enter`・`Tab`・`Control+A` など Playwright のキー名）")
    target: TargetRef | None = Field(None, description="キーを押す要素（省略するとページ全体）")
    system: str | None = Field(None, description=_SYSTEM_DOC)


@action("browser.press", PressParams)
def press(ctx: StepContext, p: PressParams) -> None:
    """Press a key (``Enter``, ``Tab``, ``Control+A``) on an element or the page.

    ``- browser.press: {target: 検索.氏名, key: Enter}``
    """
    session = ctx.browser(p.system)
    if p.target is None:
        session.page.keyboard.press(p.key)
        return
    session.act(p.target, tr("キー入力", "press"), ctx.timeout_ms, lambda loc, t: loc.press(p.key, timeout=t),
                commit=commits(ctx))


class WaitForParams(TargetParams):
    """An element and the state to wait for."""

    state: Literal["visible", "hidden", "attached", "detached"] = Field(
        "visible", description="待つ状態: `visible`（表示）・`hidden`（非表示）・`attached` / `detached`（ページにある / ない）")


@action("browser.wait_for", WaitForParams)
def wait_for(ctx: StepContext, p: WaitForParams) -> None:
    """Wait until an element shows (the next screen has arrived).

    An error page or validation message shown instead fails the step at once.

    ``- browser.wait_for: 確認.登録``
    """
    ctx.browser(p.system).wait_for_screen(p.target, ctx.timeout_ms, p.state)


class ExpectTextParams(TargetParams):
    """An element and the text it must show (contained, or matching a pattern)."""

    shorthand: ClassVar[str | None] = None

    text: ScalarValue = Field(None, description="表示に含まれているべき文字")
    pattern: str | None = Field(None, description="表示が一致すべき正規表現（`text` の代わりに）")


@action("browser.expect_text", ExpectTextParams)
def expect_text(ctx: StepContext, p: ExpectTextParams) -> None:
    """Check that an element shows a text (contains ``text``, or matches ``pattern``).

    Use it before a commit step to make sure the confirmation screen shows this record's data.

    ``- browser.expect_text: {target: 確認.氏名, text: "{{ record.氏名 }}"}``
    """
    session = ctx.browser(p.system)
    actual = session.read_text(p.target, ctx.timeout_ms)
    ok = re.search(p.pattern, actual) is not None if p.pattern else as_text(p.text) in actual
    if not ok:
        raise ExpectationFailed(tr("{t} の表示が違います: 期待 {e!r}、実際 {a!r}", "{t} shows {a!r}, expected {e!r}",
                                   t=session.describe(p.target), e=p.pattern or as_text(p.text), a=actual))


class ReadTextParams(TargetParams):
    """An element to read and the variable that receives its text."""

    shorthand: ClassVar[str | None] = None

    into: str = Field(description=_INTO_DOC)
    pattern: str | None = Field(None, description=_PATTERN_DOC)

    def assigned_names(self) -> list[str]:
        """The variable set, so ``validate`` knows ``vars.<into>`` exists after this step."""
        return [self.into]


@action("browser.read_text", ReadTextParams)
def read_text(ctx: StepContext, p: ReadTextParams) -> None:
    """Read an element's text into ``vars.<into>`` (first group of ``pattern`` if given).

    Waits for the element like ``wait_for``: an error screen shown instead fails at once.

    ``- browser.read_text: {target: 完了.受付番号, into: 受付番号}``
    """
    session = ctx.browser(p.system)
    text = session.read_text(p.target, ctx.timeout_ms).strip()
    if p.pattern:
        match = re.search(p.pattern, text)
        if match is None:
            raise ExpectationFailed(tr("{t} の文字 {a!r} が形式 {p} に合いません", "{t} text {a!r} does not match {p}",
                                       t=session.describe(p.target), a=text, p=p.pattern))
        text = match.group(1) if match.groups() else match.group(0)
    ctx.vars[p.into] = text


class ScreenshotParams(Params):
    """The file name of the screenshot (a scalar is the name); ``target`` for one element only."""

    shorthand: ClassVar[str | None] = "name"
    target_fields: ClassVar[tuple[str, ...]] = ("target",)

    name: str = Field("screen", description="ファイル名（実行フォルダの `screenshots/<name>.png`）")
    target: TargetRef | None = Field(None, description="この要素だけを撮る（領収書・受付票など。省略時は画面全体）。"
                                                      "要素が出るまで待ち、エラー表示が出たらすぐ失敗します")
    into: str | None = Field(None, description="保存したファイルのパスを入れる変数名（`outputs:` に書けば結果の列になります）")
    system: str | None = Field(None, description=_SYSTEM_DOC)

    def assigned_names(self) -> list[str]:
        """The variable set (if any), so ``validate`` knows ``vars.<into>`` exists."""
        return [self.into] if self.into else []


@action("browser.screenshot", ScreenshotParams)
def screenshot(ctx: StepContext, p: ScreenshotParams) -> None:
    """Save a screenshot of the page, or of one element, into the run folder (password fields masked).

    With ``target`` only that element is saved (a receipt shown in place), at its own size;
    ``into`` puts the file's path into ``vars.<into>``, so it can be a results column.

    ``- browser.screenshot: 完了画面``
    ``- browser.screenshot: {target: 受領.領収書, name: "領収書_{{ record.番号 }}", into: 領収書画像}``
    """
    path = ctx.run.info.folder / "screenshots" / f"{safe_name(str(p.name))}.png"
    ctx.browser(p.system).screenshot(path, p.target, ctx.timeout_ms)
    if p.into:
        ctx.vars[p.into] = str(path)


class DownloadParams(TargetParams):
    """The link that downloads, the file name to save as, the variable for its path."""

    shorthand: ClassVar[str | None] = None

    save_as: str | None = Field(None, description="保存するファイル名（省略時はサーバーが示す名前。実行フォルダの "
                                                 "`downloads/` の外には保存できません）")
    into: str | None = Field(None, description="保存したファイルのパスを入れる変数名")

    def assigned_names(self) -> list[str]:
        """The variable set (if any), so ``validate`` knows ``vars.<into>`` exists."""
        return [self.into] if self.into else []


@action("browser.download", DownloadParams)
def download(ctx: StepContext, p: DownloadParams) -> None:
    """Click a link that downloads a file; save it in the run folder (``vars.<into>`` = path).

    ``- browser.download: {target: メニュー.CSV出力, into: csv_path}``
    """
    session = ctx.browser(p.system)

    def click_and_save(loc: Any, budget: float) -> Path:
        with session.page.expect_download(timeout=ctx.timeout_ms) as info:
            loc.click(timeout=budget)
        item = info.value
        folder = ctx.run.info.folder / "downloads"
        name = str(p.save_as) if p.save_as else item.suggested_filename
        if problem := download_problem(name, folder):  # a rendered or server-given name escaping the folder
            item.cancel()
            raise InputRecordError(problem)
        folder.mkdir(parents=True, exist_ok=True)
        dest = resolve(name, folder)
        item.save_as(dest)
        return dest

    dest = session.act(p.target, tr("ダウンロード", "download"), ctx.timeout_ms, click_and_save, commit=commits(ctx))
    if p.into:
        ctx.vars[p.into] = str(dest)


class UploadParams(TargetParams):
    """A file input and the file to attach."""

    shorthand: ClassVar[str | None] = None

    file: str = Field(description="添付するファイルのパス（プロジェクトのフォルダからの相対パスも可。許可されたフォルダ"
                                  "（プロジェクト・kazaguruma.yaml の paths.roots）の外、またはファイルがないときは"
                                  "そのレコードを入力エラーにします）")


@action("browser.upload", UploadParams)
def upload(ctx: StepContext, p: UploadParams) -> None:
    """Attach a file to a file input.

    ``- browser.upload: {target: 添付.ファイル, file: "{{ inputs.attachment }}"}``
    """
    roots, _ = load_roots(ctx.run.project)
    path = resolve(str(p.file), ctx.run.project.root)
    if not within(path, roots):  # checked before anything is attached: nothing leaves the allowed folders
        raise InputRecordError(outside_message(str(p.file), path, roots))
    if not path.is_file():
        raise InputRecordError(tr("添付するファイルがありません: {p}", "file to upload not found: {p}", p=path))
    ctx.browser(p.system).act(p.target, tr("添付", "upload"), ctx.timeout_ms,
                              lambda loc, t: loc.set_input_files(str(path), timeout=t), commit=commits(ctx))

