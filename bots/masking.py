"""Masking of マイナンバー, sensitive fields and secrets before anything is shown or stored.

Logs, the audit ledger, the run store, reports and the console pass their text and records
through a :class:`Masker`; nothing downstream has to know what is personal.

マイナンバー are recognised by shape *and* check digit, so most other 12-digit numbers (phone,
account, receipt numbers) stay readable. The trade-off is deliberate: one arbitrary 12-digit
number in ten has a valid check digit and is masked too. We prefer over-masking to a leak.
Text must be masked before it is JSON-encoded with ``ensure_ascii=True``: ``\\uff11`` escapes
of full-width digits are not recognised.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any, Final, NamedTuple
from urllib.parse import quote, quote_plus

MASK: Final = "********"
SHORT_MASK: Final = "****"
SECRET_MARK: Final = "［秘匿］"
MIN_SECRET_LENGTH: Final = 4

_D = "0-9０-９"
_HYPHENS = "\\-−‐‑–—ーｰ－"
_SPACES = " \u3000\u00a0"
_SEP = f"(?:[{_SPACES}]?[{_HYPHENS}][{_SPACES}]?|[{_SPACES}])"
# One pass over the text. The look-behind sits after the first digit (not before it) so the
# pattern still starts with a character set, which lets ``re`` skip non-digits quickly.
_CANDIDATE: Final = re.compile(
    f"([{_D}](?<![{_D}][{_D}])[{_D}]{{3}})({_SEP}?)([{_D}]{{4}})({_SEP}?)([{_D}]{{4}})(?![{_D}])"
)
_HYPHEN_SET: Final = frozenset(_HYPHENS.replace("\\", ""))
_TO_ASCII: Final = str.maketrans("０１２３４５６７８９", "0123456789")
# Weights of the first 11 digits, left to right (Qn of the official formula, n counted from the right).
_WEIGHTS: Final = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


class Span(NamedTuple):
    """Where a マイナンバー sits in a text: ``text[start:end]``, separators included."""

    start: int
    end: int


def mynumber_check_digit(first11: str) -> int:
    """The check digit of 11 ASCII digits: 11 − (Σ Pn×Qn mod 11), or 0 when the remainder is ≤ 1."""
    remainder = sum(int(c) * w for c, w in zip(first11, _WEIGHTS, strict=True)) % 11
    return 0 if remainder <= 1 else 11 - remainder


def is_valid_mynumber(digits: str) -> bool:
    """True for 12 digits (half- or full-width, no separators) whose check digit is right."""
    digits = digits.translate(_TO_ASCII)
    if len(digits) != 12 or not digits.isascii() or not digits.isdigit():
        return False
    return mynumber_check_digit(digits[:11]) == int(digits[11])


def _is_digit(text: str, i: int) -> bool:
    return 0 <= i < len(text) and ("0" <= text[i] <= "9" or "０" <= text[i] <= "９")


def _continues(text: str, m: re.Match[str]) -> bool:
    """A hyphen-grouped candidate that goes on with the same hyphen is one longer number (a card)."""
    sep = m[2]
    if not sep or sep != m[4] or not _HYPHEN_SET.intersection(sep):
        return False
    start, end = m.start(), m.end()
    after = text.startswith(sep, end) and _is_digit(text, end + len(sep))
    before = (
        start > len(sep) and text[start - len(sep) : start] == sep and _is_digit(text, start - len(sep) - 1)
    )
    return after or before


def _iter_mynumbers(text: str) -> Iterator[tuple[int, int, str]]:
    pos = 0
    while (m := _CANDIDATE.search(text, pos)) is not None:
        digits = (m[1] + m[3] + m[5]).translate(_TO_ASCII)
        if is_valid_mynumber(digits) and not _continues(text, m):
            yield m.start(), m.end(), digits
            pos = m.end()
        else:
            # Not a match here, but a later group may start one: "1234 5678 9012 3456".
            pos = m.start() + 1


def find_mynumbers(text: str) -> list[Span]:
    """Every マイナンバー in ``text``: 12 digits, contiguous or 4-4-4, with a valid check digit."""
    return [Span(start, end) for start, end, _ in _iter_mynumbers(text)]


def mask_text(text: str) -> str:
    """``text`` with each マイナンバー replaced by ``********`` and its last 4 digits (half-width).

    Staff can still tell records apart by the last 4; the original separators are dropped.
    """
    if _CANDIDATE.search(text) is None:  # the common case: one scan, no allocation
        return text
    parts: list[str] = []
    last = 0
    for start, end, digits in _iter_mynumbers(text):
        parts += (text[last:start], MASK, digits[-4:])
        last = end
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


@lru_cache(maxsize=4096)
def _field_key(name: str) -> str:
    # Headers come from Excel: full-width letters and stray spaces must not defeat the match.
    return unicodedata.normalize("NFKC", name).strip()


def _secret_forms(secret: str) -> set[str]:
    """The secret as written, URL-encoded, JSON-escaped and HTML-escaped: how it reaches a log."""
    forms = {
        secret,
        quote(secret),
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        html.escape(secret),
    }
    return {f for f in forms if len(f) >= MIN_SECRET_LENGTH}


def _mask_whole(v: Any) -> Any:
    """A sensitive field's value: only its last 4 characters survive, never a date's."""
    if isinstance(v, (dt.date, dt.time, bool)):  # the tail of a birth date is the birthday
        return SHORT_MASK
    s = str(v).strip()
    if not s:
        return s
    return MASK + s[-4:].translate(_TO_ASCII) if len(s) > 4 else SHORT_MASK


class Masker:
    """Masks secrets, マイナンバー and the values of sensitive fields for one flow or run.

    Safe to use from several threads: :meth:`add_secret` swaps in a new compiled pattern
    under a lock; readers only ever read that one attribute. With no secrets, masking costs
    one regex scan per string.
    """

    def __init__(self, sensitive_fields: Iterable[str] = (), secrets: Iterable[str] = ()) -> None:
        self._fields = frozenset(_field_key(f) for f in sensitive_fields)
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()
        self._secret_re: re.Pattern[str] | None = None
        for secret in secrets:
            self.add_secret(secret)

    @property
    def sensitive_fields(self) -> frozenset[str]:
        """The names whose values are masked wholly, NFKC-normalised."""
        return self._fields

    def add_secret(self, value: str) -> bool:
        """Hide ``value`` from now on. Returns False (and hides nothing) when it is under 4 chars.

        A shorter value would blank out ordinary words in every line, so it is refused rather
        than masked; the caller decides whether that is an error.
        """
        if len(value) < MIN_SECRET_LENGTH:
            return False
        with self._lock:
            secrets = self._secrets | _secret_forms(value)
            if secrets != self._secrets:
                # Longest first, so a secret that contains another is hidden whole.
                alternatives = sorted(secrets, key=len, reverse=True)
                self._secret_re = re.compile("|".join(map(re.escape, alternatives)))
                self._secrets = secrets
        return True

    def is_sensitive(self, field: object) -> bool:
        """Whether values under ``field`` are masked wholly; names match after NFKC (Excel headers)."""
        return isinstance(field, str) and _field_key(field) in self._fields

    def text(self, s: str) -> str:
        """``s`` with secrets replaced by ``［秘匿］``, then マイナンバー masked."""
        pattern = self._secret_re
        if pattern is not None:
            s = pattern.sub(SECRET_MARK, s)
        return mask_text(s)

    def value(self, field: str | None, v: Any) -> Any:
        """``v`` as it may be shown under ``field``: wholly masked when the field is sensitive."""
        return self._walk(v, self.is_sensitive(field))

    def mapping(self, d: Mapping[Any, Any]) -> dict[Any, Any]:
        """A masked copy of a record-like mapping; keys are field names, at every depth."""
        return self._map(d, False)

    def _map(self, d: Mapping[Any, Any], sensitive: bool) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key, v in d.items():
            shown = self.text(key) if isinstance(key, str) else key
            if shown != key:  # a key that held a マイナンバー: never let two masked keys collide
                base, n = shown, 2
                while shown in out or shown in d:
                    shown, n = f"{base}#{n}", n + 1
            out[shown] = self._walk(v, sensitive or self.is_sensitive(key))
        return out

    def _walk(self, v: Any, sensitive: bool) -> Any:
        if v is None:
            return v
        if isinstance(v, str) and not sensitive:
            return self.text(v)
        if isinstance(v, Mapping):
            return self._map(v, sensitive)
        if isinstance(v, list):
            return [self._walk(x, sensitive) for x in v]
        if isinstance(v, tuple):
            return tuple(self._walk(x, sensitive) for x in v)
        if isinstance(v, (set, frozenset)):
            return type(v)(self._walk(x, sensitive) for x in v)
        if sensitive:
            pattern = self._secret_re
            if pattern is not None and pattern.search(str(v)):  # "last 4" of a password is too much
                return SECRET_MARK
            return _mask_whole(v)
        if type(v) is int and 10**10 <= v < 10**12 and is_valid_mynumber(f"{v:012d}"):
            # An Excel cell read as a number (leading zero lost) in a column nobody marked sensitive.
            return MASK + f"{v:012d}"[-4:]
        return v


#: For code with no flow context (CLI errors, the console before a flow loads): マイナンバー only.
DEFAULT_MASKER: Final = Masker()
