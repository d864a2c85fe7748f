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
        text = lines[self.pos.line - 1]
        return f"    {text}\n    {' ' * _display_width(text[: self.pos.col - 1])}^"


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
