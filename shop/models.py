"""Shop models: accounts and roles, orders and their lines, fulfilments, payments, outbox and audit."""
from __future__ import annotations

import hashlib
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.models import Unit, utcnow
from shop.extensions import db

ROLES = {
    "customer": _l("Customer"),
    "staff": _l("Workshop staff"),
    "coordinator": _l("National coordinator"),
    "admin": _l("Administrator"),
}


class User(UserMixin, db.Model):
    """Someone who logs in: a customer, staff of one unit, a coordinator or an administrator."""

    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint("role IN ('customer', 'staff', 'coordinator', 'admin')", name="role"),
        CheckConstraint("role != 'staff' OR unit_id IS NOT NULL", name="staff_has_unit"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(12), default="customer")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)

    unit: Mapped[Unit | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated accounts cannot log in
        return self.active

    @property
    def session_id(self) -> str:
        """What the session cookie names the user by: the id and a digest of the password hash.

        A new password gives a new hash (with a new random salt), so every session made before the
        change stops working: a password reset logs a thief out everywhere. The session cookie is
        signed but readable, so it carries a digest, not a piece of the hash.
        """
        return f"{self.id}.{hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]}"

    def get_id(self) -> str:  # Flask-Login
        return self.session_id


ORDER_STATUSES = ("pending_payment", "paid", "awaiting_invoice", "invoiced", "expired", "cancelled", "refunded", "completed")
PAYMENT_METHODS = ("card", "invoice")
DELIVERY_METHODS = ("shipping", "pickup")
FULFILMENT_STATUSES = ("pending", "packed", "shipped", "ready_for_pickup", "delivered", "cancelled")


class Order(db.Model):
    """A customer's order: contact, delivery, payment method, totals in øre and the state it is in."""

    __tablename__ = "order"
    __table_args__ = (
        CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in ORDER_STATUSES) + ")", name="status"),
        CheckConstraint("payment_method IN ('card', 'invoice')", name="payment_method"),
        CheckConstraint("delivery_method IN ('shipping', 'pickup')", name="delivery_method"),
        CheckConstraint("subtotal_ore >= 0 AND shipping_ore >= 0 AND vat_ore >= 0", name="amounts_not_negative"),
        CheckConstraint("total_ore = subtotal_ore + shipping_ore", name="total_is_sum"),
        CheckConstraint("refunded_ore >= 0 AND refunded_ore <= total_ore", name="refund_within_total"),
        CheckConstraint(
            "payment_method != 'invoice' OR (org_number IS NOT NULL AND buyer_reference IS NOT NULL)",
            name="invoice_details",
        ),
        Index("ix_order_status_expires", "status", "expires_at"),
        Index("uq_order_checkout_key", "checkout_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    public_token: Mapped[str] = mapped_column(String(64), unique=True)
    # The one-time key of the checkout form that placed the order: a second submit finds this order.
    checkout_key: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40), default="")
    organisation_name: Mapped[str] = mapped_column(String(200), default="")
    delivery_method: Mapped[str] = mapped_column(String(10))
    address_line: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(4), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    payment_method: Mapped[str] = mapped_column(String(10))
    org_number: Mapped[str | None] = mapped_column(String(9))
    buyer_reference: Mapped[str | None] = mapped_column(String(100))
    invoice_email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20), default="pending_payment")
    subtotal_ore: Mapped[int] = mapped_column(Integer)
    shipping_ore: Mapped[int] = mapped_column(Integer, default=0)
    vat_ore: Mapped[int] = mapped_column(Integer)
    total_ore: Mapped[int] = mapped_column(Integer)
    refunded_ore: Mapped[int] = mapped_column(Integer, default=0)
    payment_intent_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    # Set when something needs a coordinator: a payment arrived but the stock was gone, an amount mismatch…
    attention: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))

    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", order_by="OrderLine.id")
    fulfilments: Mapped[list[Fulfilment]] = relationship(back_populates="order", order_by="Fulfilment.unit_id")
    user: Mapped[User | None] = relationship()

    @property
    def paid_ore(self) -> int:
        return self.total_ore if self.paid_at else 0


class Fulfilment(db.Model):
    """The part of an order that one unit packs and sends (or hands over at pickup)."""

    __tablename__ = "fulfilment"
    __table_args__ = (
        UniqueConstraint("order_id", "unit_id", name="uq_fulfilment_order_unit"),
        CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in FULFILMENT_STATUSES) + ")", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship(back_populates="fulfilments")
    unit: Mapped[Unit] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(back_populates="fulfilment", order_by="OrderLine.id")


class OrderLine(db.Model):
    """One product in an order: a snapshot of title, sku and price, and the unit that fulfils it."""

    __tablename__ = "order_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_ore >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    fulfilment_id: Mapped[int] = mapped_column(ForeignKey("fulfilment.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    stock_record_id: Mapped[int | None] = mapped_column(ForeignKey("stock_record.id"))
    title: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str] = mapped_column(String(40))
    unit_price_ore: Mapped[int] = mapped_column(Integer)
    vat_rate_bp: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    made_to_order: Mapped[bool] = mapped_column(Boolean, default=False)
    promised_date: Mapped[date | None] = mapped_column(Date)

    order: Mapped[Order] = relationship(back_populates="lines")
    fulfilment: Mapped[Fulfilment] = relationship(back_populates="lines")
    unit: Mapped[Unit] = relationship()

    @property
    def total_ore(self) -> int:
        return self.unit_price_ore * self.quantity


class Payment(db.Model):
    """A payment attempt or refund at the provider, as we last heard of it."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("kind IN ('charge', 'refund')", name="kind"),
        CheckConstraint("amount_ore > 0", name="amount_positive"),
        # A refund is made once per form (or action) that asked for it: double clicks, retries.
        Index("uq_payment_request_key", "request_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20), default="stripe")
    provider_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10), default="charge")
    amount_ore: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(30))
    # The one-time key of the request that asked for a refund (see shop.orders.start_refund).
    request_key: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)


class ProcessedEvent(db.Model):
    """A provider event already handled; the unique id makes webhook handling idempotent."""

    __tablename__ = "processed_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20), default="stripe")
    event_id: Mapped[str] = mapped_column(String(100), unique=True)
    event_type: Mapped[str] = mapped_column(String(60))
    processed_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)


class OutboxMessage(db.Model):
    """An e-mail waiting to be sent (or sent); written in the same transaction as what caused it."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


class AuditEvent(db.Model):
    """Who did what to which object, and when (staff and coordinator actions)."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)


class CartItem(db.Model):
    """A logged-in customer's cart line (guests keep theirs in the session cookie)."""

    __tablename__ = "cart_item"
    __table_args__ = (
        UniqueConstraint("user_id", "product_id", name="uq_cart_item_user_product"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
