"""Configuration of the demo web core system.

One frozen object decides everything a test may want to vary: where records land, who may log in,
how long a session may idle, and how unreliable or slow the system pretends to be. The clock is
injected so idle expiry can be tested by advancing time instead of waiting for it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

FaultMode = Literal["before", "after_commit"]

DEFAULT_USERS: Mapping[str, str] = {"kazaguruma": "demo-pass-2026"}

# The entry flow's screens and POST endpoints: what a flaky core system fails on in practice.
DEFAULT_FAULT_PATHS: tuple[str, ...] = ("/entry", "/confirm")


@dataclass(frozen=True)
class DemoWebConfig:
    """Everything the demo system can be told.

    ``fault_mode``: ``"before"`` answers 500 before any state changes, so a retry is always safe.
    ``"after_commit"`` faults only the final submit (POST /confirm), and only after the record has
    been stored: the crash-after-commit case idempotent retries must survive.
    ``maintenance``: every screen answers 503 before anything is processed (``/healthz`` excepted),
    like a core system taken down for its nightly batch or an upgrade.
    ``relabel``: the screen changed its wording. Each label text of the input screens (申請入力,
    申請検索) found here is shown as its replacement (``{"氏名": "お名前"}``), while ids, names and
    layout stay: a label-based selector no longer matches, a css one still does (selector drift).
    ``clock`` is a monotonic seconds source used only for session idle expiry.
    ``spa_error_rate``: probability that a submit of the single-page order app (``/spa/``) fails with
    HTTP 500 before anything is stored (seeded by ``seed``): the error alert a flow must retry.
    ``spa_notice_every``: the order app's notice modal shows on load 1, 1 + n, 1 + 2n, … of its order
    screen (0: never), so a flow meets it on some records only, deterministically.
    """

    db_path: Path
    users: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_USERS))
    session_idle_seconds: float = 900.0
    fault_rate: float = 0.0
    fault_paths: tuple[str, ...] = DEFAULT_FAULT_PATHS
    fault_mode: FaultMode = "before"
    slow_ms: int = 0
    slow_paths: tuple[str, ...] = ()
    #: Probability that a request to a slow path is slow (1.0: always).
    slow_rate: float = 1.0
    seed: int | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_hex(16), repr=False)
    municipality: str = "○○市"
    maintenance: bool = False
    relabel: Mapping[str, str] = field(default_factory=dict)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)
    spa_error_rate: float = 0.0
    spa_notice_every: int = 3

    def __post_init__(self) -> None:
        if not (0.0 <= self.fault_rate <= 1.0 and 0.0 <= self.slow_rate <= 1.0):
            raise ValueError(f"fault_rate must be within 0..1, got {self.fault_rate}")
        if not 0.0 <= self.spa_error_rate <= 1.0:
            raise ValueError(f"spa_error_rate must be within 0..1, got {self.spa_error_rate}")
        if self.spa_notice_every < 0:
            raise ValueError(f"spa_notice_every must be >= 0, got {self.spa_notice_every}")
        if self.fault_mode not in ("before", "after_commit"):
            raise ValueError(f"fault_mode must be 'before' or 'after_commit', got {self.fault_mode!r}")
        if self.slow_ms < 0:
            raise ValueError(f"slow_ms must be >= 0, got {self.slow_ms}")
        if self.session_idle_seconds <= 0:
            raise ValueError(f"session_idle_seconds must be > 0, got {self.session_idle_seconds}")
        # A bare string would silently match every path starting with any of its characters.
        if isinstance(self.fault_paths, str) or isinstance(self.slow_paths, str):
            raise TypeError("fault_paths and slow_paths must be tuples of path prefixes, not a string")
        object.__setattr__(self, "db_path", Path(self.db_path))
        object.__setattr__(self, "users", dict(self.users))
        if isinstance(self.relabel, str):
            raise TypeError("relabel must be a mapping of label → new label; parse a string with parse_relabel")
        if any(not str(old).strip() or not str(new).strip() for old, new in self.relabel.items()):
            raise ValueError(f"relabel must not map to or from an empty label, got {dict(self.relabel)!r}")
        object.__setattr__(self, "relabel", dict(self.relabel))


def parse_relabel(spec: str) -> dict[str, str]:
    """``"氏名=お名前,フリガナ=ふりがな"`` (a command-line option or an environment variable) as a mapping."""
    pairs: dict[str, str] = {}
    for part in spec.replace("、", ",").split(","):
        if not part.strip():
            continue
        old, sep, new = part.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise ValueError(f"relabel wants LABEL=NEW_LABEL pairs separated by commas, got {part!r}")
        pairs[old.strip()] = new.strip()
    return pairs
