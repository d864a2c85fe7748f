"""The phrase of each registered step: what it does, in one plain sentence (Japanese or English).

One function per action name; :mod:`bots.governance.phrasing` adds what every step may carry
(condition, retry, 登録操作) and the nested steps. A step registered without a phrase here still
reads (from its registry summary), and ``tests/unit/test_phrasing.py`` fails until it gets one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bots.flow.steps import StepBase
from bots.governance.phrase_values import (
    Wording,
    condition_phrase,
    key_label,
    page_phrase,
    shorten,
    target_phrase,
    value_phrase,
    window_phrase,
)
from bots.i18n import tr

Phrase = Callable[[StepBase, Wording], str]
PHRASES: dict[str, Phrase] = {}


def phrase(name: str) -> Callable[[Phrase], Phrase]:
    """Register the phrase of the action ``name`` (its canonical name, not an alias)."""

    def register(func: Phrase) -> Phrase:
        PHRASES[name] = func
        return func

    return register


def _p(step: StepBase) -> Any:
    return step.params


def _into(name: str) -> str:
    return tr("『{n}』として控える", "keep it as “{n}”", n=name)


# ---- browser ---------------------------------------------------------------------------------

@phrase("browser.open")
def _open(step: StepBase, w: Wording) -> str:
    p = _p(step)
    system = w.system_title(w.system_of(p.system, "web"))
    if p.url:
        return tr("ブラウザで{s}の{u}を開く", "open {u} of {s} in the browser", s=system,
                  u=page_phrase(w, p.url, p.system))
    return tr("ブラウザで{s}を開く", "open {s} in the browser", s=system)


@phrase("browser.goto")
def _goto(step: StepBase, w: Wording) -> str:
    p = _p(step)
    return tr("{u}を開く", "go to {u}", u=page_phrase(w, p.url, p.system))


@phrase("browser.fill")
def _fill(step: StepBase, w: Wording) -> str:
    p = _p(step)
    return tr("{t}に{v}を入力", "enter {v} in {t}", t=target_phrase(p.target), v=value_phrase(p.value, w))


@phrase("browser.select")
def _select(step: StepBase, w: Wording) -> str:
    p = _p(step)
    if p.label is not None:
        return tr("{t}で{v}を選ぶ", "choose {v} in {t}", t=target_phrase(p.target), v=value_phrase(p.label, w))
    return tr("{t}で値が{v}の選択肢を選ぶ", "choose the option of value {v} in {t}", t=target_phrase(p.target),
              v=value_phrase(p.value, w))


@phrase("browser.check")
def _check(step: StepBase, w: Wording) -> str:
    p = _p(step)
    if p.checked is True:
        return tr("{t}にチェックを付ける", "tick {t}", t=target_phrase(p.target))
    if p.checked is False:
        return tr("{t}のチェックを外す", "untick {t}", t=target_phrase(p.target))
    return tr("{t}のチェックを{v}に合わせる", "set {t} to {v}", t=target_phrase(p.target), v=value_phrase(p.checked, w))


@phrase("browser.click")
def _click(step: StepBase, w: Wording) -> str:
    p = _p(step)
    if getattr(p, "opens", None) == "popup":
        return tr("{t}をクリックし、開いた新しいウィンドウで続ける", "click {t} and go on in the new window it opens",
                  t=target_phrase(p.target))
    return tr("{t}をクリック", "click {t}", t=target_phrase(p.target))


@phrase("browser.press")
def _press(step: StepBase, w: Wording) -> str:
    p = _p(step)
    if p.target is not None:
        return tr("{t}で {k} キーを押す", "press {k} in {t}", t=target_phrase(p.target), k=key_label(p.key))
    return tr("{k} キーを押す", "press {k}", k=key_label(p.key))


@phrase("browser.wait_for")
def _wait_for(step: StepBase, w: Wording) -> str:
    p = _p(step)
    if p.state in ("hidden", "detached"):
        return tr("{t}が消えるまで待つ", "wait until {t} is gone", t=target_phrase(p.target))
    return tr("{t}が表示されるまで待つ", "wait until {t} shows", t=target_phrase(p.target))


@phrase("browser.expect_text")
def _expect_text(step: StepBase, w: Wording) -> str:
    p = _p(step)
    if p.pattern is not None:
        return tr('{t}の表示が "{r}" の形であることを確かめる', 'check that {t} matches "{r}"',
                  t=target_phrase(p.target), r=shorten(p.pattern))
    return tr("{t}に{v}と表示されていることを確かめる", "check that {t} shows {v}", t=target_phrase(p.target),
              v=value_phrase(p.text, w))


@phrase("browser.read_text")
def _read_text(step: StepBase, w: Wording) -> str:
    p = _p(step)
    part = tr('（"{r}" に合う部分）', ' (the part matching "{r}")', r=shorten(p.pattern)) if p.pattern else ""
    return tr("{t}の表示{x}を読み取り、{i}", "read {t}{x} and {i}", t=target_phrase(p.target), x=part, i=_into(p.into))


@phrase("browser.screenshot")
def _screenshot(step: StepBase, w: Wording) -> str:
    p = _p(step)
    kept = tr("、{i}", " and {i}", i=_into(p.into)) if p.into else ""
    if p.target is not None:
        return tr("{t}を画像で保存（{n}.png）{k}", "save {t} as an image ({n}.png){k}", t=target_phrase(p.target),
                  n=p.name, k=kept)
    return tr("画面を画像で保存（{n}.png）{k}", "save a screenshot ({n}.png){k}", n=p.name, k=kept)


@phrase("browser.pdf")
def _pdf(step: StepBase, w: Wording) -> str:
    p = _p(step)
    kept = tr("、{i}", " and {i}", i=_into(p.into)) if p.into else ""
    return tr("画面を PDF で保存（{n}.pdf）{k}", "save the page as a PDF ({n}.pdf){k}", n=p.name, k=kept)


@phrase("browser.reload")
def _reload(step: StepBase, w: Wording) -> str:
    return tr("画面を再読み込みする", "reload the page")


@phrase("browser.switch_page")
def _switch_page(step: StepBase, w: Wording) -> str:
    if _p(step).page == "popup":
        return tr("新しく開いたウィンドウに切り替える", "switch to the window that was opened")
    return tr("最初のウィンドウに戻る", "switch back to the first window")


@phrase("browser.close_page")
def _close_page(step: StepBase, w: Wording) -> str:
    return tr("開いたウィンドウを閉じ、最初のウィンドウに戻る", "close the opened window and go back to the first one")


@phrase("browser.dialog")
def _dialog(step: StepBase, w: Wording) -> str:
    p = _p(step)
    answer = tr("OK", "OK") if p.accept else tr("キャンセル", "Cancel")
    expected = tr("（「{t}」を含むものだけ）", " (only one saying {t})", t=value_phrase(p.text, w)) if p.text is not None else ""
    typed = tr("{v}を入力して", "type {v} and ", v=value_phrase(p.prompt, w)) if p.prompt is not None else ""
    return tr("次に出る確認ダイアログ{e}には{p}「{a}」で答える", "answer the next dialog{e}: {p}press {a}",
              e=expected, p=typed, a=answer)


@phrase("browser.download")
def _download(step: StepBase, w: Wording) -> str:
    p = _p(step)
    name = tr("（{n} として保存）", " (saved as {n})", n=value_phrase(p.save_as, w)) if p.save_as else ""
    return tr("{t}をクリックしてファイルをダウンロード{n}", "click {t} and download the file{n}",
              t=target_phrase(p.target), n=name)


@phrase("browser.upload")
def _upload(step: StepBase, w: Wording) -> str:
    p = _p(step)
    return tr("{t}にファイル {f} を添付", "attach the file {f} in {t}", t=target_phrase(p.target),
              f=value_phrase(p.file, w))


@phrase("browser.close")
def _close(step: StepBase, w: Wording) -> str:
    return tr("ブラウザを閉じる", "close the browser")


# ---- desktop ---------------------------------------------------------------------------------

def _in_window(step: StepBase, w: Wording) -> str:
    window = getattr(_p(step), "window", None)
    return tr("{x}で", "in {x}, ", x=window_phrase(w, window, _p(step).system)) if window else ""


@phrase("desktop.launch")
def _launch(step: StepBase, w: Wording) -> str:
    p = _p(step)
    command = value_phrase(" ".join(p.command) if isinstance(p.command, list) else p.command, w)
    if p.window:
        return tr("業務アプリを起動し（{c}）、{x}が表示されるまで待つ", "start the application ({c}) and wait for {x}",
                  c=command, x=window_phrase(w, p.window, p.system))
    return tr("業務アプリを起動（{c}）", "start the application ({c})", c=command)


@phrase("desktop.wait_window")
def _wait_window(step: StepBase, w: Wording) -> str:
    p = _p(step)
    if p.state == "gone":
        return tr("{x}が閉じるまで待つ", "wait until {x} closes", x=window_phrase(w, p.window, p.system))
    return tr("{x}が表示されるまで待つ", "wait until {x} shows", x=window_phrase(w, p.window, p.system))


@phrase("desktop.focus")
def _focus(step: StepBase, w: Wording) -> str:
    p = _p(step)
    return tr("{x}を最前面にして入力先にする", "bring {x} to the front for input", x=window_phrase(w, p.window, p.system))


@phrase("desktop.click")
def _desktop_click(step: StepBase, w: Wording) -> str:
    p = _p(step)
    how = {1: "", 2: tr("ダブル", "double-")}.get(p.clicks, tr("{n} 回", "{n} times ", n=p.clicks))
    button = {"right": tr("右", "right-"), "middle": tr("中央ボタンで", "middle-")}.get(p.button, "")
    return tr("{t}を{b}{h}クリック", "{b}{h}click {t}", t=target_phrase(p.target), b=button, h=how)


@phrase("desktop.type")
def _type(step: StepBase, w: Wording) -> str:
    p = _p(step)
    clear = tr("（前の内容を消してから）", " (clearing it first)") if p.clear else ""
    if p.target is not None:
        return tr("{t}に{v}を入力{c}", "enter {v} in {t}{c}", t=target_phrase(p.target), v=value_phrase(p.value, w),
                  c=clear)
    return tr("{x}入力中の欄に{v}を入力{c}", "{x}enter {v} in the field with the focus{c}", x=_in_window(step, w),
              v=value_phrase(p.value, w), c=clear)


@phrase("desktop.press")
def _desktop_press(step: StepBase, w: Wording) -> str:
    p = _p(step)
    if p.times > 1:
        return tr("{x}{k} キーを {n} 回押す", "{x}press {k} {n} times", x=_in_window(step, w), k=key_label(p.key),
                  n=p.times)
    return tr("{x}{k} キーを押す", "{x}press {k}", x=_in_window(step, w), k=key_label(p.key))


@phrase("desktop.hotkey")
def _hotkey(step: StepBase, w: Wording) -> str:
    p = _p(step)
    return tr("{x}{k} キーを同時に押す", "{x}press {k} together", x=_in_window(step, w), k=key_label(p.keys))


@phrase("desktop.read_text")
def _desktop_read(step: StepBase, w: Wording) -> str:
    p = _p(step)
    where = target_phrase(p.target) if p.target else tr("入力中の欄", "the field with the focus")
    how = tr("OCR で", "by OCR") if p.via == "ocr" else tr("コピーして", "by copying it")
    part = tr('（"{r}" に合う部分）', ' (the part matching "{r}")', r=shorten(p.pattern)) if p.pattern else ""
    return tr("{t}の文字{x}を{h}読み取り、{i}", "read the text{x} of {t} {h} and {i}", t=where, h=how, x=part,
              i=_into(p.into))


@phrase("desktop.verify_field")
def _verify_field(step: StepBase, w: Wording) -> str:
    p = _p(step)
    where = target_phrase(p.target) if p.target else tr("入力中の欄", "the field with the focus")
    return tr("{t}に{v}が入っていることを 1 文字ずつ確かめる", "check character by character that {t} holds {v}",
              t=where, v=value_phrase(p.value, w))


@phrase("desktop.wait_for")
def _desktop_wait_for(step: StepBase, w: Wording) -> str:
    p = _p(step)
    if p.state == "hidden":
        return tr("{t}が消えるまで待つ", "wait until {t} is gone", t=target_phrase(p.target))
    return tr("{t}が表示されるまで待つ", "wait until {t} shows", t=target_phrase(p.target))


@phrase("desktop.screenshot")
def _desktop_screenshot(step: StepBase, w: Wording) -> str:
    p = _p(step)
    if p.window:
        return tr("{x}を画像で保存（{n}.png）", "save a picture of {x} ({n}.png)", x=window_phrase(w, p.window, p.system),
                  n=p.name)
    return tr("画面全体を画像で保存（{n}.png）", "save a picture of the screen ({n}.png)", n=p.name)


@phrase("desktop.close")
def _desktop_close(step: StepBase, w: Wording) -> str:
    system = w.system_title(w.system_of(_p(step).system, "desktop"))
    return tr("{s}の業務アプリを閉じる", "close the applications of {s}", s=system)


# ---- excel / ocr -----------------------------------------------------------------------------

@phrase("excel.read_rows")
def _read_rows(step: StepBase, w: Wording) -> str:
    p = _p(step)
    sheet = tr("のシート『{s}』", ", sheet “{s}”,", s=p.sheet) if p.sheet else ""
    return tr("Excel ファイル {f}{s}の各行を読み込み、{i}", "read the rows of the Excel file {f}{s} and {i}",
              f=value_phrase(p.file, w), s=sheet, i=_into(p.into))


@phrase("ocr.read_forms")
def _read_forms(step: StepBase, w: Wording) -> str:
    p = _p(step)
    doubtful = "" if not p.include_doubtful else tr("（要確認の帳票も含める）", " (doubtful ones included)")
    return tr("帳票『{f}』のスキャン {s} を OCR で読み取り{d}、{i}", "read the scans {s} of the form “{f}” by OCR{d} and {i}",
              f=p.form, s=value_phrase(p.files, w), d=doubtful, i=_into(p.into))


# ---- control ---------------------------------------------------------------------------------

@phrase("control.call")
def _call(step: StepBase, w: Wording) -> str:
    p = _p(step)
    sub = w.loaded.subflows.get(p.flow)
    title = tr("『{t}』", "“{t}”", t=sub.flow.title) if sub is not None else ""
    text = tr("サブフロー{t}（{f}）を実行", "run the sub-flow {t} ({f})", t=title, f=p.flow)
    if p.with_:
        given = tr("、", ", ").join(f"{name} = {value_phrase(value, w)}" for name, value in p.with_.items())
        text += tr("（入力: {g}）", " (inputs: {g})", g=given)
    if p.outputs:
        text += tr("し、結果の{o}を受け取る", " and take back {o}",
                   o=tr("・", ", ").join(tr("『{n}』", "“{n}”", n=n) for n in p.outputs))
    return text


@phrase("control.fail")
def _fail(step: StepBase, w: Wording) -> str:
    return tr("この行を「失敗」とする（理由: {m}）", "mark this record failed (reason: {m})",
              m=value_phrase(_p(step).message, w))


@phrase("control.for_each")
def _for_each(step: StepBase, w: Wording) -> str:
    p = _p(step)
    items = value_phrase("{{ " + p.items + " }}", w)
    return tr("{l}の項目ごとに（項目は変数『{a}』）、次を繰り返す", "for each item of {l} (as the variable “{a}”), repeat",
              l=items, a=p.as_)


@phrase("control.group")
def _group(step: StepBase, w: Wording) -> str:
    return tr("次の手順をひとまとまりとして実行", "run these steps as one unit")


@phrase("control.if")
def _if(step: StepBase, w: Wording) -> str:
    return tr("{c}は次を実行", "{c}, run", c=condition_phrase(_p(step).cond, w))


@phrase("control.log")
def _log(step: StepBase, w: Wording) -> str:
    return tr("実行ログに {m} と書く", "write {m} to the run log", m=value_phrase(_p(step).message, w))


@phrase("control.set")
def _set(step: StepBase, w: Wording) -> str:
    values = _p(step).values
    parts = [tr("変数『{n}』に{v}", "the variable “{n}” to {v}", n=name, v=value_phrase(value, w))
             for name, value in values.items()]
    return tr("{p}を控える", "set {p}", p=tr("、", ", ").join(parts))


def fallback(step: StepBase) -> str:
    """A step without a phrase: its registry summary and name (never a crash)."""
    return f"{step.spec.summary}（{step.action}）" if step.spec.summary else step.action

