"""Secrets for flows: ``{{ secrets.NAME }}`` reads the environment variable NAME.

Every secret read is registered with the run's masker first, so its value is replaced by
［秘匿］ in logs, the ledger, the run store, reports and the console. That works because a secret
is only ever used whole (``bots.flow.expr_rules``): no derived form exists for masking to miss.
A secret too short to mask (under 4 characters) is refused rather than typed unmasked. (A vault
or the OS keyring can stand behind the same mapping later.)

A secret that is not set is named, with how to set it (:class:`MissingSecret`), however it is
looked up — ``view["X"]``, ``view.X``, or an expression that reads ``secrets.X`` — never as
"'SecretsView object' has no attribute 'X'".
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

from bots.errors import InputRecordError, StepError
from bots.i18n import tr
from bots.masking import MIN_SECRET_LENGTH, Masker


def missing_secret_message(name: str) -> str:
    """What staff read when secret ``name`` is not set: its name and where to set it."""
    return tr("秘密情報 {n} がありません（環境変数 {n} を設定してください）",
              "secret {n} is not set (set the environment variable {n})", n=name)


class MissingSecret(InputRecordError, KeyError):
    """A secret that is not set. Still a ``KeyError``, so ``in`` and ``get`` work as on any mapping."""

    def __init__(self, name: str) -> None:
        super().__init__(missing_secret_message(name))
        self.name = name


class SecretsView(Mapping[str, str]):
    """Read-only, lazily resolved secrets; a missing one is an error naming it, never ""."""

    def __init__(self, masker: Masker, environ: Mapping[str, str] | None = None) -> None:
        self._masker = masker
        self._environ = environ if environ is not None else os.environ

    def __getitem__(self, name: str) -> str:
        try:
            value = self._environ[name]
        except KeyError:
            raise MissingSecret(name) from None
        if not self._masker.add_secret(value):
            raise StepError(tr("秘密情報 {n} が短すぎて伏せ字にできないため使いません（{m}文字以上にしてください）",
                               "secret {n} is too short to be masked, so it is not used (use {m} characters or more)",
                               n=name, m=MIN_SECRET_LENGTH))
        return value

    def __getattr__(self, name: str) -> str:
        """``secrets.X`` read as an attribute (an expression): the secret, or :class:`MissingSecret`."""
        if name.startswith("_"):  # Python's own protocol look-ups (copy, pickle) are not secrets
            raise AttributeError(name)
        return self[name]

    def __iter__(self) -> Iterator[str]:
        return iter(())  # secrets are looked up by name, never listed

    def __len__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "<secrets>"
