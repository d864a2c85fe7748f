from __future__ import annotations

import datetime as dt

import pytest

from bots import i18n
from bots.records.coerce import ZERO_NOTE, coerce_value, zero_padded_width
from bots.records.model import ColumnSpec, ColumnType

PHONE_NOTE = f"{ZERO_NOTE}（電話番号は0から始まります）"

OK_CASES: list[tuple[ColumnType, object, str | None, object, list[str]]] = [
    # type, cell value, number_format, expected value, expected notes
    ("str", "  山田　太郎　", None, "山田　太郎", []),
    ("str", 123.0, None, "123", []),
    ("str", 123456789012, None, "123456789012", []),
    ("str", 123456789012.0, None, "123456789012", []),
    ("str", 3.5, None, "3.5", []),
    ("str", "髙橋", None, "髙橋", []),  # never NFKC: names keep their characters
    ("str", "神", None, "神", []),  # U+FA19, a compatibility ideograph NFKC would rewrite
    ("str", dt.datetime(2024, 4, 1), None, "2024-04-01", []),
    ("str", True, None, "TRUE", []),
    ("str", None, None, None, []),
    ("str", "", None, None, []),
    ("str", "　 ", None, None, []),
    ("int", 42, None, 42, []),
    ("int", 42.0, None, 42, []),
    ("int", "１２３", None, 123, []),
    ("int", " 1,234 ", None, 1234, []),
    ("int", "-7", None, -7, []),
    ("date", dt.datetime(2024, 4, 1, 0, 0), None, dt.date(2024, 4, 1), []),
    ("date", dt.date(2024, 4, 1), None, dt.date(2024, 4, 1), []),
    ("date", "2024/4/1", None, dt.date(2024, 4, 1), []),
    ("date", "2024-04-01", None, dt.date(2024, 4, 1), []),
    ("date", "2024年4月1日", None, dt.date(2024, 4, 1), []),
    ("date", "２０２４年４月１日", None, dt.date(2024, 4, 1), []),
    ("date", "２０２４／０４／０１", None, dt.date(2024, 4, 1), []),
    ("date", "2024/4/1 12:00", None, dt.date(2024, 4, 1), []),
    ("date", "2024-04-01T09:30:00", None, dt.date(2024, 4, 1), []),
    ("date", "20240401", None, dt.date(2024, 4, 1), []),
    ("date", 20240401, None, dt.date(2024, 4, 1), []),
    ("date", "令和6年4月1日", None, dt.date(2024, 4, 1), []),
    ("date", "H12.1.1", None, dt.date(2000, 1, 1), []),
    ("wareki", "昭和52年3月14日", None, dt.date(1977, 3, 14), []),
    ("wareki", "Ｓ５２．３．１４", None, dt.date(1977, 3, 14), []),
    ("wareki", dt.datetime(1977, 3, 14), None, dt.date(1977, 3, 14), []),
    ("wareki", "1977-03-14", None, dt.date(1977, 3, 14), []),
    ("zip", "123-4567", None, "1234567", []),
    ("zip", "1234567", None, "1234567", []),
    ("zip", "〒123-4567", None, "1234567", []),
    ("zip", "〒 123-4567", None, "1234567", []),
    ("zip", "１２３－４５６７", None, "1234567", []),
    ("zip", "123ー4567", None, "1234567", []),
    ("zip", "123‐4567", None, "1234567", []),
    ("zip", "123−4567", None, "1234567", []),
    ("zip", "123–4567", None, "1234567", []),
    ("zip", 1234567, None, "1234567", []),
    ("zip", 600000, None, "0600000", [ZERO_NOTE]),
    ("zip", 10001, None, "0010001", [ZERO_NOTE]),
    ("zip", 600000.0, None, "0600000", [ZERO_NOTE]),
    ("zip", 600000, "000-0000", "0600000", []),
    ("zip", 600000, '"〒"000-0000', "0600000", []),
    ("phone", "03-1234-5678", None, "0312345678", []),
    ("phone", "090-1234-5678", None, "09012345678", []),
    ("phone", "(03)1234-5678", None, "0312345678", []),
    ("phone", "（０３）１２３４－５６７８", None, "0312345678", []),
    ("phone", "０９０　１２３４　５６７８", None, "09012345678", []),
    ("phone", "0263-12-3456", None, "0263123456", []),
    ("phone", "+81-90-1234-5678", None, "09012345678", ["国際表記（+81）を国内表記に直しました"]),
    ("phone", 312345678, None, "0312345678", [PHONE_NOTE]),
    ("phone", 9012345678, None, "09012345678", [PHONE_NOTE]),
    ("phone", 9012345678.0, None, "09012345678", [PHONE_NOTE]),
    ("phone", 9012345678, "00000000000", "09012345678", []),
    ("phone", 312345678, "0000000000", "0312345678", []),
    ("phone", 312345678, "00-0000-0000", "0312345678", []),
    ("kana", "ヤマダ タロウ", None, "ヤマダ　タロウ", []),
    ("kana", "ヤマダ　　タロウ ", None, "ヤマダ　タロウ", []),
    ("kana", "やまだ　たろう", None, "ヤマダ　タロウ", []),
    ("kana", "ﾔﾏﾀﾞ ﾀﾛｳ", None, "ヤマダ　タロウ", []),
    ("kana", "ｼﾞｮｰｼﾞ", None, "ジョージ", []),
    ("kana", "オオノ　ユーキ", None, "オオノ　ユーキ", []),
    ("kana", "スミス・ジョン", None, "スミス・ジョン", []),
    ("kana", "ヴァン", None, "ヴァン", []),
]


@pytest.mark.parametrize(("kind", "value", "number_format", "expected", "notes"), OK_CASES)
def test_coerce_ok(
    kind: ColumnType, value: object, number_format: str | None, expected: object, notes: list[str]
) -> None:
    assert coerce_value(value, ColumnSpec(type=kind), number_format) == (expected, notes)


BAD_CASES: list[tuple[ColumnType, object, str | None, str]] = [
    # type, cell value, number_format, expected reason
    ("int", 3.5, None, "整数ではありません"),
    ("int", "3.5", None, "整数ではありません"),
    ("int", "abc", None, "整数ではありません"),
    ("int", True, None, "整数ではありません"),
    ("date", "2024/2/30", None, "存在しない日付です"),
    ("date", "来週", None, "日付として読めません"),
    ("date", 45000, None, "日付として読めません"),  # a serial number in an unformatted cell is ambiguous
    ("date", "令和5年2月30日", None, "存在しない日付です: 令和5年2月30日"),
    ("wareki", "令和5年2月30日", None, "存在しない日付です"),
    ("wareki", "昭和65年1月1日", None, "昭和は64年1月7日"),
    ("wareki", "昭和五十年", None, "和暦の日付として読めません"),
    ("zip", "123-456", None, "郵便番号は7桁"),
    ("zip", "12-34567", None, "郵便番号は7桁"),
    ("zip", "1234-567", None, "郵便番号は7桁"),
    ("zip", "12345678", None, "郵便番号は7桁"),
    ("zip", "060000", None, "郵便番号は7桁"),  # text keeps zeros: six digits typed as text are a typo
    ("zip", "ABC-DEFG", None, "郵便番号は7桁"),
    ("zip", 1234, None, "郵便番号は7桁"),
    ("zip", 12345678, None, "郵便番号は7桁"),
    ("zip", 60000.5, None, "郵便番号は7桁"),
    ("phone", "03-1234-567", None, "電話番号は0から始まる10桁または11桁"),
    ("phone", "3-1234-5678", None, "電話番号は0から始まる10桁または11桁"),
    ("phone", "090-1234-56789", None, "電話番号は0から始まる10桁または11桁"),
    ("phone", "03-1234-5678 内線12", None, "電話番号は0から始まる10桁または11桁"),
    ("phone", "0012345678", None, "電話番号は0から始まる10桁または11桁"),
    ("phone", 12345, None, "電話番号は0から始まる10桁または11桁"),
    ("phone", 312345678, "00000000000", "電話番号は0から始まる10桁または11桁"),  # 00… is not domestic
    ("kana", "山田　太郎", None, "フリガナはカタカナで入力してください"),
    ("kana", "Yamada", None, "フリガナはカタカナで入力してください"),
    ("kana", "ヤマダ1", None, "フリガナはカタカナで入力してください"),
    ("kana", 123, None, "フリガナはカタカナで入力してください"),
]


@pytest.mark.parametrize(("kind", "value", "number_format", "reason"), BAD_CASES)
def test_coerce_refuses(kind: ColumnType, value: object, number_format: str | None, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        coerce_value(value, ColumnSpec(type=kind), number_format)


@pytest.mark.parametrize("kind", ["str", "int", "date", "wareki", "zip", "phone", "kana"])
@pytest.mark.parametrize("value", [None, "", "  ", "　"])
def test_required_and_empty(kind: ColumnType, value: object) -> None:
    with pytest.raises(ValueError, match="^必須項目が空です$"):
        coerce_value(value, ColumnSpec(type=kind, required=True))
    assert coerce_value(value, ColumnSpec(type=kind)) == (None, [])


def test_sensitive_values_stay_out_of_messages() -> None:
    for kind, value in [("phone", "03-1234-567"), ("zip", "98-765"), ("wareki", "令和5年2月30日"), ("int", "x9")]:
        with pytest.raises(ValueError) as caught:
            coerce_value(value, ColumnSpec(type=kind, sensitive=True))  # type: ignore[arg-type]
        assert str(value) not in str(caught.value)


def test_english_reasons_and_notes() -> None:
    i18n.set_language("en")
    with pytest.raises(ValueError, match=r"^enter the postcode as 7 digits \(e\.g\. 123-4567\): '123-456'$"):
        coerce_value("123-456", ColumnSpec(type="zip"))
    with pytest.raises(ValueError, match="^this required field is empty$"):
        coerce_value("", ColumnSpec(required=True))
    with pytest.raises(ValueError, match="^cannot read as a Japanese-era date: '昭和五十年'$"):
        coerce_value("昭和五十年", ColumnSpec(type="wareki"))
    with pytest.raises(ValueError, match="^cannot read as a date: '来週'$"):
        coerce_value("来週", ColumnSpec(type="date"))
    assert coerce_value(600000, ColumnSpec(type="zip")) == ("0600000", ["restored the leading zero"])
    assert coerce_value(312345678, ColumnSpec(type="phone")) == (
        "0312345678", ["restored the leading zero (phone numbers start with 0)"]
    )  # fmt: skip
    with pytest.raises(ValueError) as caught:  # sensitive values stay out in English too
        coerce_value("令和5年2月30日", ColumnSpec(type="wareki", sensitive=True))
    assert str(caught.value) == "no such date"
    i18n.set_language(None)
    assert coerce_value(600000, ColumnSpec(type="zip")) == ("0600000", [ZERO_NOTE])


@pytest.mark.parametrize(
    ("number_format", "width"),
    [("00000000000", 11), ("000-0000", 7), ('"〒"000-0000', 7), ("00-0000-0000", 10), ("General", None),
     ("0.00", None), ("#,##0", None), (None, None), ("@", None)],
)  # fmt: skip
def test_zero_padded_width(number_format: str | None, width: int | None) -> None:
    assert zero_padded_width(number_format) == width
