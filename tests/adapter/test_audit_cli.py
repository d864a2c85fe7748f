"""``runner.py audit runs|show|verify|archive`` on a real SQLite run store and real ledgers in tmp.

``seed`` (also used by test_audit_reports.py) records three runs in the store and writes two
ledger folders with ``LedgerWriter``, their heads recorded in the store as the listeners do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bots.audit.ledger import LedgerWriter
from bots.cli.app import app
from bots.results.model import RecordResult, RunResult, RunStatus, Status
from bots.store import RunStore

JST = dt.timezone(dt.timedelta(hours=9))
KEY_HEX = "6b" * 32
BASE = dt.date.today() - dt.timedelta(days=30)  # old enough to archive, whatever today is
RUN_A, RUN_B, RUN_C = "run-a-0001", "run-b-0002", "run-c-0003"
DRIFT_ELEMENT = "申請入力.氏名"


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=JST)


@dataclass
class Seeded:
    logs: Path
    day0: dt.date
    day1: dt.date
    later: dt.date

    @property
    def main(self) -> Path:
        return self.logs / "audit" / "main"

    @property
    def other(self) -> Path:
        return self.logs / "audit" / "pc2-4242"

    def file(self, day: dt.date, folder: Path | None = None) -> Path:
        return (folder or self.main) / f"ledger-{day.isoformat()}.jsonl"


class Clock:
    def __init__(self) -> None:
        self.now = at(BASE, 9)

    def __call__(self) -> dt.datetime:
        return self.now


def _records() -> dict[str, list[RecordResult]]:
    return {
        RUN_A: [RecordResult(2, "申請一覧!2", "山田 太郎・1975-04-01", Status.PASS, outputs={"受付番号": "受-000101"}),
                RecordResult(3, "申請一覧!3", "鈴木 花子・********1234", Status.FAIL,
                             error="郵便番号が不正です：〒1OO-0001", error_kind="input_record"),
                RecordResult(4, "申請一覧!4", "佐藤 次郎・1980-01-02", Status.REVIEW,
                             error="登録後に完了画面が表示されませんでした", error_kind="timeout",
                             screenshot="screenshots/row4.png")],
        RUN_B: [RecordResult(2, "照会一覧!2", "=HYPERLINK(\"x\")", Status.PASS, outputs={"税額": 12000}),
                RecordResult(3, "照会一覧!3", "<script>alert(1)</script>", Status.NOT_RUN)],
        RUN_C: [RecordResult(2, "申請一覧!2", "高橋 三郎・1990-12-31", Status.PASS, outputs={"受付番号": "受-000202"})],
    }


def _store_runs(store: RunStore, day0: dt.date, day1: dt.date, later: dt.date) -> None:
    plan = [(RUN_A, "shinsei-nyuryoku", "山田", "manual", at(day0, 10), RunStatus.COMPLETED),
            (RUN_B, "zeigaku-shokai", "佐藤", "schedule", at(day1, 13), RunStatus.ABORTED),
            (RUN_C, "shinsei-nyuryoku", "山田", "manual", at(later, 11), RunStatus.COMPLETED)]
    for run_id, flow, user, trigger, started, status in plan:
        store.start_run(run_id=run_id, flow_id=flow, flow_version="1.2.0", flow_hash="f" * 64,
                        selectors_hash="e" * 64, trigger=trigger, os_user=user, host="窓口PC-01",
                        started_at=started, input_name="申請一覧（11月）.xlsx", input_sha256="d" * 64)
        records = _records()[run_id]
        store.finish_run(RunResult(run_id=run_id, flow_id=flow, flow_version="1.2.0", status=status,
                                   started=started, finished=started + dt.timedelta(minutes=4), records=records,
                                   error="失敗が多すぎるため中断しました" if status is RunStatus.ABORTED else None))


def _write_ledger(folder: Path, clock: Clock, entries: list[tuple[dt.datetime, str, str | None, dict[str, object]]],
                  key: bytes | None) -> LedgerWriter:
    writer = LedgerWriter(folder, key=key, clock=clock, actor="山田")
    for when, type, run_id, data in entries:
        clock.now = when
        writer.append(type, None, run_id, data)
    return writer


def seed(logs: Path, key: bytes | None = bytes.fromhex(KEY_HEX)) -> Seeded:
    day0, day1, later = BASE, BASE + dt.timedelta(days=1), BASE + dt.timedelta(days=20)
    seeded = Seeded(logs, day0, day1, later)
    with RunStore.open(None, logs) as store:
        _store_runs(store, day0, day1, later)
        drift = {"message": f"セレクタのずれ: {DRIFT_ELEMENT} は第1候補で見つからず、第2候補で見つかりました",
                 "system": "demo_web", "element": DRIFT_ELEMENT, "candidate": 2}
        main = [(at(day0, 10), "run_started", RUN_A, {"flow_id": "shinsei-nyuryoku", "flow_version": "1.2.0"}),
                (at(day0, 10, 1), "selector_drift", RUN_A, drift),
                (at(day0, 10, 1), "record_keyed", RUN_A, {"location": "申請一覧!2", "key": "山田 太郎・1975-04-01"}),
                (at(day0, 10, 2), "record_failed", RUN_A, {"location": "申請一覧!3", "key": "鈴木 花子・********1234"}),
                (at(day0, 10, 4), "run_finished", RUN_A, {"status": "completed"}),
                (at(day1, 13), "run_started", RUN_B, {"flow_id": "zeigaku-shokai", "flow_version": "1.2.0"}),
                (at(day1, 13, 4), "run_finished", RUN_B, {"status": "aborted"}),
                (at(later, 11), "run_started", RUN_C, {"flow_id": "shinsei-nyuryoku"}),
                (at(later, 11, 4), "run_finished", RUN_C, {"status": "completed"})]
        with _write_ledger(seeded.main, Clock(), main, key) as writer:
            store.set_ledger_head("main", writer.head.seq, writer.head.hash)
        other = [(at(day1, 8), "login", None, {"system": "demo_web"}),
                 (at(day1, 8, 5), "config_changed", None, {"file": "selectors/demo_web.yaml"})]
        with _write_ledger(seeded.other, Clock(), other, key) as writer:
            store.set_ledger_head("pc2-4242", writer.head.seq, writer.head.hash)
    return seeded


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Seeded:
    monkeypatch.setenv("KZ_LOGS", str(tmp_path / "logs"))
    monkeypatch.setenv("KZ_AUDIT_KEY", KEY_HEX)
    for name in ("KZ_HOME", "KZ_STORE_URL", "KZ_LANG"):
        monkeypatch.delenv(name, raising=False)
    return seed(tmp_path / "logs")


def kz(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "250", "NO_COLOR": "1"})


# --- runs / show ------------------------------------------------------------------------------------


def test_runs_lists_every_run_with_japanese_headers(seeded: Seeded) -> None:
    result = kz("audit", "runs")
    assert result.exit_code == 0, result.output
    for header in ("実行ID", "フロー", "版", "起動", "利用者", "端末", "開始", "終了", "状態", "成功", "失敗", "要確認", "未処理"):
        assert header in result.output
    assert all(run in result.output for run in (RUN_A, RUN_B, RUN_C))
    line_a = next(line for line in result.output.splitlines() if RUN_A in line)
    assert "shinsei-nyuryoku" in line_a and "手動" in line_a and "完了" in line_a and "窓口PC-01" in line_a
    cells = [cell.strip() for cell in line_a.split("│")[1:-1]]
    assert cells[-4:] == ["1", "1", "1", "0"]  # passed, failed, review, not run


def test_runs_filters(seeded: Seeded) -> None:
    def ids(*args: str) -> set[str]:
        result = kz("audit", "runs", *args)
        assert result.exit_code == 0, result.output
        return {run for run in (RUN_A, RUN_B, RUN_C) if run in result.output}

    assert ids("--from", seeded.day0.isoformat(), "--to", seeded.day1.isoformat()) == {RUN_A, RUN_B}
    assert ids("--to", seeded.day0.isoformat()) == {RUN_A}
    assert ids("--flow", "zeigaku-shokai") == {RUN_B}
    assert ids("--user", "山田") == {RUN_A, RUN_C}
    assert ids("--status", "aborted") == {RUN_B}
    nothing = kz("audit", "runs", "--user", "誰か")
    assert nothing.exit_code == 0 and "該当する実行はありません" in nothing.output
    assert kz("audit", "runs", "--from", "2026/11/01").exit_code == 2
    assert kz("audit", "runs", "--status", "done").exit_code == 2


def test_runs_in_english(seeded: Seeded) -> None:
    result = kz("--lang", "en", "audit", "runs", "--flow", "zeigaku-shokai")
    assert result.exit_code == 0, result.output
    assert "run id" in result.output and "schedule" in result.output and "aborted" in result.output
    assert "実行ID" not in result.output


def test_show_prints_the_header_and_every_record(seeded: Seeded) -> None:
    result = kz("audit", "show", RUN_A)
    assert result.exit_code == 0, result.output
    out = result.output
    for text in ("shinsei-nyuryoku 1.2.0", "f" * 64, "e" * 64, "手動", "山田", "窓口PC-01", "申請一覧（11月）.xlsx",
                 "d" * 64, "完了", "行", "キー", "受付番号など（出力）", "エラー"):
        assert text in out, text
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if "申請一覧!" in line}
    assert "成功" in rows["申請一覧!2"] and "受付番号: 受-000101" in rows["申請一覧!2"]
    assert "失敗" in rows["申請一覧!3"] and "郵便番号が不正です" in rows["申請一覧!3"]
    assert "要確認" in rows["申請一覧!4"]


def test_show_unknown_run_exits_2(seeded: Seeded) -> None:
    result = kz("audit", "show", "no-such-run")
    assert result.exit_code == 2
    assert "実行 ID no-such-run は実行記録にありません" in result.output


# --- verify -------------------------------------------------------------------------------------------


def test_verify_intact(seeded: Seeded) -> None:
    result = kz("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "改ざんは検出されませんでした" in result.output
    assert "台帳フォルダ 2・ファイル 4・エントリ 11" in result.output
    assert "署名（MAC）も検査しました" in result.output


def test_verify_one_edited_byte_names_file_line_and_seq(seeded: Seeded) -> None:
    path = seeded.file(seeded.day0)
    raw = path.read_bytes()
    path.write_bytes(raw.replace("太郎".encode(), "次郎".encode(), 1))  # entry 3, line 3
    result = kz("audit", "verify")
    assert result.exit_code == 1, result.output
    out = result.output
    assert "改ざんまたは破損を検出しました" in out and "改ざんは検出されませんでした" not in out
    assert "台帳フォルダ: main" in out and f"ファイル: {path}" in out
    assert "行: 3" in out and "seq: 3" in out and "ハッシュが一致しません" in out
    assert f"{path}:3: seq 3: " in out


def test_verify_detects_truncation_against_the_store_head(seeded: Seeded) -> None:
    newest = seeded.file(seeded.later)
    lines = newest.read_bytes().splitlines(keepends=True)
    newest.write_bytes(lines[0])  # a clean cut: every remaining line is valid
    result = kz("audit", "verify")
    assert result.exit_code == 1, result.output
    assert "末尾が切り詰められています" in result.output and "seq: 9" in result.output


def test_verify_detects_a_deleted_ledger_folder(seeded: Seeded) -> None:
    for path in seeded.other.iterdir():
        path.unlink()
    seeded.other.rmdir()
    result = kz("audit", "verify")
    assert result.exit_code == 1, result.output
    assert "pc2-4242" in result.output and "台帳フォルダがありません" in result.output


def test_verify_a_given_folder_or_file_and_a_missing_path(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = kz("audit", "verify", str(seeded.other))
    assert folder.exit_code == 0 and "台帳フォルダ 1・ファイル 1・エントリ 2" in folder.output
    single = kz("audit", "verify", str(seeded.file(seeded.day1)))
    assert single.exit_code == 0 and "このファイルだけを検査しました" in single.output
    assert kz("audit", "verify", str(seeded.logs / "nowhere")).exit_code == 2
    monkeypatch.setenv("KZ_AUDIT_KEY", "a different key")
    wrong = kz("audit", "verify")
    assert wrong.exit_code == 1 and "署名（MAC）が一致しません" in wrong.output


def test_verify_without_a_key_checks_the_chain_and_says_so(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KZ_AUDIT_KEY")
    result = kz("audit", "verify")
    assert result.exit_code == 0 and "ハッシュの連鎖だけを検査しました" in result.output


def test_verify_with_no_ledger_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KZ_LOGS", str(tmp_path / "empty"))
    (tmp_path / "empty" / "audit").mkdir(parents=True)
    result = kz("audit", "verify")
    assert result.exit_code == 2 and "検査する監査台帳が見つかりません" in result.output


# --- archive ------------------------------------------------------------------------------------------


def test_archive_then_verify(seeded: Seeded) -> None:
    result = kz("audit", "archive", "--older-than", "15")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in seeded.main.glob("ledger-*")) == [
        f"ledger-{seeded.day0}.jsonl.gz", f"ledger-{seeded.day1}.jsonl.gz", f"ledger-{seeded.later}.jsonl"]
    assert [p.name for p in seeded.other.glob("ledger-*")] == [f"ledger-{seeded.day1}.jsonl.gz"]
    assert "main: 2 ファイルを圧縮しました" in result.output and "改ざんは検出されませんでした" in result.output
    again = kz("audit", "verify")
    assert again.exit_code == 0 and "台帳フォルダ 2・ファイル 4・エントリ 11" in again.output


def test_archive_reports_a_folder_held_by_a_writer(seeded: Seeded) -> None:
    with LedgerWriter(seeded.main, key=bytes.fromhex(KEY_HEX)):
        result = kz("audit", "archive", "--older-than", "15")
    assert result.exit_code == 3, result.output
    assert "main: 書き込み中のため圧縮しませんでした" in result.output
    assert "pc2-4242: 1 ファイルを圧縮しました" in result.output
    assert not list(seeded.main.glob("*.gz"))
    assert "改ざんは検出されませんでした" in result.output
