"""Secrets for flows: ``{{ secrets.NAME }}`` reads the environment variable NAME.

Every secret read is registered with the run's masker first, so its value is replaced by
［秘匿］ in logs, the ledger, the run store, reports and the console. That works because a secret
is only ever used whole (``bots.flow.expr_rules``): no derived form exists for masking to miss.
A secret too short to mask (under 4 characters) is refused rather than typed unmasked. (A vault
or the OS keyring can stand behind the same mapping later.)
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

from bots.errors import StepError
from bots.i18n import tr
from bots.masking import MIN_SECRET_LENGTH, Masker


class SecretsView(Mapping[str, str]):
    """Read-only, lazily resolved secrets; a missing one is undefined (an error, never "")."""

    def __init__(self, masker: Masker, environ: Mapping[str, str] | None = None) -> None:
        self._masker = masker
        self._environ = environ if environ is not None else os.environ

    def __getitem__(self, name: str) -> str:
        value = self._environ[name]
        if not self._masker.add_secret(value):
            raise StepError(tr("秘密情報 {n} が短すぎて伏せ字にできないため使いません（{m}文字以上にしてください）",
                               "secret {n} is too short to be masked, so it is not used (use {m} characters or more)",
                               n=name, m=MIN_SECRET_LENGTH))
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(())  # secrets are looked up by name, never listed

    def __len__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "<secrets>"
