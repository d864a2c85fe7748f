"""Excel steps. The flow's own records come from ``records: {from: excel}``; these steps read
other sheets, such as a lookup table, into variables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from bots.engine.context import StepContext
from bots.errors import InputFileError, InputRecordError
from bots.i18n import tr
from bots.records.model import ColumnSpec
from bots.registry import Params, action


class ReadRowsParams(Params):
    """The workbook, sheet and typed columns to read, and the variable that receives the rows."""

    file: str = Field(description="Excel ファイル（.xlsx）のパス")
    sheet: str | None = Field(None, description="シート名（省略時は最初のシート）")
    header_row: int = Field(1, ge=1, description="見出しの行番号（データはその下の行から）")
    columns: dict[str, ColumnSpec] = Field(
        default_factory=dict, description="使う列とその型（`列名: 型`、または `{type, required, header}`。`records:` の `columns` と同じ書き方）")
    into: str = Field(description="行のリスト（1 行が `列名: 値` の組）を入れる変数名")

    @field_validator("columns", mode="before")
    @classmethod
    def _shorthand_columns(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ({"type": v} if isinstance(v, str) else v) for k, v in value.items()}
        return value

    def assigned_names(self) -> list[str]:
        """The variable set, so ``validate`` knows ``vars.<into>`` exists after this step."""
        return [self.into]


@action("excel.read_rows", ReadRowsParams)
def read_rows(ctx: StepContext, p: ReadRowsParams) -> None:
    """Read the rows of a sheet (under its header row) into ``vars.<into>``, a list of mappings.

    A row that breaks the column types fails the step (a lookup table must be clean).

    ``- excel.read_rows: {file: "{{ inputs.master }}", sheet: 町名一覧, into: 町名, columns: {郵便番号: zip}}``
    """
    # lazy: openpyxl (and numpy under it) loads only for a run that reads a workbook, not for validate.
    from bots.adapters.excel_reader import read_records

    try:
        reader = read_records(Path(str(p.file)), sheet=p.sheet, header_row=p.header_row, columns=p.columns)
        rows: list[dict[str, Any]] = []
        with reader:
            for record in reader:
                if record.error:
                    raise InputRecordError(tr("{l}: {e}", "{l}: {e}", l=record.location, e=record.error))
                rows.append(record.values)
    except InputFileError as exc:
        raise InputRecordError(str(exc)) from exc
    ctx.vars[p.into] = rows
