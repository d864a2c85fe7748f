"""The staff directory (``bots.governance.staff``): owners, deputies and approvers as real people.

Read from the files a municipality has: the YAML beside the flows, the CSV the personnel system
exports (cp932 from Excel on Windows, or UTF-8 with a BOM) and the LDIF of the directory server
(folded lines, base64 values). Each test writes a real file into a tmp project and loads it the
way ``flows list`` / ``flows approve`` do (``governance.staff`` in ``kazaguruma.yaml``).
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from bots.governance.staff import Person, StaffDirectory, load_staff
from bots.i18n import set_language
from bots.project import Project
from bots.spec.diagnostics import Severity

REPO = Path(__file__).resolve().parents[2]

DIRECTORY_YAML = """\
staff:
  - id: kazama
    name: 風間 太郎
    department: 情報政策課 情報政策係
    roles: [author, approver]
    email: kazama@city.example.lg.jp
    git: [t.kazama@example.org, Kazama.Taro@users.noreply.example.com]
  - id: kurumada
    name: 車田 花子
    department: 情報政策課 情報政策係
    roles: [author, approver]
    email: kurumada@city.example.lg.jp
  - id: hanada
    name: 花田 一郎
    department: 市民課 住民記録係
    roles: [staff, approver]
    active: false
  - id: ishida
    name: 石田 次郎
    department: 市民課 住民記録係
    roles: [staff]
"""

#: The same people as the personnel system's CSV export: roles and git addresses joined by ';'.
DIRECTORY_CSV = """\
id,name,department,roles,email,git,active
kazama,風間 太郎,情報政策課 情報政策係,author;approver,kazama@city.example.lg.jp,t.kazama@example.org,true
kurumada,車田 花子,情報政策課 情報政策係,author;approver,kurumada@city.example.lg.jp,,true
hanada,花田 一郎,市民課 住民記録係,staff;approver,hanada@city.example.lg.jp,,異動
ishida,石田 次郎,市民課 住民記録係,staff,,,
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A project folder (``flows/``, ``selectors/``, ``config/``)."""
    for folder in ("flows", "selectors", "config"):
        (tmp_path / "project" / folder).mkdir(parents=True)
    return tmp_path / "project"


def _directory(root: Path, name: str, data: bytes | str) -> tuple[StaffDirectory, list[tuple[Severity, str]]]:
    """Write ``config/<name>``, name it in ``kazaguruma.yaml`` and load it as the commands do."""
    path = root / "config" / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    (root / "kazaguruma.yaml").write_text(f"governance:\n  staff: config/{name}\n", encoding="utf-8")
    directory, found = load_staff(Project(root))
    return directory, [(d.severity, d.message) for d in found]


def _summary(person: Person) -> tuple[str, str, str, tuple[str, ...], str | None, bool]:
    return person.id, person.name, person.department, person.roles, person.email, person.active


# --- formats ---------------------------------------------------------------------------------------


def test_the_repositorys_sample_directory_loads_with_everyone_it_names() -> None:
    directory, found = load_staff(Project(REPO))
    assert list(found) == []
    assert directory.source == (REPO / "config" / "staff.yaml").resolve()
    assert [p.id for p in directory.people] == ["kazama", "kurumada", "hanada", "ishida"]
    assert [p.id for p in directory.approvers()] == ["kazama", "kurumada", "hanada"]


def test_yaml_directory_is_read_with_roles_addresses_and_who_has_left(root: Path) -> None:
    directory, found = _directory(root, "staff.yaml", DIRECTORY_YAML)
    assert found == []
    assert [_summary(p) for p in directory.people] == [
        ("kazama", "風間 太郎", "情報政策課 情報政策係", ("author", "approver"), "kazama@city.example.lg.jp", True),
        ("kurumada", "車田 花子", "情報政策課 情報政策係", ("author", "approver"), "kurumada@city.example.lg.jp",
         True),
        ("hanada", "花田 一郎", "市民課 住民記録係", ("staff", "approver"), None, False),
        ("ishida", "石田 次郎", "市民課 住民記録係", ("staff",), None, True),
    ]
    assert directory.people[0].git == ("t.kazama@example.org", "Kazama.Taro@users.noreply.example.com")
    assert directory.people[0].label() == "風間 太郎（情報政策課 情報政策係）"


@pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig"])
def test_csv_export_in_cp932_or_utf8_with_bom_reads_the_same_people(root: Path, encoding: str) -> None:
    data = DIRECTORY_CSV.replace("\n", "\r\n").encode(encoding)  # as Excel saves it
    assert data.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    directory, found = _directory(root, "staff.csv", data)
    assert found == []
    assert [_summary(p) for p in directory.people] == [
        ("kazama", "風間 太郎", "情報政策課 情報政策係", ("author", "approver"), "kazama@city.example.lg.jp", True),
        ("kurumada", "車田 花子", "情報政策課 情報政策係", ("author", "approver"), "kurumada@city.example.lg.jp",
         True),
        ("hanada", "花田 一郎", "市民課 住民記録係", ("staff", "approver"), "hanada@city.example.lg.jp", False),
        ("ishida", "石田 次郎", "市民課 住民記録係", ("staff",), None, True),
    ]
    assert directory.people[0].git == ("t.kazama@example.org",)
    assert [p.id for p in directory.approvers()] == ["kazama", "kurumada"]  # 花田 was transferred (異動)
    assert directory.find("情報政策係 風間") == directory.people[0]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def test_ldif_export_with_folded_lines_and_base64_values(root: Path) -> None:
    name = _b64("風間 太郎")
    ldif = "\n".join([
        "version: 1",
        "# 情報政策係（ディレクトリサーバからの書き出し）",
        "dn: uid=kazama,ou=johoseisaku,dc=city,dc=example,dc=lg,dc=jp",
        "objectClass: inetOrgPerson",
        "uid: kazama",
        # a long base64 value folded over two lines (RFC 2849: the next line starts with one space)
        f"cn:: {name[:8]}",
        f" {name[8:]}",
        f"ou:: {_b64('情報政策課 情報政策係')}",
        "mail: kazama@city.exa",
        " mple.lg.jp",
        "employeeType: author",
        "employeeType: approver",
        "",
        "dn: uid=ishida,ou=shimin,dc=city,dc=example,dc=lg,dc=jp",
        "uid: ishida",
        f"cn:: {_b64('石田 次郎')}",
        f"ou:: {_b64('市民課 住民記録係')}",
        "mail: ishida@city.example.lg.jp",
        "employeeType: staff",
        "",
    ])
    directory, found = _directory(root, "staff.ldif", ldif.replace("\n", "\r\n"))
    assert found == []
    assert [_summary(p) for p in directory.people] == [
        ("kazama", "風間 太郎", "情報政策課 情報政策係", ("author", "approver"), "kazama@city.example.lg.jp", True),
        ("ishida", "石田 次郎", "市民課 住民記録係", ("staff",), "ishida@city.example.lg.jp", True),
    ]
    assert [p.id for p in directory.approvers()] == ["kazama"]
    assert directory.find("風間太郎") == directory.people[0]


# --- problems --------------------------------------------------------------------------------------


def test_missing_directory_is_a_warning_and_an_empty_directory(root: Path) -> None:
    (root / "kazaguruma.yaml").write_text("governance:\n  staff: config/名簿.csv\n", encoding="utf-8")
    directory, found = load_staff(Project(root))
    assert directory.people == () and directory.find("kazama") is None and directory.approvers() == []
    path = (root / "config" / "名簿.csv").resolve()
    assert [(d.severity, d.message) for d in found] == [
        (Severity.WARNING, f"職員名簿がありません: {path}（所有者・副担当・承認者を確認できません）")]
    assert found.errors == []


def test_missing_directory_warning_in_english(root: Path) -> None:
    set_language("en")
    _, found = load_staff(Project(root))  # no kazaguruma.yaml: the default config/staff.yaml, not there
    path = (root / "config" / "staff.yaml").resolve()
    assert [(d.severity, d.message) for d in found] == [
        (Severity.WARNING, f"no staff directory: {path} (owners, deputies and approvers cannot be checked)")]


@pytest.mark.parametrize(("language", "message"), [("ja", "職員 ID が重複しています: kazama"),
                                                   ("en", "duplicate staff id: kazama")])
def test_duplicate_id_is_an_error_and_nobody_is_loaded(root: Path, language: str, message: str) -> None:
    set_language(language)
    twice = DIRECTORY_YAML + "  - id: kazama\n    name: 風間 次郎\n    roles: [approver]\n"
    directory, found = _directory(root, "staff.yaml", twice)
    assert found == [(Severity.ERROR, message)]
    assert directory.people == () and directory.find("kazama") is None


def test_duplicate_id_in_a_csv_export_is_an_error_too(root: Path) -> None:
    twice = DIRECTORY_CSV + "kurumada,車田 花子,総務課,approver,,,\n"
    directory, found = _directory(root, "staff.csv", twice.encode("cp932"))
    assert found == [(Severity.ERROR, "職員 ID が重複しています: kurumada")]
    assert directory.people == ()


@pytest.mark.parametrize(("language", "message"), [
    ("ja", "職員名簿 CSV の見出しに id と name が必要です"), ("en", "the staff CSV needs id and name columns")])
def test_csv_without_id_and_name_columns_is_refused(root: Path, language: str, message: str) -> None:
    set_language(language)
    directory, found = _directory(root, "staff.csv", "職員番号,氏名\n1,風間 太郎\n".encode("cp932"))
    assert found == [(Severity.ERROR, message)]
    assert directory.people == ()


@pytest.mark.parametrize(("language", "message"), [
    ("ja", "職員名簿 CSV の文字コードが UTF-8 でも Shift_JIS (cp932) でもありません"),
    ("en", "the staff CSV is neither UTF-8 nor Shift_JIS (cp932)")])
def test_csv_in_another_encoding_is_refused(root: Path, language: str, message: str) -> None:
    set_language(language)
    data = DIRECTORY_CSV.encode("utf-16")  # neither UTF-8 nor cp932
    directory, found = _directory(root, "staff.csv", data)
    assert found == [(Severity.ERROR, message)]
    assert directory.people == ()


@pytest.mark.parametrize(("language", "message"), [("ja", "2 件目の職員に id または name がありません"),
                                                   ("en", "staff entry 2 has no id or name")])
def test_csv_row_without_a_name_is_an_error(root: Path, language: str, message: str) -> None:
    set_language(language)
    rows = "id,name,roles\nkazama,風間 太郎,approver\nkurumada,,approver\n"
    directory, found = _directory(root, "staff.csv", rows.encode("utf-8-sig"))
    assert found == [(Severity.ERROR, message)]
    assert directory.people == ()


# --- finding people --------------------------------------------------------------------------------


@pytest.fixture
def directory(root: Path) -> StaffDirectory:
    loaded, found = _directory(root, "staff.yaml", DIRECTORY_YAML)
    assert found == []
    return loaded


@pytest.mark.parametrize("reference", [
    "kazama",                           # staff id
    "風間 太郎", "風間太郎", "風間　太郎",     # 氏名 with a space, without one, with a full-width one
    "情報政策係 風間",                    # last part of the 所属 + 姓, as the sample flows were written
    "情報政策係風間",
    "情報政策係 風間 太郎",
    "情報政策課 情報政策係 風間",           # the whole 所属 + 姓
    "情報政策課 情報政策係 風間 太郎",
    " kazama ",
])
def test_find_names_the_person_however_a_flow_wrote_them(directory: StaffDirectory, reference: str) -> None:
    found = directory.find(reference)
    assert found is not None and found.id == "kazama"


@pytest.mark.parametrize("reference", [
    "山田 花子",        # nobody of that name
    "風間",            # a 姓 alone is ambiguous: only together with the 所属
    "市民課 風間",      # 風間 is not in 市民課
    "情報政策係",       # a 所属 is not a person
    "Kazama",          # ids are exact
    "",
    None,
])
def test_find_returns_none_for_who_is_not_there(directory: StaffDirectory, reference: str | None) -> None:
    assert directory.find(reference) is None


def test_find_tells_people_of_one_section_apart(directory: StaffDirectory) -> None:
    found = [directory.find(r) for r in ("情報政策係 車田", "市民課 住民記録係 石田", "住民記録係 花田 一郎")]
    assert [p.id if p else None for p in found] == ["kurumada", "ishida", "hanada"]


@pytest.mark.parametrize(("address", "expected"), [
    ("kazama@city.example.lg.jp", "kazama"),              # the directory e-mail
    ("t.kazama@example.org", "kazama"),                   # another address their commits carry
    ("kazama.taro@users.noreply.example.com", "kazama"),  # git lowercases nothing; the directory match does
    ("  KURUMADA@city.example.lg.jp ", "kurumada"),
    ("someone@example.org", None),
    ("", None),
])
def test_by_email_finds_the_author_of_a_commit(directory: StaffDirectory, address: str, expected: str | None) -> None:
    found = directory.by_email(address)
    assert (found.id if found else None) == expected


def test_only_active_approvers_can_approve(directory: StaffDirectory) -> None:
    hanada, ishida = directory.find("hanada"), directory.find("ishida")
    assert hanada is not None and ishida is not None
    assert not hanada.active and "approver" in hanada.roles
    assert not hanada.can_approve()  # transferred: still found (for the health report), cannot approve
    assert not ishida.can_approve()  # in post, but not an approver
    assert [p.id for p in directory.approvers()] == ["kazama", "kurumada"]
    assert directory.find("住民記録係 花田") == hanada
