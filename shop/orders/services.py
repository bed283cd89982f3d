"""Order rules: placing orders (reserving stock in one transaction), the status flow, recording
payments, expiry, cancellation and the booking side of refunds, and the read models of orders.

Plain functions that take a session; they flush and never commit (the flows that must commit around
a call to the payment provider live in shop.payments.services).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, load_only, selectinload

from catalogue.models import Product, select_for_sale
from inventory import services as stock
from inventory.allocation import Allocation, Wanted, allocate
from inventory.models import Reservation
from inventory.services import OutOfStock
from shop.core.audit import record as audit
from shop.core.money import vat_included
from shop.core.paging import LIKE_ESCAPE, Page, like_pattern, paginate
from shop.core.time import OSLO
from shop.orders.emails import queue_confirmation, queue_customer_email
from shop.orders.models import ORDER_FLOW, Fulfilment, Order, OrderLine, Payment

SHIPPING_VAT_BP = 2500


class OrderError(Exception):
    """Base class for order errors shown to the customer or coordinator."""


class EmptyCart(OrderError):
    """There is nothing buyable in the cart."""


class ProductUnavailable(OrderError):
    """A product in the cart is no longer for sale."""

    def __init__(self, product_id: int):
        super().__init__(f"product {product_id} is not for sale")
        self.product_id = product_id


class InvalidTransition(OrderError):
    """The order cannot move from its status to the one asked for."""


class RefundTooLarge(OrderError):
    """A refund larger than what was paid and not yet refunded."""


class AlreadySent(InvalidTransition):
    """Part of the order has left the workshop: it is a return now, not a cancellation."""


class RefundFirst(InvalidTransition):
    """A card order with money paid and not refunded cannot be cancelled (refund it first)."""


def set_status(order: Order, target: str, *, now: datetime) -> bool:
    """Move the order along ORDER_FLOW; return False (and change nothing) if it is already there.

    Raises:
        InvalidTransition: the flow does not allow the move.
    """
    if order.status == target:
        return False
    if target not in ORDER_FLOW[order.status]:
        raise InvalidTransition(f"{order.status} → {target}")
    order.status = target
    if target == "paid":
        order.paid_at = now
    elif target == "cancelled":
        order.cancelled_at = now
    return True


@dataclass
class Details:
    """What the customer told us at checkout."""

    email: str
    name: str
    delivery_method: str  # shipping or pickup
    payment_method: str  # card or invoice
    phone: str = ""
    organisation_name: str = ""
    address_line: str = ""
    postcode: str = ""
    city: str = ""
    org_number: str | None = None
    buyer_reference: str | None = None
    invoice_email: str | None = None
    user_id: int | None = None
    checkout_key: str | None = None  # the checkout form's one-time key (a second submit finds the order)
    locale: str = "nb"  # the language the customer shopped in


@dataclass(frozen=True)
class ShippingRule:
    """Flat-rate shipping with a free-shipping threshold (configurable: SHIPPING_ORE, FREE_SHIPPING_FROM_ORE)."""

    flat_ore: int = 14900
    free_from_ore: int = 150000

    def cost(self, subtotal_ore: int, *, delivery_method: str, has_goods: bool) -> int:
        if delivery_method == "pickup" or not has_goods or subtotal_ore >= self.free_from_ore:
            return 0
        return self.flat_ore


@dataclass
class Totals:
    subtotal_ore: int
    shipping_ore: int
    vat_ore: int

    @property
    def total_ore(self) -> int:
        return self.subtotal_ore + self.shipping_ore


def totals(lines: list[tuple[int, int]], *, shipping_ore: int) -> Totals:
    """Sum (gross line total, VAT rate) pairs and shipping into totals with the MVA they contain.

    The MVA is rounded once per rate, over that rate's lines and the shipping, as the invoice and its EHF do
    (shop.orders.ehf.breakdown), so the order and its invoice state the same MVA to the øre.
    """
    subtotal = sum(gross for gross, _rate in lines)
    by_rate: dict[int, int] = {}
    for gross, rate in [*lines, (shipping_ore, SHIPPING_VAT_BP)]:
        by_rate[rate] = by_rate.get(rate, 0) + gross
    vat = sum(vat_included(gross, rate) for rate, gross in by_rate.items())
    return Totals(subtotal_ore=subtotal, shipping_ore=shipping_ore, vat_ore=vat)


def place_order(
    session: Session, items: dict[int, int], details: Details, *, now: datetime, payment_window: timedelta,
    shipping: ShippingRule,
) -> Order:
    """Create the order, split per unit, and reserve its stock, all or nothing.

    Card orders hold their stock for payment_window; invoice orders commit it at once.

    Raises:
        EmptyCart: no items.
        ProductUnavailable: an item is not (or no longer) for sale.
        OutOfStock: an item is not available in the quantity asked for; nothing of the order remains.
    """
    if not items:
        raise EmptyCart()
    products = list(session.scalars(
        select_for_sale(Product).where(Product.id.in_(list(items))).order_by(Product.id)
        .options(load_only(Product.id, Product.unit_id, Product.kind, Product.title, Product.sku, Product.price_ore,
                           Product.vat_rate_bp, Product.made_to_order, Product.lead_time_days))
    ))
    missing = set(items) - {p.id for p in products}
    if missing:
        raise ProductUnavailable(min(missing))
    with session.begin_nested():  # a savepoint: OutOfStock rolls back everything below
        wanted = [Wanted(p.id, items[p.id], p.kind, p.unit_id, p.made_to_order) for p in products]
        allocations, expired_on = allocate(session, wanted, now=now)
        plans = [(product, allocation) for product, allocation in zip(products, allocations, strict=True)]
        order = _create_order(session, plans, details, now=now, payment_window=payment_window, shipping=shipping)
        stock.reserve(session, _stock_lines(order), expires_at=order.expires_at or now, now=now,
                      release_expired_on=expired_on)
        if order.payment_method == "invoice":
            uncovered = stock.commit(session, _stock_lines(order), order_id=order.id, now=now)
            if uncovered:
                raise OutOfStock(0)
    if order.payment_method == "invoice":
        queue_confirmation(session, order)
    return order


def _create_order(session, plans: list[tuple[Product, Allocation]], details: Details, *, now, payment_window,
                  shipping) -> Order:
    line_amounts = [(product.price_ore * allocation.quantity, product.vat_rate_bp) for product, allocation in plans]
    has_goods = any(product.kind == "goods" for product, _allocation in plans)
    subtotal = sum(amount for amount, _rate in line_amounts)
    sums = totals(line_amounts, shipping_ore=shipping.cost(subtotal, delivery_method=details.delivery_method,
                                                           has_goods=has_goods))
    invoice = details.payment_method == "invoice"
    order = Order(
        public_token=secrets.token_urlsafe(24), user_id=details.user_id, email=details.email, name=details.name,
        phone=details.phone, organisation_name=details.organisation_name, delivery_method=details.delivery_method,
        address_line=details.address_line, postcode=details.postcode, city=details.city,
        payment_method=details.payment_method, org_number=details.org_number, buyer_reference=details.buyer_reference,
        invoice_email=details.invoice_email, status="awaiting_invoice" if invoice else "pending_payment",
        subtotal_ore=sums.subtotal_ore, shipping_ore=sums.shipping_ore, vat_ore=sums.vat_ore, total_ore=sums.total_ore,
        created_at=now, expires_at=None if invoice else now + payment_window, checkout_key=details.checkout_key,
        locale=details.locale,
    )
    # Fulfilments and lines go in with the order in one flush; the collections are set here, so
    # reading order.lines afterwards needs no query.
    fulfilments = {unit_id: Fulfilment(unit_id=unit_id) for unit_id in sorted({a.unit_id for _p, a in plans})}
    order.fulfilments = list(fulfilments.values())
    order.lines = [
        OrderLine(
            fulfilment=fulfilments[allocation.unit_id], product_id=product.id, unit_id=allocation.unit_id,
            stock_record_id=allocation.stock_record_id, title=product.title, sku=product.sku,
            unit_price_ore=product.price_ore, vat_rate_bp=product.vat_rate_bp, quantity=allocation.quantity,
            made_to_order=allocation.made_to_order,
            promised_date=(now + timedelta(days=product.lead_time_days or 0)).astimezone(OSLO).date()
            if allocation.made_to_order else None,
        )
        for product, allocation in plans
    ]
    session.add(order)
    session.flush()
    order.number = f"VB-{order.id:06d}"  # written with the next flush
    return order


def _stock_lines(order: Order) -> list[tuple[int, int, int]]:
    return [(line.id, line.stock_record_id, line.quantity) for line in order.lines if line.stock_record_id]


def _lock(session: Session, order_id: int) -> Order:
    """Load the order with a row lock (PostgreSQL), so payment, expiry and cancellation take turns."""
    return session.scalar(
        select(Order).where(Order.id == order_id).with_for_update().execution_options(populate_existing=True)
    )


def record_payment_succeeded(
    session: Session, *, intent_id: str, amount_ore: int, currency: str, now: datetime
) -> Order | None:
    """Mark the order paid and commit its stock; a repeat or late delivery changes nothing twice.

    A payment that arrives after the reservation expired takes the stock again if it is still there;
    otherwise the order is flagged for the coordinator (refund or make to order).
    """
    order_id = session.scalar(select(Order.id).where(Order.payment_intent_id == intent_id))
    if order_id is None:
        return None
    order = _lock(session, order_id)
    if order.paid_at is not None:
        return order
    if order.status == "cancelled":
        _flag(order, "A card payment arrived for a cancelled order: refund it.")
        session.add(Payment(order_id=order.id, provider_id=intent_id, amount_ore=amount_ore, status="succeeded"))
        order.paid_at = now
        return order
    if amount_ore != order.total_ore or currency.lower() != "nok":
        _flag(order, f"Paid {amount_ore} {currency} but the order total is {order.total_ore} nok.")
    uncovered = stock.commit(session, _stock_lines(order), order_id=order.id, now=now)
    if uncovered:
        titles = ", ".join(line.title for line in order.lines if line.id in uncovered)
        _flag(order, f"Paid after the reservation expired and the stock is gone: {titles}. Refund or make to order.")
    set_status(order, "paid", now=now)
    session.add(Payment(order_id=order.id, provider_id=intent_id, amount_ore=amount_ore, status="succeeded"))
    queue_confirmation(session, order, sold_out=[line for line in order.lines if line.id in uncovered])
    return order


def record_payment_failed(session: Session, *, intent_id: str, now: datetime) -> Order | None:
    """Note a failed payment of an unpaid order; its goods stay held for the rest of the payment window.

    A declined card is not the end of the order: the customer may try another card until the window
    closes, and the pay page says the goods are held until then. So the hold stays, whichever comes
    first, this event or the new PaymentIntent the pay page makes; expiry releases it.
    """
    order_id = session.scalar(select(Order.id).where(Order.payment_intent_id == intent_id))
    if order_id is None:
        return None
    order = _lock(session, order_id)
    if order.paid_at is None and order.total_ore > 0:
        session.add(Payment(order_id=order.id, provider_id=intent_id, amount_ore=order.total_ore, status="failed"))
    return order


def _release_order(session: Session, order: Order, *, now: datetime) -> int:
    ids = list(session.scalars(
        select(Reservation.id).join(OrderLine, OrderLine.id == Reservation.order_line_id)
        .where(OrderLine.order_id == order.id, Reservation.state == "held")
    ))
    return stock.release(session, now=now, reservation_ids=ids)


def expire_unpaid(session: Session, *, now: datetime, keep: set[int] = frozenset()) -> int:
    """Expire unpaid card orders past their window and release every expired hold; return orders expired.

    Orders whose ids are in keep stay as they are this time. Idempotent and safe on several
    machines at once: each order moves with a conditional UPDATE.
    """
    due = [order_id for order_id in session.scalars(
        select(Order.id).where(Order.status == "pending_payment", Order.expires_at < now).order_by(Order.id)
    ) if order_id not in keep]
    expired = 0
    for order_id in due:
        moved = session.execute(
            update(Order).where(Order.id == order_id, Order.status == "pending_payment", Order.paid_at.is_(None))
            .values(status="expired")
        ).rowcount
        expired += moved
    stock.release(session, now=now, expired_only=True)
    return expired


def cancel(session: Session, order: Order, *, actor_user_id: int | None, now: datetime, reason: str = "") -> Order:
    """Cancel an order and give its stock back (held stock is released, sold stock returned).

    Money is not moved here: a paid card order is refunded first (see refund).

    Raises:
        InvalidTransition: the order cannot be cancelled from its status.
    """
    order = _lock(session, order.id)
    if order.status == "cancelled":
        return order
    check_cancel(order)
    set_status(order, "cancelled", now=now)
    _release_order(session, order, now=now)
    stock.return_committed(session, _stock_lines(order), order_id=order.id, now=now, actor_user_id=actor_user_id,
                           note=f"Ordre {order.number} kansellert")
    for fulfilment in order.fulfilments:
        fulfilment.status = "cancelled"
    audit(session, actor_user_id, "order.cancel", "order", order.id, reason)
    queue_customer_email(session, order, "orders/email_cancelled.txt", "orders/email_cancelled_subject.txt")
    return order


def check_cancel(order: Order, *, refunding_ore: int = 0) -> None:
    """Raise unless the order can be cancelled (after refunding refunding_ore of it).

    Raises:
        AlreadySent: goods have been shipped or delivered; their stock must not come back by itself.
        RefundFirst: a card payment would be kept (for example one that arrived a moment ago).
        InvalidTransition: the flow does not allow cancelling from the order's status.
    """
    if order.status == "cancelled":
        return
    if order.goods_sent:
        raise AlreadySent(order.number)
    if order.paid_at is not None and order.payment_method == "card" \
            and order.total_ore - order.refunded_ore - refunding_ore > 0:
        raise RefundFirst(order.number)
    if "cancelled" not in ORDER_FLOW[order.status]:
        raise InvalidTransition(f"{order.status} → cancelled")


def check_refund(order: Order, amount_ore: int) -> None:
    """Raise RefundTooLarge unless 0 < amount ≤ what was paid by card and not yet refunded."""
    if amount_ore <= 0 or amount_ore > order.refundable_ore:
        raise RefundTooLarge(f"at most {order.refundable_ore} øre can be refunded (paid card orders only)")


def start_refund(
    session: Session, order: Order, amount_ore: int, *, request_key: str, actor_user_id: int | None,
) -> Payment | None:
    """Book a refund before the provider is asked to make it; the caller commits, then asks.

    The amount counts as refunded at once, under the order's row lock, so two refunds at the same
    time can never add up to more than was paid (the database checks that too). request_key is the
    one-time key of the form (or action) that asked: the same key again returns None, and the
    caller must not ask the provider a second time.

    Raises:
        RefundTooLarge: more than what was paid and not yet refunded, or not a paid card order.
    """
    order = _lock(session, order.id)
    if session.scalar(select(Payment.id).where(Payment.request_key == request_key)) is not None:
        return None
    check_refund(order, amount_ore)
    order.refunded_ore += amount_ore
    payment = Payment(order_id=order.id, provider_id="", kind="refund", amount_ore=amount_ore, status="pending",
                      request_key=request_key)
    session.add(payment)
    session.flush()
    audit(session, actor_user_id, "order.refund", "order", order.id, f"{amount_ore} øre")
    return payment


def finish_refund(session: Session, payment: Payment, *, refund_id: str, now: datetime, notify: bool = True) -> Order:
    """The provider made the refund: note its id, tell the customer (unless notify is False: a
    cancellation says it in its own e-mail); a full refund moves the order to refunded."""
    order = _lock(session, payment.order_id)
    payment.provider_id, payment.status = refund_id, "succeeded"
    if order.refunded_ore == order.total_ore and order.status in ("paid", "completed"):
        set_status(order, "refunded", now=now)
    if notify:
        queue_customer_email(session, order, "orders/email_refunded.txt", "orders/email_refunded_subject.txt",
                              payment=payment)
    return order


def abandon_refund(session: Session, payment: Payment) -> None:
    """The provider refused or could not be reached: nothing was refunded, so give the amount back."""
    order = _lock(session, payment.order_id)
    order.refunded_ore -= payment.amount_ore
    payment.status = "failed"


def flag_stray_payment(session: Session, order_id: int, *, intent_id: str, amount_ore: int) -> Order | None:
    """A payment succeeded on a PaymentIntent the order no longer uses: book it and flag the order."""
    order = _lock(session, order_id)
    if order is None:
        return None
    session.add(Payment(order_id=order.id, provider_id=intent_id, amount_ore=amount_ore, status="succeeded"))
    _flag(order, f"A card payment of {amount_ore} øre ({intent_id}) succeeded on an earlier payment attempt: "
                 "check whether the customer paid twice and refund it in Stripe.")
    return order


def _flag(order: Order, message: str) -> None:
    order.attention = (order.attention + "\n" + message).strip()


def load(session: Session, *, token: str | None = None, order_id: int | None = None) -> Order | None:
    """Load an order with its lines and fulfilments."""
    stmt = select(Order).options(
        selectinload(Order.lines), selectinload(Order.fulfilments).selectinload(Fulfilment.unit)
    )
    stmt = stmt.where(Order.public_token == token) if token else stmt.where(Order.id == order_id)
    return session.scalar(stmt)


def find_by_checkout_key(session: Session, checkout_key: str | None) -> Order | None:
    """The order a checkout form with this one-time key placed, if any."""
    if not checkout_key or len(checkout_key) > 64:
        return None
    return session.scalar(select(Order).where(Order.checkout_key == checkout_key))


def orders_of(session: Session, user_id: int) -> list[Order]:
    """Return the user's orders, newest first."""
    return list(session.scalars(
        select(Order).where(Order.user_id == user_id).order_by(Order.created_at.desc(), Order.id.desc())
    ))


@dataclass(frozen=True)
class OrderQuery:
    """What the coordinator looks for: free text (number, name, organisation, e-mail), a status, attention."""

    text: str = ""
    status: str | None = None
    attention_only: bool = False


def search(session: Session, query: OrderQuery, *, page: int, per_page: int) -> Page:
    """Orders matching the query, those needing attention first, then newest first.

    Raises:
        PageOutOfRange: page is below 1 or past the last page.
    """
    stmt = select(Order)
    if query.status:
        stmt = stmt.where(Order.status == query.status)
    if query.attention_only:
        stmt = stmt.where(Order.attention != "")
    if text := query.text.strip():
        like = like_pattern(text)
        stmt = stmt.where(or_(*(func.lower(column).like(like, escape=LIKE_ESCAPE)
                                for column in (Order.number, Order.name, Order.organisation_name, Order.email))))
    return paginate(session, stmt.order_by((Order.attention != "").desc(), Order.id.desc()), page=page,
                    per_page=per_page)


def coordinator_counts(session: Session) -> dict[str, int]:
    """Orders the coordinator must act on: those flagged for attention, and invoice orders not yet invoiced."""
    attention, to_invoice = session.execute(
        select(func.count().filter(Order.attention != ""), func.count().filter(Order.status == "awaiting_invoice"))
    ).one()
    return {"attention": attention or 0, "to_invoice": to_invoice or 0}
