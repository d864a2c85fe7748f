"""Realistic, deterministic application lists for the demo flow and the tests.

The rows look like what a 窓口 keys by hand: 和暦 strings mixed with real date cells, postcodes
and phone numbers in every usual spelling (full-width, 〒, parentheses, stored as numbers),
個人番号 (マイナンバー with a valid check digit) on about half the rows, as text in the usual
spellings (plain, 4-4-4 hyphenated, full-width), and a few deliberately bad rows whose expected error kind is returned beside them, so tests
compare the reader's verdicts with ground truth instead of re-deriving it.

Names avoid 外字 and non-JIS itaiji (高橋, not 髙橋): the demo must key cleanly everywhere.
Regenerate the committed list with ``python -m kazaguruma_demo.sample_data [path]``.

The order list of the single-page order app (``/spa/``, flow ``flows/spa_chumon.yaml``) comes from
:func:`make_orders`; regenerate it with ``python -m kazaguruma_demo.sample_data spa [path]``.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import jaconv
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from bots.masking import mynumber_check_digit
from bots.records.model import ColumnSpec
from bots.records.wareki import to_wareki
from kazaguruma_demo.web.spa_form import BODIES, HEADS, LEGS

HEADERS = (
    "氏名", "フリガナ", "生年月日", "性別", "郵便番号", "住所", "電話番号", "個人番号", "申請種別", "同意", "備考",
)  # fmt: skip
DEMO_COLUMNS: dict[str, ColumnSpec] = {
    "氏名": ColumnSpec(required=True),
    "フリガナ": ColumnSpec(type="kana", required=True),
    "生年月日": ColumnSpec(type="wareki", required=True),
    "性別": ColumnSpec(required=True),
    "郵便番号": ColumnSpec(type="zip", required=True),
    "住所": ColumnSpec(required=True),
    "電話番号": ColumnSpec(type="phone", required=True),
    "個人番号": ColumnSpec(type="str", sensitive=True),
    "申請種別": ColumnSpec(required=True),
    "同意": ColumnSpec(required=True),
    "備考": ColumnSpec(),
}
KINDS = ("住民票の写し", "印鑑登録証明書", "児童手当認定請求", "国民健康保険加入")
#: expected error kind -> the column whose error the reader must report
BAD_KINDS = {"zip": "郵便番号", "kana": "フリガナ", "date": "生年月日", "required": "氏名", "phone": "電話番号"}
DEMO_PATH = Path("flows/data/申請一覧.xlsx")

SURNAMES = (
    ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"), ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("加藤", "カトウ"),
    ("吉田", "ヨシダ"), ("山田", "ヤマダ"), ("佐々木", "ササキ"), ("山口", "ヤマグチ"), ("松本", "マツモト"),
    ("井上", "イノウエ"), ("木村", "キムラ"), ("林", "ハヤシ"), ("清水", "シミズ"), ("山崎", "ヤマザキ"),
    ("池田", "イケダ"), ("橋本", "ハシモト"), ("阿部", "アベ"), ("石川", "イシカワ"), ("前田", "マエダ"),
    ("長谷川", "ハセガワ"), ("五十嵐", "イガラシ"), ("東海林", "ショウジ"), ("服部", "ハットリ"),
    ("齋藤", "サイトウ"), ("渡邊", "ワタナベ"), ("大野", "オオノ"), ("日下部", "クサカベ"), ("小野寺", "オノデラ"),
)  # fmt: skip
MALE = (
    ("大翔", "ヒロト"), ("蓮", "レン"), ("翔太", "ショウタ"), ("健太", "ケンタ"), ("誠", "マコト"), ("浩", "ヒロシ"),
    ("隆", "タカシ"), ("茂", "シゲル"), ("一郎", "イチロウ"), ("和夫", "カズオ"), ("直樹", "ナオキ"), ("湊", "ミナト"),
)  # fmt: skip
FEMALE = (
    ("陽葵", "ヒマリ"), ("美咲", "ミサキ"), ("陽子", "ヨウコ"), ("恵子", "ケイコ"), ("幸子", "サチコ"),
    ("由美子", "ユミコ"), ("千鶴", "チヅル"), ("真由美", "マユミ"), ("花子", "ハナコ"), ("さくら", "サクラ"),
    ("優子", "ユウコ"), ("久美子", "クミコ"),
)  # fmt: skip
#: (postcode, prefecture+city+town, area code, town uses 丁目)
PLACES = (
    ("0600001", "北海道札幌市中央区北一条西", "011", True), ("9800811", "宮城県仙台市青葉区一番町", "022", True),
    ("1600023", "東京都新宿区西新宿", "03", True), ("1500002", "東京都渋谷区渋谷", "03", True),
    ("2200012", "神奈川県横浜市西区みなとみらい", "045", True), ("3300063", "埼玉県さいたま市浦和区高砂", "048", True),
    ("2600013", "千葉県千葉市中央区中央", "043", True), ("4600008", "愛知県名古屋市中区栄", "052", True),
    ("5300001", "大阪府大阪市北区梅田", "06", True), ("6008216", "京都府京都市下京区東塩小路町", "075", False),
    ("6500021", "兵庫県神戸市中央区三宮町", "078", True), ("8120011", "福岡県福岡市博多区博多駅前", "092", True),
    ("9000015", "沖縄県那覇市久茂地", "098", True), ("4200853", "静岡県静岡市葵区追手町", "054", False),
    ("3998303", "長野県安曇野市穂高", "0263", False), ("0691511", "北海道夕張郡栗山町中央", "0123", True),
)  # fmt: skip
BUILDINGS = ("コーポ桜", "グランメゾン青葉", "サンハイツ", "メゾン・ド・ソレイユ", "県営第二団地")
NOTES = ("窓口受取希望", "郵送希望", "本人確認書類: 運転免許証", "代理人申請（委任状あり）", "平日17時以降連絡可")
_ERA_INITIAL = {"令和": "R", "平成": "H", "昭和": "S", "大正": "T", "明治": "M"}
_BAD_DATES = ("令和5年2月30日", "昭和65年1月1日", "平成31年5月1日", "令和4年13月1日")


def make_applications(n: int, seed: int, bad: int) -> list[tuple[dict[str, object], str | None]]:
    """``n`` rows (dicts keyed by :data:`HEADERS`) with ``bad`` of them spoiled, evenly spread.

    Each row comes with its expected error kind (a key of :data:`BAD_KINDS`) or None.
    """
    if not 0 <= bad <= n:
        raise ValueError("bad must be between 0 and n")
    rng = random.Random(seed)
    # 個人番号 draws from its own stream, so the other columns stay those of earlier versions.
    id_rng = random.Random(f"{seed}/個人番号")
    rows: list[tuple[dict[str, object], str | None]] = []
    for _ in range(n):
        row = _good_row(rng)
        row["個人番号"] = _mynumber(id_rng)
        rows.append(({h: row.get(h) for h in HEADERS}, None))
    kinds = list(BAD_KINDS)
    for k in range(bad):
        pos = int((k + 0.5) * n / bad)
        kind = kinds[k % len(kinds)]
        rows[pos] = (_spoil(rows[pos][0], kind, rng), kind)
    return rows


def write_applications_xlsx(
    path: Path, rows: Sequence[dict[str, object]], sheet: str = "申請一覧", merges: Sequence[str] = ()
) -> Path:
    """Write rows under a bold header; ``merges`` are ranges like ``H5:H6`` (the top-left value stays)."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(list(HEADERS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([row.get(h) for h in HEADERS])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy/m/d"
    for ref in merges:
        ws.merge_cells(ref)
    for i, width in enumerate((14, 18, 18, 6, 12, 48, 18, 18, 18, 6, 26), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def build_demo_workbook(
    path: Path = DEMO_PATH, n: int = 60, seed: int = 20240401, bad: int = 5
) -> list[tuple[dict[str, object], str | None]]:
    """The committed demo list: one 申請種別 merged over two rows, at least one phone stored as a number."""
    rows = make_applications(n, seed, bad)
    good = [i for i, (_, kind) in enumerate(rows) if kind is None]
    phone_row = rows[good[1]][0]
    if not any(isinstance(r["電話番号"], int) for r, _ in rows):
        phone_row["電話番号"] = int(re.sub(r"\D", "", jaconv.z2h(str(phone_row["電話番号"]), digit=True)))
    first = next(i for i in good[n // 6 :] if i + 1 in good)
    rows[first + 1][0]["申請種別"] = rows[first][0]["申請種別"]
    column = get_column_letter(HEADERS.index("申請種別") + 1)
    write_applications_xlsx(path, [r for r, _ in rows], merges=[f"{column}{first + 2}:{column}{first + 3}"])
    return rows


def _good_row(rng: random.Random) -> dict[str, object]:
    surname, surname_kana = rng.choice(SURNAMES)
    sex = rng.choice(("男", "女"))
    given, given_kana = rng.choice(MALE if sex == "男" else FEMALE)
    born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 64))
    postcode, town, area, chome = rng.choice(PLACES)
    if chome:
        address = f"{town}{rng.randint(1, 9)}丁目{rng.randint(1, 30)}番{rng.randint(1, 20)}号"
    else:
        address = f"{town}{rng.randint(1, 999)}番地{rng.randint(1, 9)}"
    if rng.random() < 0.3:
        address += f" {rng.choice(BUILDINGS)}{rng.randint(1, 5)}0{rng.randint(1, 9)}号室"
    kana = f"{surname_kana}　{given_kana}"
    if rng.random() < 0.15:
        kana = jaconv.kata2hira(kana.replace("　", " "))  # typed in hiragana with an ASCII space
    return {
        "氏名": f"{surname} {given}" if rng.random() < 0.5 else f"{surname}　{given}",
        "フリガナ": kana,
        "生年月日": _birth_date(rng, born),
        "性別": sex,
        "郵便番号": _postcode(rng, postcode),
        "住所": address,
        "電話番号": _phone(rng, area),
        "申請種別": rng.choice(KINDS),
        "同意": "はい",
        "備考": rng.choice(NOTES) if rng.random() < 0.25 else None,
    }


def _birth_date(rng: random.Random, born: dt.date) -> object:
    style = rng.random()
    text = to_wareki(born)
    if style < 0.15:
        return born  # a real date cell
    if style < 0.3:
        year = text[2:].split("年")[0].replace("元", "1")
        return f"{_ERA_INITIAL[text[:2]]}{year}.{born.month}.{born.day}"
    if style < 0.4:
        return jaconv.h2z(text, digit=True)
    return text


def _postcode(rng: random.Random, code: str) -> object:
    style = rng.random()
    hyphenated = f"{code[:3]}-{code[3:]}"
    if style < 0.05:
        return int(code)  # typed as a number: a leading zero is lost
    if style < 0.15:
        return "〒" + hyphenated
    if style < 0.25:
        return jaconv.h2z(hyphenated, digit=True, ascii=True)
    return code if style < 0.4 else hyphenated


def _phone(rng: random.Random, area: str) -> object:
    if rng.random() < 0.5:
        digits = f"0{rng.choice('789')}0{rng.randint(10_000_000, 99_999_999)}"
        parts = (digits[:3], digits[3:7], digits[7:])
    else:
        rest = 9 - len(area)  # ten digits in all, the local part never starts with 0 or 1
        local = f"{rng.randint(2, 9)}{rng.randint(0, 10**rest - 1):0{rest}d}"
        split = 4 - (len(area) - 2) if len(area) <= 3 else 2
        parts = (area, local[:split], local[split:])
        digits = "".join(parts)
    style = rng.random()
    if style < 0.06:
        return int(digits)  # stored as a number: the leading 0 is lost
    if style < 0.16:
        return jaconv.h2z("-".join(parts), digit=True, ascii=True)
    if style < 0.26 and not digits.startswith(("070", "080", "090")):
        return f"({parts[0]}){parts[1]}-{parts[2]}"  # 市外局番 in parentheses
    return digits if style < 0.4 else "-".join(parts)


def _mynumber(rng: random.Random) -> str | None:
    """A valid マイナンバー on about half the rows, typed as text: plain, 4-4-4 or full-width."""
    if rng.random() < 0.5:
        return None
    first11 = f"{rng.randrange(10**11):011d}"
    digits = f"{first11}{mynumber_check_digit(first11)}"
    style = rng.random()
    if style < 0.3:
        return f"{digits[:4]}-{digits[4:8]}-{digits[8:]}"
    if style < 0.5:
        return jaconv.h2z(digits, digit=True)
    return digits


def _spoil(row: dict[str, object], kind: str, rng: random.Random) -> dict[str, object]:
    spoilt = dict(row)
    if kind == "zip":
        spoilt["郵便番号"] = f"{rng.randint(100, 999)}-{rng.randint(100, 999)}"  # six digits
    elif kind == "kana":
        spoilt["フリガナ"] = str(row["氏名"])  # kanji where katakana belongs
    elif kind == "date":
        spoilt["生年月日"] = rng.choice(_BAD_DATES)
    elif kind == "required":
        spoilt["氏名"] = None
    elif kind == "phone":
        spoilt["電話番号"] = f"03-{rng.randint(1000, 9999)}-{rng.randint(100, 999)}"  # nine digits
    return spoilt


ORDER_HEADERS = ("依頼番号", "頭部", "胴体", "脚部", "配送先", "数量")
SPA_PATH = Path("flows/data/spa_chumon.xlsx")
_DEPARTMENTS = ("防災課", "市民課", "道路管理課", "上下水道課", "環境保全課", "消防本部 警防課")


def make_orders(n: int, seed: int) -> list[dict[str, object]]:
    """``n`` orders of the single-page order app (dicts keyed by :data:`ORDER_HEADERS`), all valid:
    依頼番号 ``K-0001``…, every 頭部 and 胴体 the form offers, numbers stored as numbers."""
    rng = random.Random(f"{seed}/orders")
    rows: list[dict[str, object]] = []
    for number in range(1, n + 1):
        _, town, _, chome = rng.choice(PLACES)
        place = f"{rng.randint(1, 9)}丁目{rng.randint(1, 30)}番{rng.randint(1, 20)}号" if chome else f"{rng.randint(1, 999)}番地"
        rows.append({
            "依頼番号": f"K-{number:04d}",
            "頭部": rng.choice(HEADS),
            "胴体": rng.choice(BODIES),
            "脚部": rng.randint(LEGS.start, LEGS.stop - 1),
            "配送先": f"{town}{place} {rng.choice(_DEPARTMENTS)}",
            "数量": rng.randint(1, 5),
        })
    return rows


def write_orders_xlsx(path: Path, rows: Sequence[dict[str, object]], sheet: str = "注文一覧") -> Path:
    """Write the orders under a bold header (the sheet the sample flow reads)."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(list(ORDER_HEADERS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([row.get(h) for h in ORDER_HEADERS])
    for i, width in enumerate((10, 12, 10, 6, 52, 6), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def build_spa_workbook(path: Path = SPA_PATH, n: int = 20, seed: int = 2026) -> list[dict[str, object]]:
    """The committed order list of the sample flow ``flows/spa_chumon.yaml``."""
    rows = make_orders(n, seed)
    write_orders_xlsx(path, rows)
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["spa"]:
        build_spa_workbook(Path(sys.argv[2]) if len(sys.argv) > 2 else SPA_PATH)
    else:
        build_demo_workbook(Path(sys.argv[1]) if len(sys.argv) > 1 else DEMO_PATH)
