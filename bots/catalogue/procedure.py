"""The 手順書 of a bot, built from its catalogue entry: what a successor needs to run it, follow
it screen by screen, and act when it fails — regenerated from the flow, so it never drifts.

Sections: 目的, 所管課・所有者・副担当, 実行のタイミング, 入力, 画面ごとの手順, 登録操作, 出力,
不備のある行, 失敗・要確認のとき, 停止と再開, 連絡先, 版と承認. Printed, four chapters start on a
new page: the bot, its steps, when something goes wrong, its version.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bots.catalogue.entry import CatalogueEntry
from bots.catalogue.procedure_data import inputs_blocks, outputs_blocks
from bots.catalogue.procedure_model import (
    WARN,
    Block,
    Bullets,
    Para,
    Procedure,
    Section,
    SubHeading,
    Table,
    not_loaded,
)
from bots.catalogue.procedure_steps import block_lines, steps_blocks
from bots.engine.abort_hotkey import configured as abort_hotkey
from bots.flow.loader import LoadedFlow
from bots.flow.model import ExcelRecords
from bots.governance.gate import status_text
from bots.governance.phrase_values import Wording, condition_phrase, key_label
from bots.governance.phrasing import section_title
from bots.governance.staff import Person, StaffDirectory
from bots.i18n import language, listing, tr
from bots.spec.governance_types import data_class_label, zone_label


def build_procedure(entry: CatalogueEntry, *, staff: StaffDirectory | None = None,
                    now: dt.datetime | None = None) -> Procedure:
    """The 手順書 of one catalogue entry (``staff`` names the approvers; ids otherwise)."""
    now = now or dt.datetime.now().astimezone()
    loaded = entry.loaded
    sections = [
        Section("purpose", tr("目的", "Purpose"), _purpose(entry)),
        Section("people", tr("所管課・所有者・副担当", "Department, owner and deputy"), _people(entry)),
        Section("timing", tr("実行のタイミング", "When it runs"), _timing(entry)),
        Section("inputs", tr("入力", "Inputs"), inputs_blocks(loaded)),
        Section("steps", tr("画面ごとの手順", "Steps, screen by screen"), _steps(entry), new_page=True),
        Section("commit", tr("登録操作", "The commit step"), _commit(loaded)),
        Section("outputs", tr("出力", "Outputs"), outputs_blocks(loaded)),
        Section("bad_rows", tr("不備のある行", "Rows with problems"), _bad_rows(loaded), new_page=True),
        Section("failures", tr("失敗・要確認のとき", "When records fail or need review"), _failures(entry)),
        Section("stop", tr("停止と再開", "Stopping and resuming"), _stop(entry)),
        Section("contacts", tr("連絡先", "Contacts"), _contacts(entry)),
        Section("version", tr("版と承認", "Version and approval"), _version(entry, staff), new_page=True),
    ]
    footer = tr("このファイルはフロー定義から自動生成されています（生成日時 {t}）。手で直さず、フロー {f} を直して "
                "python runner.py flows doc {f} で作り直してください。",
                "This file is generated from the flow definition (generated at {t}). Do not edit it: change the "
                "flow {f} and run python runner.py flows doc {f} again.",
                t=f"{now:%Y-%m-%d %H:%M}", f=entry.shown)
    title = tr("手順書: {t}", "Procedure: {t}", t=entry.title or entry.flow_id)
    return Procedure(title=title, flow_id=entry.flow_id, shown=entry.shown, lang=language(),
                     sections=tuple(sections), footer=footer, generated_at=now)


# ---- the bot ---------------------------------------------------------------------------------

def _purpose(entry: CatalogueEntry) -> tuple[Block, ...]:
    loaded = entry.loaded
    description = loaded.flow.description if loaded else None
    rows = [(tr("フロー", "flow"), f"{entry.title}（{entry.flow_id}）" if entry.title else entry.flow_id),
            (tr("定義ファイル", "definition file"), entry.shown)]
    blocks: list[Block] = [Table((tr("項目", "item"), tr("内容", "value")), tuple(rows))]
    if description:
        blocks.extend(Para(line.strip()) for line in description.strip().splitlines() if line.strip())
    else:
        blocks.append(Para(tr("{w} 説明がありません（フローの description に、何のための仕事かを書いてください）",
                              "{w} no description (write in the flow's description what the work is for)", w=WARN),
                           warn=True))
    if not loaded:
        blocks.append(not_loaded())
        blocks.extend(Para(str(d)) for d in list(entry.diagnostics.errors)[:20])
    return tuple(blocks)


def person_text(person: Person | None, reference: str | None) -> tuple[str, bool]:
    """A person as the directory knows them, else the text the flow has with a warning mark."""
    if person is not None:
        inactive = "" if person.active else tr(" {w} 異動・退職済み", " {w} transferred or retired", w=WARN)
        return person.label() + inactive, not person.active
    if not reference:
        return tr("{w} 未設定", "{w} not set", w=WARN), True
    return tr("{r} {w} 職員名簿で確認できません", "{r} {w} not found in the staff directory", r=reference, w=WARN), True


def _people(entry: CatalogueEntry) -> tuple[Block, ...]:
    owner, owner_warn = person_text(entry.owner, entry.owner_ref)
    deputy, deputy_warn = person_text(entry.deputy, entry.deputy_ref)
    department = entry.department or tr("{w} 未設定", "{w} not set", w=WARN)
    systems = listing(f"{s.title}（{zone_label(s.zone)}）" for s in entry.systems) or tr("なし", "none")
    classes = listing(data_class_label(c) for c in entry.data_classes) or tr(
        "{w} 未申告", "{w} not declared", w=WARN)
    rows = ((tr("所管課", "department"), department), (tr("所有者", "owner"), owner),
            (tr("副担当", "deputy"), deputy), (tr("対象システム（ネットワーク）", "target systems (network)"), systems),
            (tr("扱う個人情報", "personal data handled"), classes))
    blocks: list[Block] = [Table((tr("項目", "item"), tr("内容", "value")), rows)]
    if owner_warn or deputy_warn or not entry.department:
        blocks.append(Para(tr("{w} 印の項目は、所有者がフロー定義か職員名簿（config/staff.yaml）を直してください。",
                              "{w} marks something the owner must fix in the flow or the staff directory "
                              "(config/staff.yaml).", w=WARN), warn=True))
    return tuple(blocks)


def _timing(entry: CatalogueEntry) -> tuple[Block, ...]:
    if not entry.schedules:
        return (Para(tr("スケジュールはありません。手動で実行します: python runner.py run {f}",
                        "no schedule: it is run by hand: python runner.py run {f}", f=entry.shown)),)
    rows = tuple((s.id, s.when, tr("有効", "enabled") if s.enabled else tr("停止中", "disabled"))
                 for s in entry.schedules)
    return (Para(tr("次のスケジュールで自動的に実行します（スケジューラが動いている PC で）。",
                    "it runs by itself on these schedules (on the PC where the scheduler runs).")),
            Table((tr("スケジュール", "schedule"), tr("いつ", "when"), tr("状態", "state")), rows),
            Para(tr("手動で実行するとき: python runner.py run {f}", "to run it by hand: python runner.py run {f}",
                    f=entry.shown)))


# ---- the steps -------------------------------------------------------------------------------

def _steps(entry: CatalogueEntry) -> tuple[Block, ...]:
    if entry.loaded is None:
        return (not_loaded(),)
    intro = Para(tr("フローが行う操作を、操作する画面ごとに順に示します。番号はフロー定義の手順の番号、"
                    "字下げはサブフロー（共通の手順）やまとまりの中の手順です。【登録操作】は基幹システムに登録する操作です。",
                    "what the flow does, screen by screen, in order. Numbers are the flow's step numbers; "
                    "indented steps are inside a sub-flow (shared steps) or a block. [commit] marks the step that "
                    "registers in the target system."))
    return (intro, *steps_blocks(entry.loaded))


def _commit(loaded: LoadedFlow | None) -> tuple[Block, ...]:
    if loaded is None:
        return (not_loaded(),)
    commits = [(block, line) for block, lines in block_lines(loaded) for line in lines if line.commit]
    if not commits:
        return (Para(tr("{w} 登録操作（commit: true）の印が付いた手順がありません。試し実行（--dry-run）でも基幹システムに登録されます。",
                        "{w} no step is marked commit: true: even a dry run (--dry-run) registers in the target "
                        "system.", w=WARN), warn=True),)
    items = tuple(tr("{s}・{n} 番目: {t}", "{s}, step {n}: {t}", s=section_title(block), n=line.number,
                     t=line.text) for block, line in commits)
    blocks: list[Block] = [Para(tr("基幹システムに登録する操作は次のとおりです。", "the steps that register in the target system:")),
                           Bullets(items), SubHeading(tr("二重登録を防ぐしくみ", "what prevents double registration"))]
    guards = [
        tr("試し実行（python runner.py run … --dry-run）では、登録操作の手前で止まり、登録はしません。",
           "a dry run (python runner.py run … --dry-run) stops before the commit step and registers nothing."),
        tr("登録操作は 1 行につき 1 回だけです。登録操作の後に起きた失敗はやり直さず、登録されたかを確かめます。",
           "the commit step runs once per record; a failure after it is never retried blindly: whether the record "
           "was registered is checked."),
        tr("登録ボタンなどが第 1 候補のセレクタで見つからないときは押しません（画面が変わっている可能性があるため）。",
           "a commit element found only by a fallback selector is not clicked (the screen may have changed)."),
    ]
    verify = loaded.flow.verify
    if verify is not None:
        guards.append(tr("登録操作の途中で止まった行（停電・強制終了など）は、再開のとき「{v}」の手順で照会し、{c}は登録済みとして"
                         "二重に入力しません。見つからなければ入力し、判断できなければ「要確認」にします。",
                         "a record stopped during its commit (power cut, forced stop) is looked up on resume "
                         "(“{v}”): {c}, it counts as registered and is not keyed again; not found, it is keyed; "
                         "unclear, it is marked for review.", v=section_title("verify"),
                         c=condition_phrase(verify.found, Wording.of(loaded))))
    blocks.append(Bullets(tuple(guards)))
    if verify is None:
        blocks.append(Para(tr("{w} 登録済みかを照会する手順（verify）がないため、登録操作の途中で止まった行は「要確認」になります。"
                              "基幹システムで登録の有無を確かめてください。",
                              "{w} there is no lookup (verify): a record stopped during its commit is marked for "
                              "review; check in the target system whether it was registered.", w=WARN), warn=True))
    return tuple(blocks)


# ---- when something goes wrong ---------------------------------------------------------------

def _bad_rows(loaded: LoadedFlow | None) -> tuple[Block, ...]:
    if loaded is None:
        return (not_loaded(),)
    records = loaded.flow.records
    if records is None:
        return (Para(tr("このフローはレコードを入力しません。", "this flow keys no records.")),)
    items: list[str] = []
    if isinstance(records, ExcelRecords):
        items.append(tr("必須の列が空の行、型（日付・郵便番号・電話番号など）に合わない値がある行は入力しません。結果ファイルで"
                        "「失敗」とし、理由（どの列がどう不正か）を書きます。",
                        "a row with a required column empty or a value of the wrong type (date, postal code, phone "
                        "…) is not keyed: it is 失敗 (failed) in the results workbook, with the reason."))
    else:
        review = records.review_dir or tr("スキャンと同じフォルダの 要確認/<実行ID>/", "要確認/<run id>/ beside the scans")
        items.append(tr("読み取りに少しでも疑わしい欄がある申請書は入力しません。「要確認」として、要確認_{f}.xlsx（{d}）に"
                        "読み取った値・理由・欄の画像を出します。",
                        "a form with any doubtful field is not keyed: it is 要確認 (review), listed in "
                        "要確認_{f}.xlsx ({d}) with the value read, the reason and an image of the field.",
                        f=records.form, d=review))
        items.append(tr("確認・修正したら python runner.py review import 要確認_{f}.xlsx で Excel の一覧にして、Excel から"
                        "入力するフローで入力します。",
                        "once checked and corrected, python runner.py review import 要確認_{f}.xlsx turns it into "
                        "an Excel list to key with the Excel flow.", f=records.form))
        items.append(tr("必須の欄が空、型に合わない値の申請書は「失敗」として理由を書きます。",
                        "a form with a required field empty or a value of the wrong type is 失敗 (failed), with "
                        "the reason."))
    if records.key:
        items.append(tr("同じ {k} の行は二重に入力せず「要確認」にします。", "rows with the same {k} are not keyed twice: "
                        "they are marked 要確認 (review).", k=tr("・", ", ").join(records.key)))
    limit = loaded.flow.settings.max_failures
    items.append(tr("不備のある行があっても、実行は次の行へ進みます（失敗が {n} 件に達したら止まります）。",
                    "the run goes on with the next row (it stops when {n} records have failed).", n=limit) if limit
                 else tr("不備のある行があっても、実行は次の行へ進みます。", "the run goes on with the next row."))
    return (Bullets(tuple(items)),)


def _failures(entry: CatalogueEntry) -> tuple[Block, ...]:
    loaded = entry.loaded
    contact = (loaded.flow.contact if loaded else None) or entry.owner_ref or tr("所有者", "the owner")
    items = [
        tr("「失敗」の行: 結果ファイルのエラー内容を読み、元の一覧（またはスキャン）を直して、直した行だけで実行し直します。"
           "画面の画像（screenshots）も参考になります。",
           "失敗 (failed) rows: read the error in the results workbook, correct the list (or scan), and run again "
           "with the corrected rows only; the screenshots help."),
        tr("「要確認」の行: 登録されたかどうかが分からない行です。基幹システムで登録の有無を確かめ、登録されていなければ"
           "手で入力するか、その行だけで実行し直します。二重登録に注意してください。",
           "要確認 (review) rows: it is not known whether they were registered. Check in the target system; if "
           "not, key them by hand or run again with those rows only. Beware of registering twice."),
        tr("「未処理」の行: 実行が途中で止まったため処理していない行です。python runner.py resume 実行ID で続きから再開します。",
           "未処理 (not run) rows: the run stopped before them; python runner.py resume RUN_ID continues."),
    ]
    if loaded is not None:
        settings = loaded.flow.settings
        stops = ([tr("失敗が {n} 件に達したとき", "{n} records have failed", n=settings.max_failures)]
                 if settings.max_failures else [])
        if settings.target_down_after:
            stops.append(tr("基幹システムが {d} 件続けて応答しないとき", "the target system fails {d} records in a row",
                            d=settings.target_down_after))
        if stops:
            items.append(tr("{s}は、実行を止めます。原因（入力ファイル・基幹システムの停止）を確かめてから再開してください。",
                            "the run stops when {s}; find the cause (input file, system down) before resuming.",
                            s=tr("、または", ", or when ").join(stops)))
    items.append(tr("分からないとき・同じ失敗が続くときの連絡先: {c}", "who to call when in doubt or when failures repeat: {c}",
                    c=contact))
    return (Bullets(tuple(items)),)


def _stop(entry: CatalogueEntry) -> tuple[Block, ...]:
    items = [
        tr("止めるとき: 画面の「停止」ボタン、または実行している画面（ターミナル）で Ctrl+C を 1 回押します。処理中の行を"
           "終えてから止まります。",
           "to stop: press the Stop button, or Ctrl+C once in the terminal running it; it finishes the record in "
           "hand, then stops."),
        tr("急いで止めるとき: もう一度 Ctrl+C（または「停止」）を押すと、すぐに止まります。処理途中の行は再開のときに確かめます。",
           "to stop at once: press Ctrl+C (or Stop) again; the record in hand is checked on resume."),
    ]
    if entry.loaded is not None and entry.loaded.uses_desktop():
        items.append(tr("このフローはマウスとキーボードを使います。中断キー {k} を押すと、その操作の後で止まり、マウスと"
                        "キーボードが戻ります（マウスを画面の隅へ動かしても止まります）。",
                        "this flow uses the mouse and keyboard: the abort key {k} stops it after the current step "
                        "and gives them back (moving the mouse into a screen corner stops it too).",
                        k=key_label(abort_hotkey())))
    items.append(tr("再開するとき: python runner.py resume 実行ID（実行ID は開始時と停止時に表示され、logs/runs/<実行日>/ の"
                    "フォルダ名にもなっています）。完了した行は入力し直しません。",
                    "to resume: python runner.py resume RUN_ID (the run id is shown when it starts and stops, and "
                    "names its folder under logs/runs/<date>/); records already done are not keyed again."))
    return (Bullets(tuple(items)),)


def _contacts(entry: CatalogueEntry) -> tuple[Block, ...]:
    contact = entry.loaded.flow.contact if entry.loaded else None
    owner, _ = person_text(entry.owner, entry.owner_ref)
    deputy, _ = person_text(entry.deputy, entry.deputy_ref)

    def mail(person: Person | None) -> str:
        return person.email if person is not None and person.email else ""

    rows = ((tr("失敗・要確認のときの連絡先", "call when it fails"), contact or tr("{w} 未設定", "{w} not set", w=WARN), ""),
            (tr("所有者", "owner"), owner, mail(entry.owner)),
            (tr("副担当", "deputy"), deputy, mail(entry.deputy)))
    return (Table((tr("役割", "role"), tr("人・窓口", "person"), tr("メール", "e-mail")), rows),)


def _version(entry: CatalogueEntry, staff: StaffDirectory | None) -> tuple[Block, ...]:
    approval = entry.approval
    rows: list[tuple[str, str]] = [(tr("版", "version"), entry.version or "-")]
    if approval is None:
        rows.append((tr("承認", "approval"), tr("{w} 承認の記録を確認できません", "{w} no approval record available",
                                              w=WARN)))
        return (Table((tr("項目", "item"), tr("内容", "value")), tuple(rows)),)
    rows.append((tr("指紋（承認の対象）", "fingerprint (what is approved)"), approval.fingerprint[:12]))
    state = status_text(approval)
    rows.append((tr("承認の状態", "approval"), state if approval.status == "approved" else f"{WARN} {state}"))
    rows.append((tr("承認者", "approvers"), listing(_approver(a, staff) for a in approval.approvers)
                 or tr("なし", "none")))
    rows.append((tr("必要な承認者数", "approvers required"), str(approval.required)))
    if approval.approved_at is not None:
        rows.append((tr("承認日時", "approved at"), f"{approval.approved_at:%Y-%m-%d %H:%M}"))
    if approval.review_due is not None:
        rows.append((tr("見直し期限", "review due"), approval.review_due.isoformat()))
    return (Table((tr("項目", "item"), tr("内容", "value")), tuple(rows)),
            Para(tr("フロー・サブフロー・セレクタ定義・帳票定義のどれかを変えると指紋が変わり、もう一度承認が必要です"
                    "（python runner.py flows diff {f} で変更点を確認できます）。",
                    "changing the flow, a sub-flow, a selector map or the form template changes the fingerprint "
                    "and needs a new approval (python runner.py flows diff {f} shows what changed).",
                    f=entry.shown)))


def _approver(staff_id: str, staff: StaffDirectory | None) -> str:
    person: Any = staff.find(staff_id) if staff is not None else None
    return person.label() if person is not None else staff_id
