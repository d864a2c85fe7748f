"""Diagnostics that point at the user's file: ``flows/x.yaml:7:5: message``.

Every loader collects all problems of a file into a :class:`Diagnostics` list rather than
stopping at the first one, so a flow author fixes a file in one pass.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from bots.i18n import tr


class Severity(StrEnum):
    """An error stops the file from loading; a warning is shown and the file still loads."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Pos:
    """A 1-based line and column in a source file."""

    line: int
    col: int


@dataclass(frozen=True)
class Diagnostic:
    """One problem in a user's file, at a position when known."""

    path: Path
    pos: Pos | None
    message: str
    severity: Severity = Severity.ERROR

    def render(self) -> str:
        """Editor-clickable form: ``path:line:col: severity: message``."""
        where = f"{self.path}:{self.pos.line}:{self.pos.col}" if self.pos else f"{self.path}"
        label = tr("エラー", "error") if self.severity is Severity.ERROR else tr("警告", "warning")
        return f"{where}: {label}: {self.message}"

    def excerpt(self, source: str | None) -> str:
        """The offending line with a caret under the column (Ansible-style), or ''."""
        if not source or not self.pos:
            return ""
        lines = source.splitlines()
        if not 1 <= self.pos.line <= len(lines):
            return ""
        text, col = _window(lines[self.pos.line - 1], self.pos.col)
        text = text.translate(_CONTROL_PICTURES)  # a NUL or ESC must not reach the terminal as is
        return f"    {text}\n    {' ' * _display_width(text[: col - 1])}^"


#: C0 controls and DEL shown as their Unicode pictures (␀, ␛, …); a tab stays a tab.
_CONTROL_PICTURES = {code: 0x2400 + code for code in range(32) if code != 9} | {127: 0x2421}
_WINDOW = 80


def _window(text: str, col: int) -> tuple[str, int]:
    """At most ~160 characters around ``col`` of a long line (a 1 MB one-line file is not echoed)."""
    if len(text) <= 2 * _WINDOW:
        return text, col
    start = max(0, col - 1 - _WINDOW)
    end = min(len(text), col - 1 + _WINDOW)
    head, tail = ("…" if start else ""), ("…" if end < len(text) else "")
    return head + text[start:end] + tail, col - start + len(head)


#: How much of a file an excerpt may read: past the largest loadable file (1 MB), never a whole 5 GB file.
EXCERPT_READ_LIMIT = 2 * 1024 * 1024


def read_source(path: Path) -> str | None:
    """The start of ``path`` as text for :meth:`Diagnostic.excerpt`, at most EXCERPT_READ_LIMIT bytes
    (``validate /dev/zero`` must not read forever); None when unreadable."""
    try:
        with path.open("rb") as stream:
            raw = stream.read(EXCERPT_READ_LIMIT)
    except OSError:
        return None
    return raw.decode("utf-8-sig", errors="replace")


def _display_width(text: str) -> int:
    """Terminal columns: East Asian wide characters take two."""

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class Diagnostics(list[Diagnostic]):
    """The diagnostics of one or more files, errors and warnings mixed."""

    @property
    def errors(self) -> list[Diagnostic]:
        """The errors: any of them means the file is not loaded."""
        return [d for d in self if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        """The warnings: shown, but the file still loads."""
        return [d for d in self if d.severity is Severity.WARNING]

    def sorted(self) -> list[Diagnostic]:
        """In file and position order, so the output reads top to bottom."""
        return sorted(self, key=lambda d: (str(d.path), d.pos.line if d.pos else 0, d.pos.col if d.pos else 0))
