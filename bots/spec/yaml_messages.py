"""ruamel.yaml's syntax errors in words a flow author can act on, in Japanese and English.

The parser speaks of tokens ("while parsing a block mapping expected <block end>, but found '-'");
an author needs to hear "the indentation does not line up". The patterns below are the problems a
fuzz run of mutated sample files produced, most frequent first; anything else keeps the parser's
text behind the Japanese prefix.
"""

from __future__ import annotations

import re

from bots.i18n import tr

_T = tuple[str, str]
_PATTERNS: list[tuple[re.Pattern[str], _T]] = [
    (re.compile(r"expected <block end>, but found"), (
        "インデントが揃っていません。この行の字下げを、同じ階層の行と揃えてください",
        "the indentation does not line up; indent this line like the others at its level")),
    (re.compile(r"mapping values are not allowed here"), (
        "ここに「キー: 値」は書けません。インデントを確認するか、「: 」を含む値は引用符で囲んでください",
        "a 'key: value' is not allowed here; check the indentation, or quote a value containing ': '")),
    (re.compile(r"could not find expected ':'"), (
        "キーの後の「:」がありません（複数行にわたる値は引用符で囲んでください）",
        "the ':' after a key is missing (quote a value spanning lines)")),
    (re.compile(r"sequence entries are not allowed here"), (
        "ここに「- 」（リストの要素）は書けません。インデントを確認してください",
        "a list entry ('- ') is not allowed here; check the indentation")),
    (re.compile(r"found character '(?P<c>.*)' that cannot start any token"), (
        "値の先頭に {c} は書けません。引用符で囲んでください", "a value cannot start with {c}; quote it")),
    (re.compile(r"expected ',' or '\]', but got"), (
        "リスト [ … ] が閉じていないか、要素の間の「,」がありません", "a list [ … ] is not closed, or a ',' is missing")),
    (re.compile(r"expected ',' or '\}', but got"), (
        "マッピング { … } が閉じていないか、要素の間の「,」がありません",
        "a mapping { … } is not closed, or a ',' is missing")),
    (re.compile(r"scanning a (?:double-|single-)?quoted scalar.*found unexpected end of stream", re.S), (
        "引用符が閉じていません", "a quote is not closed")),
    (re.compile(r"expected the node content, but found '(?P<t>[^'<>]*)'"), (
        "値があるべき所に {t} があります", "a value was expected where {t} is")),
    (re.compile(r"expected chomping or indentation indicators"), (
        "| や > の後は改行してください（続けて書く値は引用符で囲みます）",
        "put a line break after | or > (quote a value on the same line)")),
    (re.compile(r"expected '<document start>', but found"), (
        "最上位に余分な内容があります。インデントを確認してください", "extra content at the top level; check the indentation")),
    (re.compile(r"found unexpected end of stream"), ("ファイルが途中で終わっています", "the file ends too early")),
]


def syntax_message(problem: str) -> str:
    """``YAML の構文エラー: …`` in the current language, in an author's words where the problem is known."""
    for pattern, (ja, en) in _PATTERNS:
        if match := pattern.search(problem):
            return tr("YAML の構文エラー: ", "YAML syntax error: ") + tr(ja, en, **match.groupdict())
    return tr("YAML の構文エラー: {p}", "YAML syntax error: {p}", p=problem)
