"""Governance vocabulary shared by flows, selector maps and the project configuration: network
zones (三層の対策) and the classes of personal data a flow handles.

Values are written in flows and maps either as the short code (``lgwan``) or as the Japanese name
the municipality's security policy uses (``LGWAN接続系``); both load to the code, and reports show
the Japanese name (English with ``--lang en``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator

from bots.i18n import tr

ZoneCode = Literal["mynumber", "lgwan", "internet"]

#: Code → (Japanese, English): the three networks of the 総務省 guideline.
ZONE_NAMES: dict[str, tuple[str, str]] = {
    "mynumber": ("マイナンバー利用事務系", "My Number network"),
    "lgwan": ("LGWAN接続系", "LGWAN network"),
    "internet": ("インターネット接続系", "Internet network"),
}

#: Declared data classes (what an auditor and the 管理台帳 list): Japanese name → English.
DATA_CLASSES: dict[str, str] = {
    "個人番号": "My Number",
    "住民記録": "resident records",
    "税": "tax",
    "国保": "national health insurance",
    "年金": "pension",
    "福祉": "welfare",
    "介護": "long-term care",
    "子育て": "child care",
    "健康": "health",
    "教育": "education",
    "財務": "finance",
    "人事": "personnel",
    "その他の個人情報": "other personal data",
    "個人情報なし": "no personal data",
}

DataClassName = Literal[
    "個人番号", "住民記録", "税", "国保", "年金", "福祉", "介護", "子育て", "健康", "教育", "財務", "人事",
    "その他の個人情報", "個人情報なし",
]


def _zone_code(value: Any) -> Any:
    """``LGWAN接続系`` → ``lgwan``; codes pass unchanged (pydantic then checks the Literal)."""
    if isinstance(value, str):
        for code, (ja, en) in ZONE_NAMES.items():
            if value.strip() in (ja, en, code):
                return code
    return value


#: A network zone, written as code or Japanese name.
Zone = Annotated[ZoneCode, BeforeValidator(_zone_code)]


def zone_label(code: str | None) -> str:
    """The zone as people read it (Japanese first), or 未設定 when none is declared."""
    if code is None or code not in ZONE_NAMES:
        return tr("未設定", "not declared")
    ja, en = ZONE_NAMES[code]
    return tr(ja, en)


def data_class_label(name: str) -> str:
    """A data class in the reader's language."""
    return tr(name, DATA_CLASSES.get(name, name))
