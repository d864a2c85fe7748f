"""Kazaguruma's one error tree, split by who must act.

::

    KazagurumaError                      exit 3 unless a subclass says otherwise
    ├── FlowError                        exit 2  fix the flow/selector file; never retried
    ├── InputFileError                   exit 2  the input file as a whole is refused before keying
    ├── InputRecordError                 -       this record goes to 失敗/要確認; the loop goes on
    ├── StepError                        -       a step failed; retried or fails the record by policy
    │   ├── ElementNotFound              kind "element_not_found"
    │   │   └── WindowNotFound           kind "element_not_found"  (desktop: no window with that title)
    │   ├── StepTimeout                  kind "timeout"
    │   ├── TargetSystemError            kind "target_system"  (HTTP 5xx, maintenance page, app not running)
    │   │   ├── SessionExpired           kind "session_expired"
    │   │   └── ApplicationStartError    kind "target_system"  (desktop: the client did not start)
    │   ├── ExpectationFailed            kind "expectation"  (expected text/value not shown)
    │   ├── FlowFailed                   kind "fail"  (the flow's own ``control.fail`` step)
    │   ├── FocusLost                    kind "focus_lost"  (desktop: another window has the keyboard)
    │   └── ScreenMismatch               kind "screen_mismatch"  (desktop: not the recorded resolution)
    ├── RunAborted                       exit 3  too many failures, or a stop that could not finish cleanly
    └── FrameworkError                   exit 3  our bug: please report it

    RunHalted (a BaseException, not an error)   the abort hotkey: the run stops before its next step

Third-party exceptions are translated at the adapter edge (``raise … from exc``); nothing
above the adapters sees a Playwright or openpyxl exception.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of ``runner.py run``; documented in the README."""

    OK = 0
    RECORDS_FAILED = 1
    INVALID = 2
    ABORTED = 3


class KazagurumaError(Exception):
    """Base of every error Kazaguruma raises on purpose."""

    exit_code: ExitCode = ExitCode.ABORTED
    #: False when the adapter knows the step's input (click, key press) was never dispatched,
    #: e.g. the element never appeared; None when unknown. A commit step that failed with
    #: ``action_taken is False`` did not submit anything.
    action_taken: bool | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class FlowError(KazagurumaError):
    """A flow, selector map or expression is invalid. Carries every diagnostic of the file."""

    exit_code = ExitCode.INVALID

    def __init__(self, message: str, diagnostics: list[object] | None = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics or []


class InputFileError(KazagurumaError):
    """The run's input (Excel file, folder of scans) is refused before anything is keyed."""

    exit_code = ExitCode.INVALID


class InputRecordError(KazagurumaError):
    """One record's data is unusable (schema, or a validation message shown by the target system)."""

    kind = "input_record"
    #: The target system refused the record before storing anything (see StepError).
    nothing_saved: bool = False


class StepError(KazagurumaError):
    """A step could not do its work. ``kind`` is what ``retry.on`` matches.

    ``nothing_saved`` is set when the target system guarantees it stored nothing (e.g. a
    documented "busy" page answered before processing): only then may a record be retried
    after its commit step ran.
    """

    kind = "step"

    def __init__(self, message: str, *, nothing_saved: bool = False) -> None:
        super().__init__(message)
        self.nothing_saved = nothing_saved


class ElementNotFound(StepError):
    kind = "element_not_found"


class StepTimeout(StepError):
    kind = "timeout"


class TargetSystemError(StepError):
    kind = "target_system"


class SessionExpired(TargetSystemError):
    kind = "session_expired"


class WindowNotFound(ElementNotFound):
    """No window with the expected title appeared in time."""


class ApplicationStartError(TargetSystemError):
    """A desktop application could not be started, or exited before showing its window."""


class FocusLost(StepError):
    """The expected window does not have the keyboard focus: nothing was typed."""

    kind = "focus_lost"
    action_taken = False


class ScreenMismatch(StepError):
    """The screen's resolution or scale differs from the one a desktop selector map was recorded on."""

    kind = "screen_mismatch"


class ExpectationFailed(StepError):
    kind = "expectation"


class FlowFailed(StepError):
    kind = "fail"


class RunHalted(BaseException):  # noqa: N818 - a control signal like KeyboardInterrupt, not an error
    """Staff pressed the abort hotkey: the engine stops before the next step; the record in
    hand stays as the journal has it (resumable). A BaseException so no step handler eats it."""

    #: Set by the engine: the record's commit step had started (it may have been keyed).
    after_commit: bool = False


class RunAborted(KazagurumaError):
    exit_code = ExitCode.ABORTED


class FrameworkError(KazagurumaError):
    exit_code = ExitCode.ABORTED


RETRYABLE_KINDS: frozenset[str] = frozenset(
    {"element_not_found", "timeout", "target_system", "session_expired", "expectation", "step", "fail",
     "input_record"}
)


def error_kind(exc: BaseException) -> str:
    """The ``retry.on`` kind of an exception; unknown exceptions are framework bugs."""
    if isinstance(exc, (StepError, InputRecordError)):
        return exc.kind
    return "framework"
