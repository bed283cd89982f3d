"""Card payments through Stripe PaymentIntents: the only module that imports the stripe library.

One StripeClient is built from config (STRIPE_SECRET_KEY, STRIPE_API_BASE); tests and the offline
demo point STRIPE_API_BASE at localstripe, production leaves it at Stripe's own address.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import stripe
from flask import current_app


class PaymentError(Exception):
    """The payment provider could not be reached or refused the request."""


class PaymentDeclined(PaymentError):
    """The card was declined; the customer can try another card."""


class InvalidPaymentMethod(PaymentError):
    """Stripe does not know the payment method the browser sent (the customer's problem, not an outage)."""


class InvalidWebhook(Exception):
    """A webhook whose signature or payload does not check out."""


@dataclass(frozen=True)
class Intent:
    id: str
    client_secret: str
    status: str
    amount_ore: int
    currency: str = "nok"


def client() -> stripe.StripeClient:
    """Return a StripeClient for the app's configuration (cheap to build; no state kept between requests)."""
    config = current_app.config
    if not config.get("STRIPE_SECRET_KEY"):
        raise PaymentError("STRIPE_SECRET_KEY is not configured")
    base = config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        base_addresses={"api": base} if base else None,
        max_network_retries=1,
    )


def _intent(pi) -> Intent:
    return Intent(id=pi.id, client_secret=pi.client_secret, status=pi.status, amount_ore=pi.amount,
                  currency=pi.currency)


def create_intent(*, amount_ore: int, order_id: int, order_number: str, idempotency_key: str) -> Intent:
    """Create a PaymentIntent for exactly this server-side amount, in NOK øre.

    Raises:
        PaymentError: Stripe refused or could not be reached.
    """
    try:
        pi = client().v1.payment_intents.create(
            params={
                "amount": amount_ore,
                "currency": "nok",
                "payment_method_types": ["card"],
                "metadata": {"order_id": str(order_id), "order_number": order_number},
            },
            options={"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as error:
        raise PaymentError(str(error)) from error
    return _intent(pi)


def retrieve_intent(intent_id: str) -> Intent:
    """Ask Stripe for a PaymentIntent as it is now.

    Raises:
        PaymentError: Stripe refused or could not be reached.
    """
    try:
        return _intent(client().v1.payment_intents.retrieve(intent_id))
    except stripe.StripeError as error:
        raise PaymentError(str(error)) from error


def pay_with(intent_id: str, payment_method_id: str) -> Intent:
    """Attach the card the customer entered (via Stripe.js) and confirm the payment.

    The status may be "succeeded", "processing" or "requires_action" (then Stripe.js finishes 3-D
    Secure in the browser). The webhook, not this answer, marks the order paid.

    Raises:
        PaymentDeclined: the card was declined.
        InvalidPaymentMethod: Stripe does not know the payment method (or it cannot pay this intent).
        PaymentError: Stripe could not be reached, or anything else went wrong.
    """
    payments = client().v1.payment_intents
    try:
        payments.update(intent_id, params={"payment_method": payment_method_id})
        return _intent(payments.confirm(intent_id))
    except stripe.CardError as error:
        raise PaymentDeclined(error.user_message or str(error)) from error
    except stripe.InvalidRequestError as error:
        # Stripe answered, and refused what the browser sent: an unknown or foreign payment method
        # (Stripe says so when it is attached, localstripe when the intent is confirmed).
        raise InvalidPaymentMethod(str(error)) from error
    except stripe.StripeError as error:
        raise PaymentError(str(error)) from error


def cancel_intent(intent_id: str) -> None:
    """Cancel an unpaid PaymentIntent so it can no longer be paid (already final ones are left alone)."""
    try:
        client().v1.payment_intents.cancel(intent_id)
    except stripe.InvalidRequestError:
        pass
    except stripe.StripeError as error:
        raise PaymentError(str(error)) from error


def refund(intent_id: str, amount_ore: int, *, idempotency_key: str) -> str:
    """Refund part or all of a payment; return the provider's refund id.

    Raises:
        PaymentError: Stripe refused (for example more than was paid) or could not be reached.
    """
    try:
        result = client().v1.refunds.create(
            params={"payment_intent": intent_id, "amount": amount_ore}, options={"idempotency_key": idempotency_key}
        )
    except stripe.StripeError as error:
        raise PaymentError(str(error)) from error
    return result.id


def verify_webhook(payload: bytes, signature: str | None) -> dict:
    """Check the Stripe-Signature header and return the event as a plain dict.

    Raises:
        InvalidWebhook: missing or wrong signature, or a payload that is not an event.
    """
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret or not signature:
        raise InvalidWebhook("missing signature or secret")
    try:
        stripe.WebhookSignature.verify_header(payload.decode("utf-8"), signature, secret, tolerance=300)
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as error:
        raise InvalidWebhook(str(error)) from error
    try:
        event = json.loads(payload)
    except ValueError as error:
        raise InvalidWebhook("payload is not JSON") from error
    if not isinstance(event, dict) or "id" not in event or "type" not in event:
        raise InvalidWebhook("payload is not an event")
    return event


def sign_for_test(payload: str, secret: str) -> str:
    """Build a Stripe-Signature header (tests sign the events localstripe cannot send)."""
    return stripe.WebhookSignature.generate_signature_header(payload, secret)
