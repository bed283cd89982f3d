"""Outgoing mail: messages are queued in the outbox table with the change that caused them, then sent.

With MAIL_SERVER configured, `flask mail-send` (cron or a queue worker) delivers them by SMTP.
Without it (development, the offline demo) they stay in the outbox, are logged, and can be read at
/dev/epost when DEV_MAILBOX is on.
"""
from __future__ import annotations

import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage

from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from shop.core.time import utcnow
from shop.extensions import db

log = logging.getLogger(__name__)
bp = Blueprint("mail", __name__)


class OutboxMessage(db.Model):
    """An e-mail waiting to be sent (or sent); written in the same transaction as what caused it."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # The same message as HTML, sent as the alternative to the plain text (None: plain text only).
    html: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


def queue_email(session: Session, *, to: str, subject: str, body: str, html: str | None = None) -> OutboxMessage:
    """Put an e-mail in the outbox (plain text, and HTML when given); it is sent after the surrounding transaction
    commits."""
    message = OutboxMessage(to=to[:254], subject=subject[:200], body=body, html=html)
    session.add(message)
    session.flush()
    log.info("Queued e-mail %s to %s: %s", message.id, to, subject)
    return message


def send_pending(session: Session, config, *, now: datetime, limit: int = 100) -> tuple[int, int]:
    """Send unsent messages by SMTP; return (sent, failed). Safe to run on several machines at once."""
    if not config.get("MAIL_SERVER"):
        return 0, 0
    sent = failed = 0
    ids = list(session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < 5)
        .order_by(OutboxMessage.id).limit(limit)
    ))
    for message_id in ids:
        # Claim the message first, so two senders never deliver it twice.
        claimed = session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None))
            .values(sent_at=now, attempts=OutboxMessage.attempts + 1)
        ).rowcount
        session.commit()
        if not claimed:
            continue
        message = session.get(OutboxMessage, message_id)
        try:
            _deliver(config, message)
            sent += 1
        except (OSError, smtplib.SMTPException) as error:
            message.sent_at = None
            message.last_error = str(error)[:1000]
            failed += 1
        session.commit()
    return sent, failed


def _deliver(config, message: OutboxMessage) -> None:
    email = EmailMessage()
    email["From"] = config.get("MAIL_FROM", "Verkstedbutikken <ikke-svar@verkstedbutikken.no>")
    email["To"] = message.to
    email["Subject"] = message.subject
    email.set_content(message.body)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    with smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT", 587)), timeout=20) as smtp:
        if config.get("MAIL_USE_TLS", True):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(email)


@bp.get("/dev/epost")
def dev_mailbox():
    """Show the newest outbox messages; only when DEV_MAILBOX is on (development and the demo)."""
    if not current_app.config.get("DEV_MAILBOX"):
        abort(404)
    return render_template("mail/dev_mailbox.html", messages=newest(db.session))


def newest(session: Session, limit: int = 50) -> list[OutboxMessage]:
    """The newest messages in the outbox, sent or not."""
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)))
