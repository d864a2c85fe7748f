"""The application screens: entry → confirm → complete, search and CSV export.

The pending application lives in the server-side session until 登録; the one-time submit token
plus the store's UNIQUE token column make the final submit create a row exactly once, even when a
flow retries after a timeout or an HTTP 500 that came after the commit.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, redirect, request
from flask.typing import ResponseReturnValue

from bots.masking import MASK

from .context import bad_request, ctx, current_session, page, system_error, today
from .forms import ENTRY_FIELDS, KINDS, SEXES, parse_iso_date, read_entry, to_record
from .store import FIELDS, JST, DuplicateSubmit

bp = Blueprint("app", __name__)

_CSV_HEADER = ("受付番号", *FIELDS, "登録者", "受付日時")
# The export leaves the building on USB sticks: like a real system's, it never carries a full 個人番号.
_CSV_MASKED = frozenset({"個人番号"})


def _entry_page(values: dict[str, str], errors: dict[str, str]) -> Response:
    return page("entry.html", "entry", values=values, errors=errors, sexes=SEXES, kinds=KINDS)


def _csv_value(name: str, value: Any) -> Any:
    if name in _CSV_MASKED and value:
        return MASK + str(value)[-4:]
    return value


def _received_at(created_at: str) -> str:
    # Stored as ISO 8601 with offset; shown the way the counter staff read it.
    return created_at[:19].replace("T", " ")


@bp.route("/entry", methods=["GET", "POST"])
def entry() -> ResponseReturnValue:
    """申請入力: a blank form, or the pending values when coming back from 確認 (?back=1)."""
    session = current_session()
    if request.method == "GET":
        values = session.pending if request.args.get("back") and session.pending else {}
        return _entry_page(dict(values), {})
    result = read_entry(request.form, today())
    if result.errors:
        return _entry_page(result.values, result.errors)
    ctx().sessions.set_pending(session, result.values)
    return redirect("/confirm", 303)


@bp.route("/confirm", methods=["GET", "POST"])
def confirm() -> ResponseReturnValue:
    """確認: show the pending application; 登録 stores it once and leads to 完了."""
    demo = ctx()
    session = current_session()
    if request.method == "GET":
        if session.pending is None:
            return redirect("/entry", 303)
        rows = [(f, session.pending.get(f.column, "")) for f in ENTRY_FIELDS]
        return page("confirm.html", "confirm", rows=rows, submit_token=session.submit_token)

    token = request.form.get("submit_token", "")
    already = demo.store.receipt_for_token(token) if token else None
    if already is not None:
        return page("already_submitted.html", "already_submitted", receipt_no=already)
    pending = demo.sessions.take_submit_token(session, token)
    if pending is None:
        if session.pending is None:
            return redirect("/entry", 303)
        return bad_request("不正な要求です（送信トークン）")
    try:
        receipt_no = demo.store.insert(to_record(pending), created_by=session.user or "", submit_token=token)
    except DuplicateSubmit as dup:
        return page("already_submitted.html", "already_submitted", receipt_no=dup.receipt_no)
    if demo.config.fault_mode == "after_commit" and demo.roll_fault(request.path):
        return system_error()
    return redirect(f"/complete/{receipt_no}", 303)


@bp.route("/complete/<receipt_no>")
def complete(receipt_no: str) -> ResponseReturnValue:
    """完了: the receipt number the citizen is told."""
    record = ctx().store.get(receipt_no)
    if record is None:
        abort(404)
    return page("complete.html", "complete", receipt_no=receipt_no, record=record)


@bp.route("/search")
def search() -> ResponseReturnValue:
    """申請検索 by 氏名 and/or 生年月日."""
    shimei = request.args.get("shimei", "").strip()
    birth = request.args.get("birth", "").strip()
    searched = "shimei" in request.args or "birth" in request.args
    errors: list[str] = []
    if birth and parse_iso_date(birth) is None:
        errors.append("生年月日はYYYY-MM-DD形式の正しい日付で入力してください")
    elif searched and not (shimei or birth):
        errors.append("氏名または生年月日を入力してください")
    results = [] if errors or not searched else ctx().store.search(shimei, birth)
    for row in results:
        row["受付日時"] = _received_at(str(row["created_at"]))
    return page(
        "search.html",
        "search",
        shimei=shimei,
        birth=birth,
        searched=searched and not errors,
        errors=errors,
        results=results,
    )


@bp.route("/export.csv")
def export_csv() -> ResponseReturnValue:
    """CSV出力: every application, UTF-8 with BOM so Excel opens it without mojibake; 個人番号 masked."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(_CSV_HEADER)
    for row in ctx().store.iter_all():
        writer.writerow(
            (
                row["receipt_no"],
                *(_csv_value(name, row[name]) for name in FIELDS),
                row["created_by"],
                _received_at(str(row["created_at"])),
            )
        )
    filename = f"applications_{datetime.now(JST):%Y%m%d}.csv"
    return Response(
        buf.getvalue().encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
