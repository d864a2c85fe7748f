"""添付書類の登録: attach a scanned PDF, JPEG or PNG to a received application.

Rules are those of a real counter system: the 受付番号 must exist, one file per upload, at most
5 MB, and the content must really be a PDF/JPEG/PNG (a renamed .docx is refused by its first
bytes, not trusted by its name). A success redirects (post/redirect/get), so reloading the
result screen never attaches the same file twice.
"""

from __future__ import annotations

import unicodedata

from flask import Blueprint, Response, redirect, request
from flask.typing import ResponseReturnValue

from .context import ctx, current_session, page

bp = Blueprint("attachments", __name__)

PATH = "/attachments"
MAX_BYTES = 5 * 1024 * 1024
#: Request bodies a little over the file limit still reach the form (multipart overhead), so the
#: screen can say 「5MB以下」; anything larger is refused by Flask with 413 and the same message.
REQUEST_MAX_BYTES = MAX_BYTES + 256 * 1024
FILENAME_MAX = 120
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"

# Extension → content type and the magic bytes the file must start with.
_TYPES: dict[str, tuple[str, bytes]] = {
    ".pdf": ("application/pdf", b"%PDF-"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
}

TOO_LARGE = "添付ファイルは5MB以下にしてください"


def _attach_page(receipt_no: str = "", errors: list[str] | None = None, done: dict[str, object] | None = None,
                 status: int = 200) -> Response:
    return page("attachments.html", "attachments", status, receipt_no=receipt_no, errors=errors or [], done=done,
                accept=ACCEPT)


def too_large_page() -> Response:
    """The form again with the size error, for bodies Flask refused before the view ran (413)."""
    return _attach_page(errors=[TOO_LARGE], status=413)


def _clean_name(raw: str) -> str:
    # Browsers on Windows may send a full path; macOS sends decomposed kana (NFD).
    name = unicodedata.normalize("NFC", raw.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[:FILENAME_MAX]


def _check_file(name: str, content: bytes) -> tuple[str | None, str]:
    """(error or None, content type) for one uploaded file."""
    dot = name.rfind(".")
    kind = _TYPES.get(name[dot:].lower()) if dot > 0 else None
    if kind is None:
        return "添付できるファイルはPDF・JPEG・PNGのみです", ""
    if len(content) > MAX_BYTES:
        return TOO_LARGE, ""
    if not content:
        return "添付ファイルが空です", ""
    content_type, magic = kind
    if not content.startswith(magic):
        return "ファイルの内容が拡張子と一致しません（PDF・JPEG・PNGのみ）", ""
    return None, content_type


@bp.route(PATH, methods=["GET", "POST"])
def attachments() -> ResponseReturnValue:
    """添付書類の登録: a blank form, or after a redirect (?done=<id>) the file just attached."""
    demo = ctx()
    if request.method == "GET":
        done = demo.store.get_attachment(request.args.get("done", type=int) or 0)
        return _attach_page(done=done)
    receipt_no = request.form.get("receipt_no", "").strip()
    errors: list[str] = []
    if not receipt_no:
        errors.append("受付番号を入力してください")
    elif demo.store.get(receipt_no) is None:
        errors.append(f"受付番号 {receipt_no} の申請は見つかりません")
    upload = request.files.get("file")
    name = _clean_name(upload.filename or "") if upload is not None else ""
    content, content_type = b"", ""
    if upload is None or not name:
        errors.append("添付ファイルを選択してください")
    else:
        content = upload.stream.read(MAX_BYTES + 1)
        error, content_type = _check_file(name, content)
        if error is not None:
            errors.append(error)
    if errors:
        return _attach_page(receipt_no, errors)
    row = demo.store.add_attachment(receipt_no, name, content_type, content, current_session().user or "")
    return redirect(f"{PATH}?done={row['id']}", 303)
