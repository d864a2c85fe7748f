"""OCR steps. A flow's own records come from ``records: {from: forms}`` (journalled, resumable,
doubtful forms to the review workbook); this step reads scanned forms into a variable, e.g. to
loop over them with ``for_each`` or to check a batch before keying it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from bots.engine.context import StepContext
from bots.errors import InputFileError, InputRecordError
from bots.registry import Params, action
from bots.sources.forms import load_template, scan_files


class ReadFormsParams(Params):
    """Which scans to read with which form template, and the variable that receives them."""

    files: str = Field(description="読む帳票: フォルダ、glob（`scans/*.pdf`）、または 1 つのファイル")
    form: str = Field(description="帳票定義の名前（`selectors/forms/<form>.yaml`）")
    into: str = Field(description="読んだ帳票のリスト（1 枚が `項目名: 値` の組）を入れる変数名")
    include_doubtful: bool = Field(
        False, description="要確認の帳票も含める（`_status` が `要確認`、`_problems` に疑わしい項目）")

    def assigned_names(self) -> list[str]:
        """The variable set, so ``validate`` knows ``vars.<into>`` exists after this step."""
        return [self.into]


@action("ocr.read_forms", ReadFormsParams)
def read_forms(ctx: StepContext, p: ReadFormsParams) -> None:
    """Read scanned forms into ``vars.<into>``, one mapping per accepted form.

    Each mapping holds the template's fields (values normalised like Excel cells) plus ``_file``.
    Forms with a doubtful field or that cannot be read are left out (unless ``include_doubtful``)
    and reported — never handed on silently.

    ``- ocr.read_forms: {files: "{{ inputs.scans }}", form: shinsei, into: 申請書}``
    """
    # lazy: the OCR stack (OpenCV, numpy, tesseract models) loads only for flows that read forms.
    from bots.ocr.pipeline import read_forms as read

    try:
        files = scan_files(str(p.files))
        template = load_template(ctx.run.project.selectors, p.form)
    except InputFileError as exc:
        raise InputRecordError(str(exc)) from exc
    rows: list[dict[str, Any]] = []
    for form in read(files, template):
        if form.status == "accepted" or p.include_doubtful:
            row: dict[str, Any] = {**form.values(), "_file": str(form.file), "_status": form.status}
            if form.status != "accepted":
                row["_problems"] = {n: list(r.problems) for n, r in form.doubts().items()} or form.reason or form.error
            rows.append(row)
        else:
            why = form.error or form.reason or "要確認"
            ctx.notice("form_skipped", f"{Path(form.file).name}: {why}", file=str(form.file))
    ctx.vars[p.into] = rows
