"""The e-mails an order sends its customer: confirmation, sent or ready for pickup, refunds, cancellation."""
from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound
from sqlalchemy.orm import Session

from shop.mail import queue_email


def queue_confirmation(session: Session, order, *, sold_out=()) -> None:
    """Queue the order confirmation (angrerettloven § 10) with the link to the order status page.

    sold_out: lines a late payment could not get the stock for; the e-mail says so instead of
    confirming them.
    """
    queue_customer_email(session, order, "orders/email_confirmation.txt", "orders/email_subject.txt",
                         sold_out=list(sold_out))


def queue_customer_email(session: Session, order, body_template: str, subject_template: str, *, to: str | None = None,
                         **context) -> None:
    """Queue an e-mail to the order's customer in the language they shopped in, from a body and a subject template;
    an HTML template beside the body (.html for .txt) becomes the HTML part. Every one ends with who sells and
    where the terms are (orders/_email_footer.txt). to: another address than the order's (an invoice address)."""
    html_template = body_template.removesuffix(".txt") + ".html"
    with force_locale(order.locale or "nb"):
        body = render_template(body_template, order=order, **context)
        subject = render_template(subject_template, order=order, **context).strip()
        html = render_template(html_template, order=order, **context) if _exists(html_template) else None
    queue_email(session, to=to or order.email, subject=subject, body=body, html=html)


def _exists(template: str) -> bool:
    try:
        current_app.jinja_env.get_template(template)
    except TemplateNotFound:
        return False
    return True
