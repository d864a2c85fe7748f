"""The ledger entry's canonical form, sealing and per-entry checks (no files)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import pytest

from bots import i18n
from bots.audit.entry import GENESIS, Flaw, Sealer, canonical, parse_line, to_entry

KEY = b"test-key-0123456789"


def body(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"seq": 1, "ts": "2026-04-01T09:00:00.000+09:00", "type": "record_keyed",
                              "actor": "scheduler", "run_id": "r1", "data": {"氏名": "風間 太郎", "n": 1},
                              "prev": GENESIS}
    return fields | changes


@pytest.mark.parametrize("obj", [
    body(),
    {"z": 1, "a": {"y": [{"d": 1, "c": 2}], "x": None}, "氏名": "車田", "ｱ": True, "😀": "絵文字", "A": -1},
    {"s": "tab\there\nnl \x00 \x1f \x7f \u2028 \"quoted\" \\ / 全角　空白"},
    {"f": [1.5, 0.1, 1e16, 123456789.125, -0.0], "big": 2**63 - 1},
])
def test_canonical_is_sorted_compact_unescaped_json(obj: dict[str, Any]) -> None:
    expected = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert canonical(obj) == expected


def test_seal_hashes_and_macs_the_canonical_body_without_hash_and_mac() -> None:
    fields = body()
    digest, mac, line = Sealer(KEY).seal(fields)
    expected_body = canonical(fields)
    assert digest == hashlib.sha256(expected_body).hexdigest()
    assert mac == hmac.new(KEY, expected_body, hashlib.sha256).hexdigest()
    assert line == canonical(fields | {"hash": digest, "mac": mac}) + b"\n"


@pytest.mark.parametrize("key", [b"k", b"x" * 64, b"long key " * 20, "鍵".encode()])
def test_mac_is_standard_hmac_sha256_for_any_key_length(key: bytes) -> None:
    assert Sealer(key).mac(b"body") == hmac.new(key, b"body", hashlib.sha256).hexdigest()


def test_japanese_stays_readable_in_the_line_and_round_trips() -> None:
    _, _, line = Sealer(None).seal(body())
    assert "風間 太郎".encode() in line and b"\\u" not in line
    obj = parse_line(line)
    assert obj is not None and obj["data"]["氏名"] == "風間 太郎"
    assert to_entry(obj).data == {"氏名": "風間 太郎", "n": 1}


def test_unsigned_line_has_no_mac_field() -> None:
    _, mac, line = Sealer(None).seal(body())
    assert mac is None and b'"mac"' not in line


@pytest.mark.parametrize("data", [{"when": dt.datetime(2026, 4, 1)}, {1: "int key"}, {"big": 2**70}, {"s": {1, 2}}])
def test_non_json_data_is_refused(data: dict[Any, Any]) -> None:
    with pytest.raises(ValueError, match="JSON"):
        Sealer(None).seal(body(data=data))


@pytest.mark.parametrize("kind", ["Run Started", "", "run-started", "実行開始"])
def test_event_types_are_snake_case(kind: str) -> None:
    with pytest.raises(ValueError, match="snake_case|英小文字"):
        Sealer(None).seal(body(type=kind))


def sealed(key: bytes | None = None, **changes: Any) -> dict[str, Any]:
    obj = parse_line(Sealer(key).seal(body(**changes))[2])
    assert obj is not None
    return obj


def test_check_accepts_a_sealed_entry_and_keeps_hash_and_mac() -> None:
    obj = sealed(KEY)
    assert Sealer(KEY).check(obj) is None
    assert set(obj) == {"seq", "ts", "type", "actor", "run_id", "data", "prev", "hash", "mac"}


def test_check_without_key_ignores_macs() -> None:
    assert Sealer(None).check(sealed(KEY)) is None


@pytest.mark.parametrize(("tamper", "key", "flaw"), [
    (lambda o: o["data"].update(n=2), None, Flaw.HASH),
    (lambda o: o.update(actor="someone"), None, Flaw.HASH),
    (lambda o: o.pop("ts"), None, Flaw.MALFORMED),
    (lambda o: o.update(extra=1), None, Flaw.MALFORMED),
    (lambda o: o.update(seq="1"), None, Flaw.MALFORMED),
    (lambda o: o.pop("mac"), KEY, Flaw.UNSIGNED),
    (lambda o: o.update(mac="0" * 64), KEY, Flaw.MAC),
])
def test_check_reports_what_is_wrong(tamper: Any, key: bytes | None, flaw: Flaw) -> None:
    obj = sealed(KEY)
    tamper(obj)
    found = Sealer(key).check(obj)
    assert found is not None and found[0] is flaw


def test_wrong_key_is_a_mac_mismatch() -> None:
    found = Sealer(b"another key").check(sealed(KEY))
    assert found is not None and found[0] is Flaw.MAC


def test_parse_line_refuses_non_objects() -> None:
    assert parse_line(b"[1, 2]\n") is None
    assert parse_line(b'{"seq": 1\n') is None


def test_messages_are_japanese_with_english_available() -> None:
    assert Flaw.HASH.message() == "ハッシュが一致しません（内容が変更されています）"
    assert Flaw.LINK.message() == "前のエントリとのつながりが切れています（行の削除・挿入・入れ替え）"
    assert Flaw.SEQ_GAP.message(expected=3, found=5).startswith("連番が飛んでいます")
    assert Flaw.TORN.message().startswith("末尾が切り詰められています")
    i18n.set_language("en")
    assert Flaw.HASH.message() == "hash mismatch (the content was changed)"
    assert Flaw.SEQ_GAP.message(expected=3, found=5) == "sequence gap (expected 3, found 5)"
