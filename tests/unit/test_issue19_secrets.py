"""Issue 19: a secret that is not set is named, with how to set it, however it is looked up.

The issue saw ``'bots.secrets.SecretsView object' has no attribute 'X'``: jinja's message when
an expression reads ``secrets.X`` from the view and the look-up fails. The view now raises
:class:`~bots.secrets.MissingSecret` itself (the run-time path through a secret parameter is
covered end to end in ``tests/adapter/test_issue19_console.py``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest

from bots.errors import InputRecordError
from bots.flow import expressions
from bots.i18n import set_language
from bots.masking import Masker
from bots.secrets import MissingSecret, SecretsView

JA = "秘密情報 KZ_NOPE がありません（環境変数 KZ_NOPE を設定してください）"
EN = "secret KZ_NOPE is not set (set the environment variable KZ_NOPE)"


@pytest.fixture(params=["ja", "en"])
def message(request: pytest.FixtureRequest) -> Iterator[str]:
    set_language(request.param)
    yield JA if request.param == "ja" else EN
    set_language("ja")


def test_a_missing_secret_is_named_by_the_view(message: str) -> None:
    view = SecretsView(Masker(), {"KZ_PASSWORD": "long-enough-secret"})
    with pytest.raises(MissingSecret) as caught:
        view["KZ_NOPE"]
    assert str(caught.value) == message and caught.value.name == "KZ_NOPE"
    assert isinstance(caught.value, InputRecordError)  # a record-level failure, like any bad input
    with pytest.raises(MissingSecret, match="KZ_NOPE"):
        view.KZ_NOPE  # noqa: B018 - the attribute read is the test
    # Still a mapping: membership and get do not raise, a present secret is read (and masked).
    assert "KZ_NOPE" not in view and view.get("KZ_NOPE") is None
    assert view["KZ_PASSWORD"] == "long-enough-secret" and view.KZ_PASSWORD == "long-enough-secret"
    assert copy.copy(view) is not None  # Python's protocol look-ups are not taken for secrets


@pytest.mark.parametrize("text", ["{{ secrets.KZ_NOPE }}", "{{ secrets['KZ_NOPE'] }}", "ID: {{ secrets.KZ_NOPE }}"])
def test_an_expression_reading_the_view_names_the_secret(message: str, text: str) -> None:
    view = SecretsView(Masker(), {})
    with pytest.raises(expressions.ExpressionError) as caught:
        expressions.render(text, {"secrets": view})
    assert str(caught.value) == message
    assert "SecretsView" not in str(caught.value) and "has no attribute" not in str(caught.value)
