"""The 手順書's 入力 and 出力 sections: what a run is given and keys, and what it leaves behind."""

from __future__ import annotations

from bots.catalogue.procedure_model import Block, Bullets, Para, Table, not_loaded
from bots.flow.loader import LoadedFlow
from bots.flow.model import ExcelRecords, FormRecords
from bots.governance.phrase_values import Wording, value_phrase
from bots.i18n import tr

_INPUT_TYPES = {"path": ("ファイル・フォルダ", "file or folder"), "str": ("文字", "text"), "int": ("整数", "number"),
                "date": ("日付", "date"), "bool": ("はい・いいえ", "yes / no")}
_COLUMN_TYPES = {"str": ("文字", "text"), "int": ("整数", "number"), "date": ("日付", "date"),
                 "wareki": ("日付（和暦も可）", "date (Japanese era accepted)"), "zip": ("郵便番号", "postal code"),
                 "phone": ("電話番号", "phone number"), "kana": ("カナ", "kana")}


def _label(table: dict[str, tuple[str, str]], key: str) -> str:
    ja, en = table.get(key, (key, key))
    return tr(ja, en)


def _yes(flag: bool) -> str:
    return tr("○", "yes") if flag else ""


def inputs_blocks(loaded: LoadedFlow | None) -> tuple[Block, ...]:
    """入力: what a run is given, and the records it keys (columns, masking, duplicates)."""
    if loaded is None:
        return (not_loaded(),)
    flow = loaded.flow
    blocks: list[Block] = []
    if flow.inputs:
        rows = tuple((name, _label(_INPUT_TYPES, spec.type), "" if spec.default in (None, "") else str(spec.default),
                      _yes(spec.required), spec.description or "") for name, spec in flow.inputs.items())
        blocks.append(Para(tr("実行のときに指定するもの（--input または --set 名前=値。省略すると既定値）:",
                              "what a run is given (--input or --set name=value; the default when left out):")))
        blocks.append(Table((tr("入力", "input"), tr("種類", "type"), tr("既定値", "default"), tr("必須", "required"),
                             tr("説明", "description")), rows))
    else:
        blocks.append(Para(tr("実行のときに指定する入力はありません。", "a run is given no inputs.")))
    records = flow.records
    wording = Wording.of(loaded)
    if isinstance(records, ExcelRecords):
        sheet = tr("のシート『{s}』", ", sheet “{s}”,", s=records.sheet) if records.sheet else ""
        blocks.append(Para(tr("入力するデータ: Excel ファイル {f}{s}の各行（見出しは {h} 行目）を 1 件ずつ入力します。",
                              "the data keyed: each row of the Excel file {f}{s} (headers on row {h}), one by one.",
                              f=value_phrase(records.file, wording), s=sheet, h=records.header_row)))
    elif isinstance(records, FormRecords):
        template = loaded.form_template
        form = f"『{template.title}』（{records.form}）" if template else records.form
        blocks.append(Para(tr("入力するデータ: {f} にある申請書のスキャン（PDF・画像）を、帳票定義 {t} に従って OCR で読み取り、"
                              "1 枚ずつ入力します。",
                              "the data keyed: the scanned forms (PDF, images) in {f}, read by OCR with the form "
                              "template {t}, one by one.", f=value_phrase(records.files, wording), t=form)))
    if records is not None:
        columns = tuple((name, _label(_COLUMN_TYPES, column.type), _yes(column.required),
                         tr("伏字", "masked") if column.sensitive else "") for name, column in records.columns.items())
        blocks.append(Table((tr("列", "column") if isinstance(records, ExcelRecords) else tr("欄", "field"),
                             tr("型", "type"), tr("必須", "required"), tr("記録では", "in the records")), columns))
        if any(c.sensitive for c in records.columns.values()):
            blocks.append(Para(tr("「伏字」の列は、結果ファイル以外の記録（ログ・監査台帳・画面の保存）では伏せて残します。",
                                  "“masked” columns are masked in every record but the results workbook (logs, "
                                  "audit ledger, screenshots).")))
        if records.key:
            blocks.append(Para(tr("同じ {k} の行が 2 つあれば、二重に入力せず「要確認」にします。",
                                  "two rows with the same {k} are not keyed twice: they are marked for review.",
                                  k=tr("・", ", ").join(records.key))))
    return tuple(blocks)


def outputs_blocks(loaded: LoadedFlow | None) -> tuple[Block, ...]:
    """出力: the results workbook, values written back, values kept once per run."""
    if loaded is None:
        return (not_loaded(),)
    flow = loaded.flow
    folder = tr("logs/runs/<実行日>/<実行ID>/", "logs/runs/<date>/<run id>/")
    if flow.records is None:
        blocks: list[Block] = [Para(tr("このフローはレコードを入力しないため、結果ファイルは作りません。実行の記録は {d} に残ります。",
                                       "this flow keys no records, so there is no results workbook; the run's log "
                                       "is in {d}.", d=folder))]
    else:
        name = tr("結果_<入力ファイル名>.xlsx", "結果_<input file name>.xlsx")
        blocks = [Para(tr("実行ごとのフォルダ {d} に、結果ファイル {n} を作ります。元の入力ファイルは書き換えません。",
                          "each run writes the results workbook {n} in its folder {d}; the input file is never "
                          "changed.", d=folder, n=name)),
                  Bullets((tr("入力の各行に、状態（成功・失敗・要確認・未処理）、エラー内容、処理日時を加えたもの",
                              "every input row with its state (成功 done, 失敗 failed, 要確認 review, 未処理 not "
                              "run), the error and when it was processed"),
                           tr("失敗した行の画面の画像（screenshots フォルダ。パスワード・個人番号の欄は黒塗り）",
                              "a screenshot of each failed record (screenshots folder; passwords and My Number "
                              "fields blacked out)")))]
    if flow.outputs:
        blocks.append(Para(tr("結果ファイルに書き戻す値: {o}", "values written back to the results workbook: {o}",
                              o=tr("・", ", ").join(tr("『{n}』", "“{n}”", n=n) for n in flow.outputs))))
    if flow.run_outputs:
        blocks.append(_run_outputs(flow.run_outputs, with_workbook=flow.records is not None))
    return tuple(blocks)


def _run_outputs(names: tuple[str, ...], *, with_workbook: bool) -> Para:
    """The values a run keeps once for the whole run (read before the first or after the last
    record), and where staff find them."""
    where = (tr("結果ファイルの「実行結果」シート、実行終了時の画面、実行の記録（python runner.py audit show <実行ID>）",
                "the results workbook's 実行結果 sheet, the screen at the end of the run and the run's record "
                "(python runner.py audit show <run id>)") if with_workbook else
             tr("実行終了時の画面、実行の記録（python runner.py audit show <実行ID>）",
                "the screen at the end of the run and the run's record (python runner.py audit show <run id>)"))
    return Para(tr("実行全体で1つ残す値（実行結果）: {o}。最初の行の前・最後の行の後に読み取り、{w} に残します。",
                   "values kept once per run (run results): {o}, read before the first or after the last record; "
                   "shown in {w}.", o=tr("・", ", ").join(tr("『{n}』", "“{n}”", n=n) for n in names), w=where))
