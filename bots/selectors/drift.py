"""Selector drift: an element found by a fallback candidate, not its first (the screen changed)."""

from __future__ import annotations

from bots.i18n import tr


def drift_message(key: str, first: str, number: int, chosen: str) -> str:
    """The notice text, shared by the browser and desktop adapters."""
    return tr("セレクタのずれ: {k} は第1候補 ({p}) で見つからず、第{n}候補 ({c}) で見つかりました",
              "selector drift: {k} not found by its first candidate ({p}) but by candidate {n} ({c})",
              k=key, p=first, n=number, c=chosen)


def drifted_commit_message(key: str, first: str, number: int, chosen: str) -> str:
    """Why a commit step refused to act on an element found only by a fallback candidate."""
    return tr("登録操作を行いませんでした（何も送信していません）: {k} は第1候補 ({p}) で見つからず、第{n}候補 ({c}) "
              "でしか見つかりません。推測した要素で登録しないため、このレコードは失敗にします。画面が変わったならセレクタ定義を"
              "直してください。この候補で登録してよい要素なら、画面の allow_fallback_commit にその要素名を書きます",
              "commit not performed (nothing submitted): {k} was not found by its first candidate ({p}) but only by "
              "candidate {n} ({c}); a commit never acts on a guessed element, so the record fails. Fix the selector "
              "map if the screen changed, or list the element in its screen's allow_fallback_commit if this "
              "candidate is safe to submit with", k=key, p=first, n=number, c=chosen)
