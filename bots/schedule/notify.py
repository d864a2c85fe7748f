"""Mail to the people responsible: a failed or missed scheduled run must reach someone.

The SMTP server comes from the environment, never from a schedule file (which is versioned):
``KZ_SMTP_HOST``, ``KZ_SMTP_PORT`` (25), ``KZ_SMTP_FROM``, ``KZ_SMTP_STARTTLS`` (1 to upgrade),
``KZ_SMTP_USER`` and ``KZ_SMTP_PASSWORD``. The password is read when sending and never logged.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from bots.errors import NotifyError
from bots.i18n import tr

_TIMEOUT_S = 20.0



@dataclass(frozen=True)
class SmtpSettings:
    """Where mail goes out, from ``KZ_SMTP_*``; it holds no password (read only when sending)."""

    host: str
    port: int = 25
    sender: str = "kazaguruma@localhost"
    starttls: bool = False
    user: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SmtpSettings | None:
        """The settings from the environment, or None when ``KZ_SMTP_HOST`` is unset (no mail)."""
        env = os.environ if environ is None else environ
        host = env.get("KZ_SMTP_HOST", "").strip()
        if not host:
            return None
        return cls(host=host, port=int(env.get("KZ_SMTP_PORT") or 25),
                   sender=env.get("KZ_SMTP_FROM") or cls.sender,
                   starttls=env.get("KZ_SMTP_STARTTLS", "").strip().lower() in {"1", "true", "yes"},
                   user=env.get("KZ_SMTP_USER") or None)


class Mailer:
    """Sends the scheduler's mail; without settings each send fails with the reason, which is audited."""

    def __init__(self, settings: SmtpSettings | None) -> None:
        self.settings = settings

    def send(self, to: tuple[str, ...], subject: str, body: str) -> None:
        """Send one plain-text UTF-8 mail; raise :class:`NotifyError` with the reason."""
        settings = self.settings
        if settings is None:
            raise NotifyError(tr("メールを送れません: KZ_SMTP_HOST が設定されていません",
                                 "cannot send mail: KZ_SMTP_HOST is not set"))
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = settings.sender, ", ".join(to), subject
        message["Date"], message["Message-ID"] = formatdate(localtime=True), make_msgid(domain="kazaguruma")
        message.set_content(body, charset="utf-8")
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=_TIMEOUT_S) as smtp:
                if settings.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if settings.user:
                    smtp.login(settings.user, os.environ.get("KZ_SMTP_PASSWORD", ""))
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise NotifyError(tr("メールを送れませんでした（{h}:{p}）: {e}", "mail not sent ({h}:{p}): {e}",
                                 h=settings.host, p=settings.port, e=type(exc).__name__)) from exc
