"""The e-mails an order sends its customer: confirmation, sent or ready for pickup, refunds, cancellation."""
from __future__ import annotations

from flask import render_template
from flask_babel import force_locale
from sqlalchemy.orm import Session

from shop.mail import queue_email


def queue_confirmation(session: Session, order, *, sold_out=()) -> None:
    """Queue the order e-mail (in bokmål) with the link to the order status page.

    sold_out: lines a late payment could not get the stock for; the e-mail says so instead of
    confirming them.
    """
    queue_customer_email(session, order, "orders/email_confirmation.txt", "orders/email_subject.txt",
                         sold_out=list(sold_out))


def queue_customer_email(session: Session, order, body_template: str, subject_template: str, **context) -> None:
    """Queue an e-mail to the order's customer, rendered in bokmål from a body and a subject template."""
    with force_locale("nb"):
        body = render_template(body_template, order=order, **context)
        subject = render_template(subject_template, order=order, **context).strip()
    queue_email(session, to=order.email, subject=subject, body=body)
