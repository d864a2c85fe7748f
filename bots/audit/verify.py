"""Proving the ledger was not altered: walk every daily file in order and report the first flaw.

Per line, in this order: complete line (ends with a newline), JSON object, fields, ``hash``,
``mac`` (when a key is given), link to the previous entry (``prev``), ``seq`` continuity, and
finally the run store's recorded head. The order decides which reason an alteration gets: a
deleted, inserted or swapped line is reported as a broken link where it breaks the chain,
a forged line with a recomputed hash is caught by its MAC when a key is given, and without a
key at the first genuine entry after it. Without a key, a whole chain rewritten with
recomputed hashes cannot be told from the original (only ``expected_head`` can); that is what
the key is for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from orjson import JSONDecodeError, loads

from bots.audit.entry import GENESIS_HEAD, EventType, Flaw, Head, Sealer
from bots.audit.files import READ_ERRORS, day_files, open_lines, safe_digest
from bots.i18n import tr


@dataclass(frozen=True, slots=True)
class Problem:
    """The first bad entry: where it is and what is wrong, in an editor-clickable form."""

    flaw: Flaw
    file: Path
    line: int
    seq: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " + (f"seq {self.seq}: " if self.seq is not None else "")
        return where + self.message


@dataclass(frozen=True)
class VerifyReport:
    """What :func:`verify` found. ``macs_unchecked``: entries carry MACs but no key was given,
    so only the hashes vouch for them; the message says so."""

    problem: Problem | None
    entries: int
    files: tuple[Path, ...]
    head: Head | None
    macs_checked: bool
    macs_unchecked: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Whether no flaw was found."""
        return self.problem is None

    @property
    def message(self) -> str:
        """The problem where it is, or the all-clear (noting MACs left unchecked)."""
        if self.problem is not None:
            return str(self.problem)
        text = tr("改ざんは検出されませんでした", "no tampering detected")
        if self.macs_unchecked:
            text += tr("（署名は鍵が指定されていないため検査していません）", " (MACs not checked: no key given)")
        return text


class _Walk:
    """The state carried from one file to the next: the chain runs on across days."""

    def __init__(self, sealer: Sealer, expected: Head | None, anchored: bool) -> None:
        self.sealer = sealer
        self.expected = expected
        self.head = GENESIS_HEAD if anchored else None
        self.entries = 0
        self.last_line = (Path(), 0)
        self.macs_unchecked = False
        self.notes: list[str] = []

    def file(self, path: Path) -> Problem | None:
        problem, lineno = self._lines(path)
        self.entries += lineno - (problem is not None)
        self.last_line = (path, lineno)
        return problem

    def _lines(self, path: Path) -> tuple[Problem | None, int]:
        """The file's first problem and the number of the last line read."""
        expected = self.expected
        seq, digest = (self.head.seq, self.head.hash) if self.head else (None, None)
        check, signed = self.sealer.check, self.sealer.signed
        lineno = 0
        try:
            with open_lines(path) as stream:
                for lineno, raw in enumerate(stream, 1):  # noqa: B007 - lineno is used after the loop
                    if raw[-1:] != b"\n":
                        return Problem(Flaw.TORN, path, lineno, None, Flaw.TORN.message()), lineno
                    try:  # parse_line, inlined: this loop runs a million times
                        obj = loads(raw)
                    except JSONDecodeError:
                        obj = None
                    if type(obj) is not dict:
                        return Problem(Flaw.INVALID_JSON, path, lineno, None, Flaw.INVALID_JSON.message()), lineno
                    bad = check(obj)
                    if bad is not None:
                        found = obj.get("seq") if type(obj.get("seq")) is int else None
                        return Problem(bad[0], path, lineno, found, bad[0].message(detail=bad[1])), lineno
                    this = obj["seq"]
                    if seq is None:  # a single file: its first entry is taken as the anchor
                        seq, digest = this - 1, obj["prev"]
                    if obj["prev"] != digest:
                        return Problem(Flaw.LINK, path, lineno, this, Flaw.LINK.message()), lineno
                    if this != seq + 1:
                        flaw = Flaw.SEQ_GAP if this > seq + 1 else Flaw.SEQ_REPEAT
                        return Problem(flaw, path, lineno, this, flaw.message(expected=seq + 1, found=this)), lineno
                    seq, digest = this, obj["hash"]
                    if not signed and "mac" in obj:
                        self.macs_unchecked = True
                    if obj["type"] == EventType.LEDGER_RECOVERED:
                        self.notes.append(tr("{file}:{line}: 破損した末尾行を退避して再開しています（{data}）",
                                             "{file}:{line}: resumed after quarantining a torn line ({data})",
                                             file=path, line=lineno, data=obj["data"]))
                    if expected is not None and this == expected.seq and digest != expected.hash:
                        return Problem(Flaw.HEAD_MISMATCH, path, lineno, this,
                                       Flaw.HEAD_MISMATCH.message(expected=expected.seq)), lineno
        except READ_ERRORS as exc:
            return Problem(Flaw.UNREADABLE, path, lineno + 1, None, Flaw.UNREADABLE.message(detail=exc)), lineno + 1
        finally:
            if seq is not None and digest is not None:
                self.head = Head(seq, digest)
        return None, lineno


def verify(target: Path, *, key: bytes | None = None, expected_head: Head | None = None) -> VerifyReport:
    """Verify a ledger folder (every day, archived or not, as one chain) or a single daily file.

    ``expected_head`` is the run store's copy of the last entry: a ledger that ends before it
    is truncated, and one with another hash at that ``seq`` was replaced. A single file is
    checked on its own, anchored on its first entry.
    """
    target = Path(target)
    anchored = target.is_dir()
    walk = _Walk(Sealer(key), expected_head, anchored)
    files = _chain(target) if anchored else [(target, None)]
    problem = None
    if not anchored:
        walk.notes.append(tr("このファイルだけを検査しました（前のファイルとのつながりは検査していません）",
                             "checked this file only (its link to the previous file was not checked)"))
    walked: list[Path] = []
    for path, found in files:
        problem = found if found is not None else walk.file(path)
        walked.append(path)
        if problem is not None:
            break
    if problem is None and expected_head is not None and (walk.head or GENESIS_HEAD).seq < expected_head.seq:
        path, lineno = walk.last_line if walked else (target, 0)
        problem = Problem(Flaw.TRUNCATED, path, lineno + 1, (walk.head or GENESIS_HEAD).seq + 1,
                          Flaw.TRUNCATED.message(expected=expected_head.seq))
    return VerifyReport(problem, walk.entries, tuple(walked), walk.head, key is not None,
                        walk.macs_unchecked, tuple(walk.notes))


def _chain(folder: Path) -> list[tuple[Path, Problem | None]]:
    """The files in chain order. A day left both plain and archived (an archive run that
    stopped half-way) is read once if both hold the same bytes, and is a problem otherwise."""
    by_day: dict[date, list[Path]] = {}
    for day_file in day_files(folder):
        by_day.setdefault(day_file.day, []).append(day_file.path)
    chain: list[tuple[Path, Problem | None]] = []
    for paths in by_day.values():
        differ = len(paths) > 1 and (None in (digests := {safe_digest(p) for p in paths}) or len(digests) > 1)
        problem = Problem(Flaw.DUPLICATE_DAY, paths[-1], 0, None, Flaw.DUPLICATE_DAY.message()) if differ else None
        chain.append((paths[0], problem))
    return chain
