"""The flow model: what a ``flows/*.yaml`` file declares, as frozen, typed data."""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from bots.flow.steps import step_union
from bots.i18n import tr
from bots.records.model import ColumnSpec
from bots.spec.governance_types import DataClassName
from bots.spec.types import Duration, FrozenModel

if TYPE_CHECKING:
    from bots.flow.steps import AnyStep

_FLOW_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def env_names(value: tuple[str, ...]) -> tuple[str, ...]:
    """The ``env:`` declaration: environment variable names, each once."""
    for name in value:
        if not _ENV_NAME.match(name):
            raise ValueError(tr("環境変数名は英字・数字・_ で書いてください: {n!r}",
                                "write environment variable names with letters, digits and _: {n!r}", n=name))
    if len(set(value)) != len(value):
        raise ValueError(tr("env に同じ名前が二度あります", "a name is declared twice in env"))
    return value


class SystemSpec(FrozenModel):
    """A target system the flow touches."""

    kind: Literal["web", "desktop"] = "web"
    base_url: str | None = None
    #: Name of ``selectors/<name>.yaml``; defaults to the system's key.
    selectors: str | None = None
    title: str | None = None


class InputSpec(FrozenModel):
    """A typed parameter of the flow, given with ``--input`` or ``--set name=value``."""

    type: Literal["path", "str", "int", "date", "bool"] = "str"
    default: Any = None
    required: bool = False
    description: str | None = None


def column_shorthand(value: Any) -> Any:
    """``氏名: str`` is short for ``氏名: {type: str}``."""
    if isinstance(value, dict):
        return {k: ({"type": v} if isinstance(v, str) else v) for k, v in value.items()}
    return value


class _TypedRecords(FrozenModel):
    """What every record source declares: the record key and the typed columns the flow uses."""

    key: tuple[str, ...] = ()
    columns: dict[str, ColumnSpec]

    @field_validator("columns", mode="before")
    @classmethod
    def _shorthand_columns(cls, value: Any) -> Any:
        return column_shorthand(value)


class ExcelRecords(_TypedRecords):
    """Records are the rows of an Excel sheet under its header row."""

    source: Literal["excel"] = Field("excel", alias="from")
    file: str
    sheet: str | None = None
    header_row: int = Field(1, ge=1, le=1000)


class FormRecords(_TypedRecords):
    """Records are scanned application forms (images or PDFs), read by OCR against a form
    template (``selectors/forms/<form>.yaml``). A form with any doubtful field is not keyed:
    it goes to the review workbook (要確認). ``columns`` are the template's fields the flow uses,
    typed like Excel columns (values are coerced the same way)."""

    source: Literal["forms"] = Field("forms", alias="from")
    #: A folder, a glob (``scans/*.pdf``) or one file.
    files: str
    form: str
    #: Where the review workbook and field images go (personal data: beside the scans, not in logs).
    review_dir: str | None = None


RecordsSpec = Annotated[ExcelRecords | FormRecords, Field(discriminator="source")]


class Settings(FrozenModel):
    """Run-wide defaults and limits of a flow: step timeout, when to stop, what to capture on failure."""

    step_timeout: Duration = 10.0
    #: Stop the run cleanly after this many failed records (0: never stop for failures).
    max_failures: int = Field(20, ge=0)
    screenshot_on_failure: bool = True
    #: The target system counts as down after this many records in a row failed on it (error
    #: pages, no answer, timeouts) with nothing submitted: the run stops, those records stay
    #: resumable (0: never).
    target_down_after: int = Field(3, ge=0)
    #: How often one record is started again after ``on_session_expired`` logged in again.
    session_retries: int = Field(2, ge=0)
    #: ``for_each`` iterations one record (or setup, or teardown) may run, nested loops counted
    #: together: a loop over a huge or wrong list stops instead of running for hours.
    max_loop_iterations: int = Field(10_000, ge=1, le=1_000_000)
    #: How long an ``optional: true`` step waits for its element before it is skipped.
    optional_wait: Duration = 1.0
    #: How long ``visible(画面.要素)`` in a condition waits for the element to show (a short look,
    #: not a wait for the next screen).
    visible_wait: Duration = 0.5


class VerifySpec(FrozenModel):
    """How to find out whether a record already reached the target system, e.g. through its
    search screen. A resume runs it for every record a crash left half-done; ``found`` (an
    expression) true means it is there: its outputs are captured and it is not keyed again."""

    steps: list[AnyStep]
    found: str


class Flow(FrozenModel):
    """One declared, versioned bot."""

    id: str
    title: str
    version: str = Field(pattern=r"^\d+\.\d+(\.\d+)?$")
    #: The staff member responsible (an id or name in the staff directory, ``config/staff.yaml``).
    owner: str
    #: Who takes the bot over when the owner is away or transferred (staff id or name).
    deputy: str | None = None
    #: 所管課: the section whose work the bot does (shown in the 管理台帳 and the 手順書).
    department: str | None = None
    description: str | None = None
    #: The classes of personal data the bot handles (個人番号, 住民記録, 税 …), for the 管理台帳.
    data_classes: tuple[DataClassName, ...] = ()
    #: Who staff call when it fails or leaves records 要確認 (e.g. 情報政策係 内線 1234).
    contact: str | None = None
    systems: dict[str, SystemSpec] = {}
    #: The environment variables expressions may read as ``env.NAME``; no other is visible.
    env: tuple[str, ...] = ()
    inputs: dict[str, InputSpec] = {}
    records: RecordsSpec | None = None
    #: For a sub-flow that keys the caller's current record: the columns it reads as
    #: ``record.<name>``. Every caller must have them, so one keying sub-flow serves the Excel
    #: flow and the OCR flow alike.
    record_columns: tuple[str, ...] = ()
    settings: Settings = Settings()
    #: Captured variables written as columns of the results workbook (e.g. 受付番号).
    outputs: tuple[str, ...] = ()
    setup: list[AnyStep] = []
    steps: list[AnyStep]
    #: Run after a crash for records that may have been keyed; without it they go to 要確認.
    verify: VerifySpec | None = None
    #: Run when the target system says the session expired (e.g. log in again); the record is
    #: then started again, unless its commit step may have gone through.
    on_session_expired: list[AnyStep] = []
    on_record_failure: list[AnyStep] = []
    #: Run once after the last record (also after a stop or a failed setup; not after a forced stop).
    teardown: list[AnyStep] = []
    #: Run-level results: ``vars`` set in ``setup``/``teardown`` (e.g. a total read from the
    #: system after the last record), shown on the console, in the run store, ``audit show``,
    #: the results workbook (sheet 実行結果) and run.jsonl.
    run_outputs: tuple[str, ...] = ()

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not _FLOW_ID.match(value):
            raise ValueError(tr("id は英小文字・数字・_・- で書いてください", "write the id in lowercase letters, digits, _ and -"))
        return value

    @field_validator("env")
    @classmethod
    def _env_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return env_names(value)

    @field_validator("run_outputs")
    @classmethod
    def _run_outputs_once(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError(tr("run_outputs に同じ名前が二度あります", "a name is listed twice in run_outputs"))
        return value

    @model_validator(mode="after")
    def _records_or_record_columns(self) -> Flow:
        if self.records is not None and self.record_columns:
            raise ValueError(tr("record_columns は呼び出し元のレコードを使うサブフロー用です。records と一緒には書けません",
                                "record_columns is for sub-flows that use the caller's record; not with records"))
        return self

    def record_column_names(self) -> set[str]:
        """The names ``record.<name>`` may use in this flow: its own columns, or the caller's."""
        return set(self.records.columns) if self.records is not None else set(self.record_columns)

    def default_system(self, kind: str = "web") -> str | None:
        """The only system of a kind, which steps may leave unnamed."""
        found = [name for name, spec in self.systems.items() if spec.kind == kind]
        return found[0] if len(found) == 1 else None


class SubFlow(FrozenModel):
    """A flow called by ``control.call``: inputs and steps, no records of its own."""

    id: str
    title: str
    version: str = Field(pattern=r"^\d+\.\d+(\.\d+)?$")
    owner: str
    deputy: str | None = None
    description: str | None = None
    systems: dict[str, SystemSpec] = {}
    env: tuple[str, ...] = ()
    inputs: dict[str, InputSpec] = {}
    outputs: tuple[str, ...] = ()
    steps: list[AnyStep]

    @field_validator("env")
    @classmethod
    def _env_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return env_names(value)


@cache
def rebuild_models() -> None:
    """Resolve the step union in the flow models, once, after the registry is filled."""
    namespace = {"AnyStep": step_union()}
    VerifySpec.model_rebuild(_types_namespace=namespace, force=True)
    namespace["VerifySpec"] = VerifySpec
    Flow.model_rebuild(_types_namespace=namespace, force=True)
    SubFlow.model_rebuild(_types_namespace=namespace, force=True)
