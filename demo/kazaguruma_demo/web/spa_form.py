"""What the single-page order app offers and accepts: its catalogue and the check of one order.

The browser checks nothing itself (like many intranet apps, the rules live on the server): an
order that breaks a rule comes back as HTTP 400 with one message per field, shown in the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

HEADS: tuple[str, ...] = ("カメラ型", "ライト型", "スピーカー型", "センサー型", "アンテナ型")
BODIES: tuple[str, ...] = ("標準型", "軽量型", "耐水型", "重装型", "小型", "防災型")
LEGS = range(1, 7)  # 脚部の型番 1〜6
QUANTITY = range(1, 100)
_REQUEST_NO = re.compile(r"[A-Za-z0-9-]{1,20}")
_ADDRESS_MAX = 100


@dataclass(frozen=True)
class Checked:
    """The order as it will be stored (numbers as ints), and the message of each refused field."""

    values: dict[str, Any]
    errors: dict[str, str]


def catalogue() -> dict[str, Any]:
    """What the order form offers (``GET /spa/api/catalogue``)."""
    return {"heads": list(HEADS), "bodies": list(BODIES), "legs": [LEGS.start, LEGS.stop - 1],
            "quantity": [QUANTITY.start, QUANTITY.stop - 1]}


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    return "" if value is None else str(value).strip()


def _number(text: str, allowed: range) -> int | None:
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if number in allowed else None


def check_order(data: dict[str, Any]) -> Checked:
    """Check one submitted order (the JSON body of ``POST /spa/api/orders``)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {name: _text(data, name) for name in ("依頼番号", "頭部", "胴体", "配送先")}
    if not _REQUEST_NO.fullmatch(values["依頼番号"]):
        errors["依頼番号"] = "依頼番号は英数字とハイフン（20文字以内）で入力してください"
    if values["頭部"] not in HEADS:
        errors["頭部"] = "頭部を選択してください"
    if values["胴体"] not in BODIES:
        errors["胴体"] = "胴体を選択してください"
    legs = _number(_text(data, "脚部"), LEGS)
    if legs is None:
        errors["脚部"] = f"脚部は型番 {LEGS.start}〜{LEGS.stop - 1} の数字で入力してください"
    quantity = _number(_text(data, "数量"), QUANTITY)
    if quantity is None:
        errors["数量"] = f"数量は {QUANTITY.start}〜{QUANTITY.stop - 1} の数字で入力してください"
    if not values["配送先"]:
        errors["配送先"] = "配送先を入力してください"
    elif len(values["配送先"]) > _ADDRESS_MAX:
        errors["配送先"] = f"配送先は{_ADDRESS_MAX}文字以内で入力してください"
    values.update(脚部=legs, 数量=quantity)
    return Checked(values, errors)
