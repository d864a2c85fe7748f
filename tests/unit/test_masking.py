from __future__ import annotations

import datetime as dt
import json
import random
import re
import threading
import time

import pytest

from bots.masking import (
    DEFAULT_MASKER,
    MASK,
    SECRET_MARK,
    Masker,
    Span,
    find_mynumbers,
    is_valid_mynumber,
    mask_text,
    mynumber_check_digit,
)

# Worked by hand from the official formula: Σ Pn×Qn = 212, 212 mod 11 = 3, 11 − 3 = 8.
V1 = "123456789018"
V2 = "987654321093"
V3 = "202404011237"
V4 = "012345678903"
VALID = [V1, V2, V3, V4, "314159265352", "111111111118", "000000000000", "000000000060"]
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
TO_ASCII = str.maketrans("０１２３４５６７８９", "0123456789")
HYPHENS = ["-", "−", "‐", "–", "—", "ー", "－"]


def spec_remainder(first11: str) -> int:
    """The official formula written out literally, independent of the implementation."""
    p = [int(c) for c in reversed(first11)]  # p[n - 1] is Pn; P1 is the rightmost of the 11
    return sum(p[n - 1] * (n + 1 if n <= 6 else n - 5) for n in range(1, 12)) % 11


def spec_check_digit(first11: str) -> int:
    r = spec_remainder(first11)
    return 0 if r <= 1 else 11 - r


def make_valid(first11: str) -> str:
    return first11 + str(spec_check_digit(first11))


def random_valid(rng: random.Random) -> str:
    return make_valid("".join(rng.choice("0123456789") for _ in range(11)))


def leaked(digits: str, output: str) -> list[str]:
    """Runs of 5+ of the original digits still readable in ``output`` (separators ignored)."""
    flat = re.sub(r"[^0-9*]", "", output.translate(TO_ASCII))
    return [digits[i : i + 5] for i in range(len(digits) - 4) if digits[i : i + 5] in flat]


# --- check digit ---------------------------------------------------------------------------


@pytest.mark.parametrize("number", VALID)
def test_known_valid_numbers(number: str) -> None:
    assert spec_check_digit(number[:11]) == int(number[11])
    assert is_valid_mynumber(number)
    assert is_valid_mynumber(number.translate(FULLWIDTH))


def test_check_digit_matches_the_formula_on_random_bodies() -> None:
    rng = random.Random(20240401)
    for _ in range(5000):
        body = "".join(rng.choice("0123456789") for _ in range(11))
        assert mynumber_check_digit(body) == spec_check_digit(body), body


def test_remainders_zero_and_one_give_check_digit_zero() -> None:
    assert spec_remainder("00000000000") == 0 and mynumber_check_digit("00000000000") == 0
    assert spec_remainder("00000000006") == 1 and mynumber_check_digit("00000000006") == 0
    assert spec_remainder("12345678901") == 3 and mynumber_check_digit("12345678901") == 8


@pytest.mark.parametrize(
    "text",
    ["", "12345678901", "1234567890180", "12345678901a", "1234-5678-9018", " 123456789018", "١٢٣٤٥٦٧٨٩٠١٨"],
)
def test_not_twelve_plain_digits_is_invalid(text: str) -> None:
    assert not is_valid_mynumber(text)


@pytest.mark.parametrize("number", [n for n in VALID if spec_remainder(n[:11]) >= 2])
def test_every_single_digit_change_fails(number: str) -> None:
    for i in range(12):
        for d in "0123456789":
            if d != number[i]:
                changed = number[:i] + d + number[i + 1 :]
                assert not is_valid_mynumber(changed), changed


@pytest.mark.parametrize("number", [n for n in VALID if spec_remainder(n[:11]) >= 2])
def test_every_adjacent_transposition_of_the_first_11_fails(number: str) -> None:
    for i in range(10):
        if number[i] != number[i + 1]:
            swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
            assert not is_valid_mynumber(swapped), swapped


def test_the_formula_cannot_tell_remainder_zero_from_one() -> None:
    # A documented blind spot of the official algorithm, not of ours: both end in 0.
    assert is_valid_mynumber("000000000000") and is_valid_mynumber("000000000060")


# --- detection -----------------------------------------------------------------------------

M1 = MASK + "9018"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (V1, M1),
        ("1234-5678-9018", M1),
        ("1234 5678 9018", M1),
        ("1234　5678　9018", M1),
        ("1234 - 5678 - 9018", M1),
        ("1234-5678 9018", M1),
        ("12345678-9018", M1),
        ("１２３４５６７８９０１８", M1),
        ("１２３４ ５６７８ ９０１８", M1),
        ("個人番号は１２３４－５６７８－９０１８です", f"個人番号は{M1}です"),
        ("個人番号：123456789018。", f"個人番号：{M1}。"),
        ('{"個人番号": "123456789018", "氏名": "山田"}', f'{{"個人番号": "{M1}", "氏名": "山田"}}'),
        ('{"msg":"番号 1234-5678-9018 を登録"}', f'{{"msg":"番号 {M1} を登録"}}'),
        ("123456789018 を登録しました", f"{M1} を登録しました"),
        ("登録番号:123456789018", f"登録番号:{M1}"),
        ("一行目\n123456789018\n三行目", f"一行目\n{M1}\n三行目"),
        ("ID123456789018X", f"ID{M1}X"),
        (f"本人 {V1}、配偶者 {V2}", f"本人 {M1}、配偶者 {MASK}1093"),
        (f"{V1}{'、'}{V4}", f"{M1}、{MASK}8903"),
        ("0123 4567 8903", MASK + "8903"),
        # the first 12 of a space-grouped 16-digit card: masked, we err on the side of masking
        ("1234 5678 9018 3456", f"{M1} 3456"),
    ],
)
def test_detected_and_masked(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize("hyphen", HYPHENS)
def test_every_hyphen_kind(hyphen: str) -> None:
    assert mask_text(f"番号 1234{hyphen}5678{hyphen}9018 です") == f"番号 {M1} です"


@pytest.mark.parametrize(
    "text",
    [
        "123456789019",  # check digit wrong
        "1234-5678-9019",
        "１２３４５６７８９０１９",
        "123456789081",  # last two swapped
        "1123456789018",  # 13 digits around a valid 12
        "1234567890181",
        "0000123456789018",  # 16 digits
        "１２３４５６７８９０１８１",
        "1234-5678-9018-3456",  # a hyphen-grouped card number is one longer number
        "0000-1234-5678-9018",
        "090-1234-5678",
        "03-1234-5678",
        "2024-05-01T12:34:56.789+09:00 run=20240501-123456 record 5",
        "12-3456-7890-18",  # not a grouping we recognise
        "",
    ],
)
def test_not_masked(text: str) -> None:
    assert mask_text(text) == text
    assert find_mynumbers(text) == []


def test_spans_of_two_numbers() -> None:
    text = f"A:{V1} B:1234-5678-9018"
    spans = find_mynumbers(text)
    assert spans == [Span(2, 14), Span(17, 31)]
    assert [text[s.start : s.end] for s in spans] == [V1, "1234-5678-9018"]


def test_a_later_group_can_start_a_number_after_an_invalid_one() -> None:
    # "9999 1234 5678" is not valid, so the scan must still try "1234 5678 9018" after it.
    body = "1234 5678 9018"
    assert not is_valid_mynumber("999912345678")
    assert mask_text(f"9999 {body}") == f"9999 {M1}"


def test_random_valid_numbers_are_masked_in_any_form() -> None:
    rng = random.Random(1234)
    contexts = ["個人番号は{}です", "{}", "番号：{}。", '{{"n": "{}"}}', "旧 {} を訂正", "({})"]
    for _ in range(2000):
        digits = random_valid(rng)
        groups = [digits[0:4], digits[4:8], digits[8:12]]
        sep = rng.choice(["", " ", "　", " - ", *HYPHENS])
        written = sep.join(groups)
        if rng.random() < 0.3:
            written = written.translate(FULLWIDTH)
        text = rng.choice(contexts).format(written)
        out = mask_text(text)
        assert MASK + digits[-4:] in out, text
        assert leaked(digits, out) == [], (text, out)
        assert len(find_mynumbers(text)) == 1
        # and one wrong check digit leaves it alone
        wrong = digits[:11] + str((int(digits[11]) + rng.randint(1, 9)) % 10)
        assert mask_text(wrong) == wrong


def test_a_megabyte_of_log_is_fast() -> None:
    line = "2024-05-01T12:34:56.789+09:00 INFO step browser.fill 申請入力.氏名 ok 0.12s 東京都千代田区1-2-3\n"
    text = line * (1_000_000 // len(line.encode()))
    started = time.perf_counter()
    assert mask_text(text) is text
    assert time.perf_counter() - started < 0.5  # measured ~15 ms; generous for slow CI


# --- Masker --------------------------------------------------------------------------------


@pytest.fixture
def masker() -> Masker:
    return Masker(sensitive_fields={"個人番号", "口座番号", "暗証"}, secrets={"p@ss w0rd!"})


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("個人番号", V1, M1),
        ("個人番号", "１２３４５６７８９０１８", M1),
        ("口座番号", "1234567", MASK + "4567"),
        ("口座番号", 1234567, MASK + "4567"),
        ("口座番号", "1234", "****"),
        ("口座番号", 12, "****"),
        ("口座番号", dt.date(1975, 4, 1), "****"),  # a birthday's tail is the birthday
        ("口座番号", dt.datetime(1975, 4, 1, 9, 30), "****"),
        ("口座番号", True, "****"),
        ("口座番号", None, None),
        ("口座番号", "", ""),
        ("個人番号 ", V1, M1),  # header with a stray space
        ("暗証", "p@ss w0rd!", SECRET_MARK),  # not even the last 4 of a secret
        ("氏名", "山田 太郎", "山田 太郎"),
        ("備考", f"旧番号 {V1}", f"旧番号 {M1}"),
        ("備考", "パスワードは p@ss w0rd! です", f"パスワードは {SECRET_MARK} です"),
        (None, f"番号 {V1}", f"番号 {M1}"),
        ("件数", 42, 42),
        ("件数", int(V1), M1),  # an Excel number in a column nobody marked sensitive
        ("件数", int(V4), MASK + "8903"),  # ... even with its leading zero lost
        ("生年月日", dt.date(1975, 4, 1), dt.date(1975, 4, 1)),
    ],
)
def test_value(masker: Masker, field: str | None, value: object, expected: object) -> None:
    assert masker.value(field, value) == expected


def test_field_names_are_compared_after_nfkc() -> None:
    m = Masker(sensitive_fields={"ＩＤ番号"})
    assert m.value("ID番号", "A1234567") == MASK + "4567"


def test_mapping_of_a_record(masker: Masker) -> None:
    record = {
        "氏名": "山田 太郎",
        "個人番号": "１２３４－５６７８－９０１８",
        "口座番号": 7654321,
        "生年月日": dt.date(1975, 4, 1),
        "備考": f"旧番号 {V2} は誤り",
        "家族": [
            {"氏名": "山田 花子", "個人番号": V3},
            {"氏名": "山田 一郎", "個人番号": None},
        ],
        "履歴": ({"メモ": f"連絡 {V4}", "件数": 2},),
        "振込先": {"口座番号": {"銀行": "みずほ", "番号": "7654321"}},
        "個人番号一覧": {"個人番号": [V1, V2]},
    }
    original = json.loads(json.dumps(record, default=str))
    assert masker.mapping(record) == {
        "氏名": "山田 太郎",
        "個人番号": M1,
        "口座番号": MASK + "4321",
        "生年月日": dt.date(1975, 4, 1),
        "備考": f"旧番号 {MASK}1093 は誤り",
        "家族": [
            {"氏名": "山田 花子", "個人番号": MASK + "1237"},
            {"氏名": "山田 一郎", "個人番号": None},
        ],
        "履歴": ({"メモ": f"連絡 {MASK}8903", "件数": 2},),
        "振込先": {"口座番号": {"銀行": "****", "番号": MASK + "4321"}},  # every leaf below a sensitive field
        "個人番号一覧": {"個人番号": [M1, MASK + "1093"]},
    }
    assert json.loads(json.dumps(record, default=str)) == original  # the input is not modified


def test_keys_holding_numbers_are_masked_without_collisions() -> None:
    other = next(
        n for n in (make_valid(f"{i:08d}901") for i in range(10**6)) if n.endswith("9018") and n != V1
    )
    masked = DEFAULT_MASKER.mapping({V1: "a", other: "b", "件数": 1})
    assert masked == {M1: "a", M1 + "#2": "b", "件数": 1}


def test_random_records_never_leak() -> None:
    rng = random.Random(99)
    m = Masker(sensitive_fields={"個人番号"})
    for _ in range(300):
        numbers = [random_valid(rng) for _ in range(4)]
        record = {
            "個人番号": numbers[0],
            "備考": f"家族の番号は {numbers[1]} です",
            "明細": [
                {"番号": numbers[2]},
                {"メモ": [f"{numbers[3][:4]}-{numbers[3][4:8]}-{numbers[3][8:]}"]},
            ],
        }
        shown = json.dumps(m.mapping(record), ensure_ascii=False)
        for digits in numbers:
            assert leaked(digits, shown) == [], shown


# --- secrets -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("login failed for kazaguruma/p@ss w0rd!", f"login failed for kazaguruma/{SECRET_MARK}"),
        (
            "https://kazaguruma:p%40ss%20w0rd%21@demo.local/login",
            f"https://kazaguruma:{SECRET_MARK}@demo.local/login",
        ),
        ("POST /login?user=a&password=p%40ss+w0rd%21&x=1", f"POST /login?user=a&password={SECRET_MARK}&x=1"),
        ("xxp@ss w0rd!yy", f"xx{SECRET_MARK}yy"),
        ("p@ss w0rd!p@ss w0rd!", SECRET_MARK * 2),
        (f"p@ss w0rd! と {V1}", f"{SECRET_MARK} と {M1}"),
        ("p@ss w0rd", "p@ss w0rd"),  # not the whole secret
    ],
)
def test_secrets_are_hidden_everywhere(masker: Masker, text: str, expected: str) -> None:
    assert masker.text(text) == expected


def test_json_and_html_escaped_secrets() -> None:
    m = Masker(secrets={'pa"ss<&>ワード'})
    assert m.text(json.dumps({"password": 'pa"ss<&>ワード'})) == f'{{"password": "{SECRET_MARK}"}}'
    assert m.text("<td>pa&quot;ss&lt;&amp;&gt;ワード</td>") == f"<td>{SECRET_MARK}</td>"


def test_a_longer_secret_is_hidden_whole() -> None:
    m = Masker(secrets={"secret", "secret-and-more"})
    assert m.text("a secret-and-more b secret") == f"a {SECRET_MARK} b {SECRET_MARK}"


def test_short_secrets_are_refused() -> None:
    m = Masker(secrets={"abc"})
    assert m.add_secret("") is False and m.add_secret("xyz") is False
    assert m.text("abc xyz abcd") == "abc xyz abcd"
    assert m.add_secret("abcd") is True
    assert m.text("abc xyz abcd") == f"abc xyz {SECRET_MARK}"


def test_secrets_in_mapping_keys_and_values(masker: Masker) -> None:
    assert masker.mapping({"url": "https://u:p@ss w0rd!@h/", "p@ss w0rd!": 1}) == {
        "url": f"https://u:{SECRET_MARK}@h/",
        SECRET_MARK: 1,
    }


def test_adding_secrets_while_other_threads_mask() -> None:
    m = Masker()
    secrets = [f"secret-{i:03d}" for i in range(200)]
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                m.text(f"secret-000 {V1}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    readers = [threading.Thread(target=reader) for _ in range(4)]
    for t in readers:
        t.start()
    writers = [
        threading.Thread(target=lambda chunk=chunk: [m.add_secret(s) for s in chunk])
        for chunk in (secrets[i::4] for i in range(4))
    ]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert errors == []
    assert m.text(" ".join(secrets)) == " ".join([SECRET_MARK] * len(secrets))


def test_default_masker_masks_numbers_only() -> None:
    assert DEFAULT_MASKER.sensitive_fields == frozenset()
    assert DEFAULT_MASKER.value("個人番号", "山田") == "山田"
    assert DEFAULT_MASKER.text(f"番号 {V1} password") == f"番号 {M1} password"
