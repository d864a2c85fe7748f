"""Kazaguruma's one error tree, split by who must act.

::

    KazagurumaError                      exit 3 unless a subclass says otherwise
    ├── FlowError                        exit 2  fix the flow/selector/form/schedule file; never retried
    ├── InputFileError                   exit 2  the input file as a whole is refused before keying
    │   └── ResumeRefused                exit 2  the run would overlap an interrupted or running job
    ├── Refused                          exit 4  governance refuses the run (nothing was keyed)
    │   ├── NotApproved                  exit 4  production mode: what would run is not what was approved
    │   └── NotPermitted                 exit 4  the user has no role for this bot (config/roles.yaml)
    ├── ApprovalRefused                  exit 2  an approval that may not be given (the author, not an approver)
    ├── FormFileError                    -       one scan cannot be read as a form (the others still are)
    │   └── NotAFormError                -       the page is not this form / cannot be registered
    ├── InputRecordError                 -       kind input_record: this record goes to 失敗/要確認
    ├── StepError                        -       a step failed; retried or fails the record by policy
    │   ├── ElementNotFound              kind element_not_found
    │   │   └── WindowNotFound           kind element_not_found (desktop: no window with that title)
    │   ├── StepTimeout                  kind timeout
    │   ├── TargetSystemError            kind target_system (HTTP 5xx, maintenance page, app not running)
    │   │   ├── SessionExpired           kind session_expired
    │   │   └── ApplicationStartError    kind target_system (desktop: the client did not start)
    │   ├── ExpectationFailed            kind expectation (expected text/value not shown)
    │   ├── FlowFailed                   kind fail (the flow's own ``control.fail`` step)
    │   ├── FocusLost                    kind focus_lost (desktop: another window has the keyboard)
    │   ├── DriftedCommit                kind selector_drift (a commit's element found only by a fallback)
    │   └── ScreenMismatch               kind screen_mismatch (desktop: not the recorded resolution)
    ├── PlatformError                    exit 3  the windowing system or clipboard tool refused (also an OSError)
    ├── OcrEngineError                   exit 3  tesseract missing or broken: an installation problem
    ├── JournalError                     exit 3  the per-record journal cannot be written: the run stops
    ├── StoreError                       exit 3  the run store cannot be opened, read or written
    │   └── StoreVersionError            exit 3  migrated by a newer Kazaguruma: refused, not guessed
    ├── LedgerError                      exit 3  the audit ledger cannot be opened, written or archived
    │   ├── LedgerLocked                 exit 3  another process owns the ledger folder
    │   └── LedgerCorrupt                exit 3  the ledger's tail is damaged; verify and resolve by hand
    ├── NotifyError                      -       a mail could not be sent (audited; the run is unaffected)
    ├── RunAborted                       exit 3  too many failures, or a stop that could not finish cleanly
    └── FrameworkError                   exit 3  our bug: please report it

    RunHalted (a BaseException, not an error)   the abort hotkey: the run stops before its next step

:class:`ErrorKind` is the one list of kinds: what ``retry: {on: […]}`` matches, what the journal and
the results record as a record's ``error_kind``. Third-party exceptions are translated at the
edge (``raise … from exc``), one module per library beside the layer that uses it
(``adapters/playwright_errors.py``, ``adapters/desktop_errors.py``, ``records/openpyxl_errors.py``,
``ocr/image_errors.py``, ``ocr/tesseract_errors.py``, ``store/sqlalchemy_errors.py``), each with a
test that its mapping is complete; nothing above the adapters sees a Playwright, openpyxl,
tesseract, pdfium or SQLAlchemy exception.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Process exit codes of ``runner.py run``; documented in the README."""

    OK = 0
    RECORDS_FAILED = 1
    INVALID = 2
    ABORTED = 3
    #: Refused by governance: production mode and the flow's content is not approved.
    REFUSED = 4


class ErrorKind(StrEnum):
    """Why a step or a record failed. A ``StrEnum``, so it is stored and compared as its text."""

    TIMEOUT = "timeout"
    ELEMENT_NOT_FOUND = "element_not_found"
    TARGET_SYSTEM = "target_system"
    SESSION_EXPIRED = "session_expired"
    EXPECTATION = "expectation"
    INPUT_RECORD = "input_record"
    FAIL = "fail"
    FOCUS_LOST = "focus_lost"
    SCREEN_MISMATCH = "screen_mismatch"
    SELECTOR_DRIFT = "selector_drift"
    STEP = "step"
    #: Record-level kinds the engine sets (never raised by a step, so not in ``retry: on``).
    NEEDS_REVIEW = "needs_review"
    UNVERIFIED = "unverified"
    INTERRUPTED = "interrupted"
    FRAMEWORK = "framework"

    @classmethod
    def retryable(cls) -> tuple[ErrorKind, ...]:
        """The kinds a step can raise: what ``retry: {on: […]}`` may name (besides ``any``)."""
        return tuple(k for k in cls if k not in _RECORD_LEVEL)


_RECORD_LEVEL = frozenset({ErrorKind.NEEDS_REVIEW, ErrorKind.UNVERIFIED, ErrorKind.INTERRUPTED,
                           ErrorKind.FRAMEWORK})


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


class Refused(KazagurumaError):
    """Governance refuses the run before anything starts; audited as ``run_refused``."""

    exit_code = ExitCode.REFUSED


class NotApproved(Refused):
    """Production mode refuses a flow whose files differ from every approved version; the
    message names what changed and who may approve it (``runner.py flows approve``)."""


class NotPermitted(Refused):
    """The user may not run this bot (``config/roles.yaml``): not their 所管課's, not granted."""


class ApprovalRefused(KazagurumaError):
    """An approval that may not be given: by the change's author, by someone who is not an
    approver in the staff directory, twice by the same person. Audited, nothing recorded."""

    exit_code = ExitCode.INVALID


class InputRecordError(KazagurumaError):
    """One record's data is unusable (schema, or a validation message shown by the target system)."""

    kind: ErrorKind = ErrorKind.INPUT_RECORD
    #: The target system refused the record before storing anything (see StepError).
    nothing_saved: bool = False


class StepError(KazagurumaError):
    """A step could not do its work. ``kind`` is what ``retry.on`` matches.

    ``nothing_saved`` is set when the target system guarantees it stored nothing (e.g. a
    documented "busy" page answered before processing): only then may a record be retried
    after its commit step ran.
    """

    kind: ErrorKind = ErrorKind.STEP

    def __init__(self, message: str, *, nothing_saved: bool = False) -> None:
        super().__init__(message)
        self.nothing_saved = nothing_saved


class ElementNotFound(StepError):
    """No candidate of a selector found the element in time (the screen changed or never came)."""

    kind = ErrorKind.ELEMENT_NOT_FOUND


class StepTimeout(StepError):
    """A step ran out of time waiting for the target system."""

    kind = ErrorKind.TIMEOUT


class TargetSystemError(StepError):
    """The target system failed or refused (error page, maintenance, the application not running)."""

    kind = ErrorKind.TARGET_SYSTEM


class SessionExpired(TargetSystemError):
    """The target system logged us out; ``on_session_expired`` may log in again and retry the record."""

    kind = ErrorKind.SESSION_EXPIRED


class WindowNotFound(ElementNotFound):
    """No window with the expected title appeared in time."""


class ApplicationStartError(TargetSystemError):
    """A desktop application could not be started, or exited before showing its window."""


class FocusLost(StepError):
    """The expected window does not have the keyboard focus: nothing was typed."""

    kind = ErrorKind.FOCUS_LOST
    action_taken = False


class DriftedCommit(StepError):
    """A commit step's element was found only by a fallback candidate: the step refused to act
    (nothing submitted) rather than submit on a guess, unless the selector map allows it."""

    kind = ErrorKind.SELECTOR_DRIFT
    action_taken = False


class ScreenMismatch(StepError):
    """The screen's resolution or scale differs from the one a desktop selector map was recorded on."""

    kind = ErrorKind.SCREEN_MISMATCH


class ExpectationFailed(StepError):
    """An expected text or value was not shown: the screen is not in the state the flow assumes."""

    kind = ErrorKind.EXPECTATION


class FlowFailed(StepError):
    """The flow's own ``control.fail`` step failed the record on purpose."""

    kind = ErrorKind.FAIL


class RunHalted(BaseException):  # noqa: N818 - a control signal like KeyboardInterrupt, not an error
    """Staff pressed the abort hotkey: the engine stops before the next step; the record in
    hand stays as the journal has it (resumable). A BaseException so no step handler eats it."""

    #: Set by the engine: the record's commit step had started (it may have been keyed).
    after_commit: bool = False


class RunAborted(KazagurumaError):
    """The run stopped as a whole: too many failures, or a stop that could not finish cleanly."""

    exit_code = ExitCode.ABORTED


class FrameworkError(KazagurumaError):
    """Kazaguruma's own bug or broken invariant, never the user's input: please report it."""

    exit_code = ExitCode.ABORTED


class ResumeRefused(InputFileError):
    """The run would overlap an interrupted or running job of the same input."""


class FormFileError(KazagurumaError):
    """This file cannot be read as a form (missing, empty, corrupt, unsupported, not the form).

    Per file: the file is reported with this message and the other files are still read."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


class NotAFormError(FormFileError):
    """The page is not this form, or is scanned so that it cannot be registered."""


class PlatformError(KazagurumaError, OSError):
    """The windowing system or the clipboard tool refused or is missing (an ``OSError`` too, as
    the operating system is what failed)."""


class OcrEngineError(KazagurumaError):
    """tesseract is missing, lacks a language, or failed: an installation problem, not the form's."""


class JournalError(KazagurumaError):
    """The journal could not be written: keying on would leave no trace to resume from."""


class StoreError(KazagurumaError):
    """The run store could not be opened, read or written (exit 3): a run that cannot be recorded
    must not pass silently."""


class StoreVersionError(StoreError):
    """The database was migrated by a newer Kazaguruma than this one; refuse rather than guess."""


class LedgerError(KazagurumaError):
    """The audit ledger cannot be opened, written or archived: a run that cannot be audited stops."""


class LedgerLocked(LedgerError):
    """Another writer (process) holds the ledger folder's lock."""


class LedgerCorrupt(LedgerError):
    """The last complete entry does not verify; appending would hide the damage."""


class NotifyError(KazagurumaError):
    """A mail could not be sent (the run itself is unaffected; the failure is audited)."""


def error_kind(exc: BaseException) -> ErrorKind:
    """The ``retry.on`` kind of an exception; unknown exceptions are framework bugs."""
    if isinstance(exc, (StepError, InputRecordError)):
        return exc.kind
    if isinstance(exc, (RunHalted, KeyboardInterrupt)):
        return ErrorKind.INTERRUPTED
    return ErrorKind.FRAMEWORK
