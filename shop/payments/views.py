"""The Stripe webhook endpoint: signed events in, idempotent effects out."""
from __future__ import annotations

from flask import Blueprint, current_app, request

from shop.core.time import utcnow
from shop.extensions import csrf, db
from shop.payments import gateway, webhooks

bp = Blueprint("webhooks", __name__)


@bp.post("/stripe/webhook")
@csrf.exempt  # authenticated by the Stripe-Signature header instead
def stripe_webhook():
    try:
        event = webhooks.parse(gateway.verify_webhook(request.get_data(), request.headers.get("Stripe-Signature")))
    except gateway.InvalidWebhook as error:
        current_app.logger.warning("Rejected Stripe webhook: %s", error)
        return {"error": "invalid signature"}, 400
    except webhooks.MalformedEvent as error:
        current_app.logger.warning("Rejected a signed Stripe webhook: %s", error)
        return {"error": "malformed event"}, 400
    if event is not None:
        webhooks.handle_event(db.session, event, now=utcnow())
    return {"received": True}
