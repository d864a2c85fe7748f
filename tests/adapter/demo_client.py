"""An HTTP client for the demo web core system, and small real files to upload to it.

Shared by the demo system's HTTP and browser tests and the browser-step tests.
"""

from __future__ import annotations

import http.client
import re
import secrets
import struct
import urllib.parse
import zlib
from dataclasses import dataclass
from email.message import Message

from kazaguruma_demo.web.server import DemoServer

USER, PASSWORD = "kazaguruma", "demo-pass-2026"
RECEIPT = re.compile(r"R\d{4}-\d{6}")

VALID = {
    "shimei": "山田 太郎",
    "furigana": "ヤマダ タロウ",
    "birth": "1980-04-01",
    "sex": "男",
    "zip": "123-4567",
    "address": "○○市本町1-2-3",
    "phone": "03-1234-5678",
    "mynumber": "1234-5678-9018",  # a valid マイナンバー (check digit 8), stored as 123456789018
    "kind": "住民票の写し",
    "agree": "1",
    "note": "窓口受付分",
}


@dataclass
class Page:
    status: int
    path: str
    body: str
    headers: Message
    raw: bytes

    def field(self, name: str) -> str:
        found = re.search(rf'name="{name}" value="([^"]*)"', self.body)
        assert found, f"no hidden field {name} on {self.path}"
        return found.group(1)

    @property
    def kz_page(self) -> str:
        found = re.search(r'<body data-kz-page="([^"]+)"', self.body)
        assert found, self.body[:300]
        return found.group(1)

    def errors(self) -> list[str]:
        block = re.search(r'<ul class="errors" role="alert">(.*?)</ul>', self.body, re.S)
        return re.findall(r"<li>(.*?)</li>", block.group(1)) if block else []


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """A multipart/form-data body as browsers send it (UTF-8 file names, RFC 7578)."""
    boundary = "----kz" + secrets.token_hex(12)
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content, content_type) in files.items():
        quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{quoted}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n")
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Client:
    """One keep-alive connection with a cookie, following redirects like a browser."""

    def __init__(self, server: DemoServer) -> None:
        self.conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
        self.cookie: str | None = None
        self.page: Page | None = None
        self.csrf = ""  # last CSRF token seen: error pages carry no form

    def request(
        self,
        method: str,
        path: str,
        data: dict[str, str] | None = None,
        follow: bool = True,
        *,
        body: bytes | None = None,
        content_type: str = "application/x-www-form-urlencoded",
    ) -> Page:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
        if body is not None:
            headers["Content-Type"] = content_type
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        raw = resp.read()
        if cookie := resp.getheader("Set-Cookie"):
            self.cookie = cookie.split(";", 1)[0]
        location = resp.getheader("Location")
        if follow and resp.status in (302, 303) and location:
            return self.request(
                "GET", urllib.parse.urlsplit(location)._replace(scheme="", netloc="").geturl()
            )
        text = raw.decode("utf-8-sig", errors="replace")
        self.page = Page(resp.status, path, text, resp.headers, raw)
        if token := re.search(r'name="csrf_token" value="([^"]+)"', text):
            self.csrf = token.group(1)
        return self.page

    def get(self, path: str, follow: bool = True) -> Page:
        return self.request("GET", path, follow=follow)

    def post(self, path: str, data: dict[str, str], follow: bool = True, csrf: bool = True) -> Page:
        if csrf and "csrf_token" not in data:
            data = {"csrf_token": self.csrf, **data}
        return self.request("POST", path, data, follow=follow)

    def upload(self, receipt_no: str, file: tuple[str, bytes, str] | None, follow: bool = True,
               csrf: bool = True) -> Page:
        """POST the 添付書類の登録 form (``file``: name, content, content type)."""
        fields = {"csrf_token": self.csrf} if csrf else {}
        body, content_type = multipart({**fields, "receipt_no": receipt_no}, {"file": file} if file else {})
        return self.request("POST", "/attachments", follow=follow, body=body, content_type=content_type)

    def login(self, user: str = USER, password: str = PASSWORD) -> Page:
        self.get("/login")
        return self.post("/login", {"user_id": user, "password": password})

    def submit(self, values: dict[str, str] = VALID) -> Page:
        self.get("/entry")
        confirm = self.post("/entry", values)
        assert confirm.kz_page == "confirm", confirm.errors()
        return self.post("/confirm", {"submit_token": confirm.field("submit_token")})


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def tiny_pdf(text: str = "Kazaguruma") -> bytes:
    """A valid one-page PDF (with a correct xref table) showing ``text``."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def tiny_png(width: int = 16, height: int = 8, rgb: tuple[int, int, int] = (31, 58, 107)) -> bytes:
    """A valid RGB PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * width
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))
