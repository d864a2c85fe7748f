"""Every pydantic-core error type as a message for a flow author, in Japanese and English.

pydantic's own messages are English and speak of Python types ("Input should be a finite number");
a municipal author reads Japanese and writes YAML. The table covers every type pydantic-core
defines (a unit test checks it against ``pydantic_core.core_schema.ErrorType``), so no English
message reaches a diagnostic when pydantic adds validators we use later; a type unknown to the
table (a newer pydantic-core) still gets a Japanese sentence with pydantic's text beside it.

``{v}`` is the offending value as written; other fields come from the error's ``ctx``.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails

from bots.i18n import tr

_T = tuple[str, str]

_WRONG_TYPE: dict[str, _T] = {
    "string_type": ("文字列", "a string"), "string_unicode": ("文字列", "a string"),
    "int_type": ("整数", "an integer"), "int_parsing": ("整数", "an integer"),
    "int_from_float": ("整数（小数なし）", "a whole number"), "int_parsing_size": ("整数（桁数が多すぎます）", "a smaller integer"),
    "float_type": ("数値", "a number"), "float_parsing": ("数値", "a number"),
    "bool_type": ("true/false", "true/false"), "bool_parsing": ("true/false", "true/false"),
    "list_type": ("リスト", "a list"), "tuple_type": ("リスト", "a list"), "set_type": ("リスト", "a list"),
    "frozen_set_type": ("リスト", "a list"), "deque_type": ("リスト", "a list"), "iterable_type": ("リスト", "a list"),
    "dict_type": ("マッピング（キー: 値）", "a mapping (key: value)"),
    "frozen_dict_type": ("マッピング（キー: 値）", "a mapping (key: value)"),
    "ordered_dict_type": ("マッピング（キー: 値）", "a mapping (key: value)"),
    "counter_type": ("マッピング（キー: 値）", "a mapping (key: value)"),
    "mapping_type": ("マッピング（キー: 値）", "a mapping (key: value)"),
    "model_type": ("マッピング（キー: 値）", "a mapping (key: value)"),
    "model_attributes_type": ("マッピング（キー: 値）", "a mapping (key: value)"),
    "dataclass_type": ("マッピング（キー: 値）", "a mapping (key: value)"),
    "dataclass_exact_type": ("マッピング（キー: 値）", "a mapping (key: value)"),
    "named_tuple_type": ("リスト", "a list"), "arguments_type": ("リストかマッピング", "a list or a mapping"),
    "bytes_type": ("文字列", "a string"), "none_required": ("空の値（null）", "an empty value (null)"),
    "date_type": ("日付（2027-03-31）", "a date (2027-03-31)"),
    "date_parsing": ("日付（2027-03-31）", "a date (2027-03-31)"),
    "date_from_datetime_parsing": ("日付（2027-03-31）", "a date (2027-03-31)"),
    "time_type": ("時刻（09:30）", "a time (09:30)"), "time_parsing": ("時刻（09:30）", "a time (09:30)"),
    "datetime_type": ("日時（2027-03-31T09:30:00）", "a date and time (2027-03-31T09:30:00)"),
    "datetime_parsing": ("日時（2027-03-31T09:30:00）", "a date and time (2027-03-31T09:30:00)"),
    "datetime_from_date_parsing": ("日時（2027-03-31T09:30:00）", "a date and time (2027-03-31T09:30:00)"),
    "datetime_object_invalid": ("日時（2027-03-31T09:30:00）", "a date and time (2027-03-31T09:30:00)"),
    "time_delta_type": ("時間（5s / 2m）", "a duration (5s / 2m)"), "time_delta_parsing": ("時間（5s / 2m）", "a duration (5s / 2m)"),
    "url_type": ("URL", "a URL"), "url_parsing": ("URL", "a URL"), "url_syntax_violation": ("URL", "a URL"),
    "uuid_type": ("UUID", "a UUID"), "uuid_parsing": ("UUID", "a UUID"),
    "decimal_type": ("数値", "a number"), "decimal_parsing": ("数値", "a number"),
    "fraction_type": ("数値", "a number"), "fraction_parsing": ("数値", "a number"),
    "complex_type": ("数値", "a number"), "complex_str_parsing": ("数値", "a number"),
    "callable_type": ("呼び出せる値", "a callable"), "json_type": ("文字列", "a string"),
    "is_instance_of": ("{class} の値", "a value of {class}"), "is_subclass_of": ("{class} の型", "a subclass of {class}"),
    "enum": ("次のどれか: {expected}", "one of {expected}"), "literal_error": ("次のどれか: {expected}", "one of {expected}"),
    "missing_sentinel_error": ("MISSING", "MISSING"), "ellipsis_error": ("...", "..."),
}

_OTHER: dict[str, _T] = {
    "missing": ("必須のキーがありません", "a required key is missing"),
    "missing_argument": ("必須のキーがありません", "a required key is missing"),
    "missing_keyword_only_argument": ("必須のキーがありません", "a required key is missing"),
    "missing_positional_only_argument": ("必須の値がありません", "a required value is missing"),
    "extra_forbidden": ("不明なキーです", "unknown key"),
    "unexpected_keyword_argument": ("不明なキーです", "unknown key"),
    "unexpected_positional_argument": ("余分な値があります", "an extra value"),
    "multiple_argument_values": ("同じ値が二度書かれています", "the same value is given twice"),
    "no_such_attribute": ("不明な項目です: {attribute}", "no such attribute: {attribute}"),
    "invalid_key": ("キーは文字列で書いてください", "keys must be strings"),
    "set_item_not_hashable": ("リストの要素にマッピングやリストは書けません", "list items here must be plain values"),
    "frozen_field": ("この項目は変更できません", "this field cannot change"),
    "frozen_instance": ("この値は変更できません", "this value cannot change"),
    "greater_than": ("{gt} より大きい値にしてください（値: {v}）", "must be greater than {gt} (got {v})"),
    "greater_than_equal": ("{ge} 以上にしてください（値: {v}）", "must be at least {ge} (got {v})"),
    "less_than": ("{lt} より小さい値にしてください（値: {v}）", "must be less than {lt} (got {v})"),
    "less_than_equal": ("{le} 以下にしてください（値: {v}）", "must be at most {le} (got {v})"),
    "multiple_of": ("{multiple_of} の倍数にしてください（値: {v}）", "must be a multiple of {multiple_of} (got {v})"),
    "finite_number": ("有限の数を書いてください（.inf・.nan や大きすぎる数は使えません）（値: {v}）",
                      "must be a finite number (not .inf, .nan or too large) (got {v})"),
    "too_short": ("{min_length} 個以上書いてください（{actual_length} 個です）",
                  "give at least {min_length} item(s) (got {actual_length})"),
    "too_long": ("{max_length} 個以下にしてください（{actual_length} 個あります）",
                 "give at most {max_length} item(s) (got {actual_length})"),
    "string_too_short": ("{min_length} 文字以上書いてください（値: {v}）", "must be at least {min_length} character(s) (got {v})"),
    "string_too_long": ("{max_length} 文字以下にしてください", "must be at most {max_length} character(s)"),
    "string_pattern_mismatch": ("書式が違います（値: {v}）", "wrong format (got {v})"),
    "string_not_ascii": ("半角英数字で書いてください（値: {v}）", "use ASCII characters only (got {v})"),
    "bytes_too_short": ("{min_length} バイト以上にしてください", "must be at least {min_length} byte(s)"),
    "bytes_too_long": ("{max_length} バイト以下にしてください", "must be at most {max_length} byte(s)"),
    "bytes_invalid_encoding": ("{encoding} として読めません", "not valid {encoding}"),
    "url_too_long": ("URL は {max_length} 文字以下にしてください", "the URL must be at most {max_length} characters"),
    "url_scheme": ("URL は {expected_schemes} で始めてください（値: {v}）", "the URL must use {expected_schemes} (got {v})"),
    "uuid_version": ("UUID のバージョン {expected_version} が必要です", "UUID version {expected_version} expected"),
    "decimal_max_digits": ("全体で {max_digits} 桁以下にしてください（値: {v}）", "at most {max_digits} digits (got {v})"),
    "decimal_max_places": ("小数点以下は {decimal_places} 桁以下にしてください（値: {v}）",
                           "at most {decimal_places} decimal places (got {v})"),
    "decimal_whole_digits": ("整数部は {whole_digits} 桁以下にしてください（値: {v}）",
                             "at most {whole_digits} digits before the point (got {v})"),
    "date_from_datetime_inexact": ("日付だけを書いてください（時刻なし）（値: {v}）", "write a date without a time (got {v})"),
    "date_past": ("過去の日付にしてください（値: {v}）", "must be a date in the past (got {v})"),
    "date_future": ("未来の日付にしてください（値: {v}）", "must be a date in the future (got {v})"),
    "datetime_past": ("過去の日時にしてください（値: {v}）", "must be in the past (got {v})"),
    "datetime_future": ("未来の日時にしてください（値: {v}）", "must be in the future (got {v})"),
    "timezone_naive": ("タイムゾーン（+09:00 など）を付けずに書いてください（値: {v}）",
                       "write it without a time zone (got {v})"),
    "timezone_aware": ("タイムゾーン（+09:00 など）を付けて書いてください（値: {v}）",
                       "write it with a time zone such as +09:00 (got {v})"),
    "timezone_offset": ("タイムゾーンの時差が違います（{tz_expected} 秒が必要、{tz_actual} 秒です）",
                        "wrong time-zone offset (expected {tz_expected} s, got {tz_actual} s)"),
    "union_tag_invalid": ("'{tag}' は使えません。使える値: {expected_tags}", "'{tag}' is not allowed; expected {expected_tags}"),
    "union_tag_not_found": ("種類を表すキー（{discriminator}）がありません", "the key naming the kind ({discriminator}) is missing"),
    "recursion_loop": ("入れ子が深すぎるか循環しています", "nested too deeply or cyclic"),
    "recursion_depth_exceeded": ("入れ子が深すぎます", "nested too deeply"),
    "default_factory_not_called": ("ほかの誤りのため既定値を決められません。先にほかの誤りを直してください",
                                   "no default because of other errors; fix those first"),
    "get_attribute_error": ("値を読めません: {error}", "cannot read the value: {error}"),
    "iteration_error": ("リストを読めません: {error}", "cannot read the list: {error}"),
    "json_invalid": ("JSON として読めません: {error}", "invalid JSON: {error}"),
    "needs_python_object": ("この形式では検査できません（{method_name}）", "cannot be checked in this form ({method_name})"),
    "value_error": ("{error}", "{error}"),
    "assertion_error": ("{error}", "{error}"),
}


class _Fields(dict[str, Any]):
    """Format fields that never raise: a field the error's ctx lacks shows as '?'."""

    def __missing__(self, key: str) -> str:
        return "?"


def shown(value: Any) -> str:
    """The offending value as the author wrote it, cut short (a 1 MB scalar is not echoed whole)."""
    text = tr("空", "empty") if value is None else repr(value)
    return text if len(text) <= 60 else text[:60] + "…"


def covered_types() -> set[str]:
    """The error types the table has a message for (the completeness test compares it to pydantic's)."""
    return set(_WRONG_TYPE) | set(_OTHER)


def message_for(error: ErrorDetails) -> str:
    """The author-facing message for one pydantic error, in the current language."""
    kind = error["type"]
    fields = _Fields(error.get("ctx") or {})
    fields["v"] = shown(error.get("input"))
    if kind in _WRONG_TYPE:
        wanted = tr(*_WRONG_TYPE[kind]).format_map(fields)
        if error.get("input") is None:
            return tr("値が書かれていません: {w} を書いてください", "the value is empty: expected {w}", w=wanted)
        return tr("型が違います: {w} を書いてください（値: {v}）", "wrong type: expected {w} (got {v})", w=wanted, v=fields["v"])
    if kind in _OTHER:
        return tr(*_OTHER[kind]).format_map(fields)
    return tr("値が正しくありません（{m}）（値: {v}）", "invalid value ({m}) (got {v})", m=error["msg"], v=fields["v"])
