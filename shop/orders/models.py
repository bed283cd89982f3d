"""Order models: the order, its lines, the part of it each unit fulfils, and its payments and refunds at the
provider; their status tables and labels."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.models import Unit
from shop.accounts.models import User
from shop.core.seller import Seller
from shop.core.time import aware, utcnow
from shop.extensions import db

ORDER_STATUSES = ("pending_payment", "paid", "awaiting_invoice", "invoiced", "expired", "cancelled", "refunded", "completed")
PAYMENT_METHODS = ("card", "invoice")
DELIVERY_METHODS = ("shipping", "pickup")
FULFILMENT_STATUSES = ("pending", "packed", "shipped", "ready_for_pickup", "delivered", "cancelled")

# The moves an order's status may make (shop.orders.services.set_status enforces it).
ORDER_FLOW: dict[str, set[str]] = {
    "pending_payment": {"paid", "expired", "cancelled"},
    # A payment that arrives after the window still counts (the stock is re-reserved if possible).
    "expired": {"paid", "cancelled"},
    "paid": {"cancelled", "refunded", "completed"},
    "awaiting_invoice": {"invoiced", "cancelled", "completed"},
    "invoiced": {"completed", "cancelled"},
    "cancelled": set(),
    "refunded": {"cancelled"},
    "completed": {"refunded"},
}
# Orders whose goods may be packed: paid, or confirmed for invoicing.
WORKABLE_ORDER_STATUSES = ("paid", "awaiting_invoice", "invoiced", "completed")
# Orders that will not go ahead.
CLOSED_ORDER_STATUSES = ("cancelled", "expired")
# Fulfilment statuses once the goods have left the workshop: the order is a return now, not a cancellation.
SENT_STATUSES = ("shipped", "delivered")

# What each status is called, on every page and in every e-mail (templates use the order_status and
# fulfilment_status filters).
ORDER_STATUS_LABELS = {
    "pending_payment": _l("Awaiting payment"), "paid": _l("Paid"), "awaiting_invoice": _l("Confirmed – invoice to follow"),
    "invoiced": _l("Invoiced"), "expired": _l("Expired – not paid in time"), "cancelled": _l("Cancelled"),
    "refunded": _l("Refunded"), "completed": _l("Completed"),
}
# What the button that takes a fulfilment to each status says.
FULFILMENT_STEP_LABELS = {
    "packed": _l("Mark as packed"), "shipped": _l("Mark as sent"), "ready_for_pickup": _l("Ready for pickup"),
    "delivered": _l("Mark as delivered"), "pending": _l("Unpack"),
}
FULFILMENT_STATUS_LABELS = {
    "pending": _l("Being prepared"), "packed": _l("Packed"), "shipped": _l("Sent"),
    "ready_for_pickup": _l("Ready for pickup"), "delivered": _l("Delivered"), "cancelled": _l("Cancelled"),
}


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
        Index("ix_order_created_at", "created_at"),  # the reports' current month (shop.orders.sales)
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
    # The language the customer shopped in: their e-mails are written in it.
    locale: Mapped[str] = mapped_column(String(5), default="nb", server_default="nb")
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

    @property
    def refundable_ore(self) -> int:
        """What can still be refunded through the card provider: paid and not yet refunded (0 if nothing)."""
        if self.payment_method != "card" or self.paid_at is None or not self.payment_intent_id:
            return 0
        return self.total_ore - self.refunded_ore

    @property
    def goods_sent(self) -> bool:
        """Some of the goods have left a workshop."""
        return any(fulfilment.status in SENT_STATUSES for fulfilment in self.fulfilments)

    @property
    def cancellable(self) -> bool:
        """The order can be cancelled from its status, and nothing has been sent."""
        return self.status != "cancelled" and "cancelled" in ORDER_FLOW[self.status] and not self.goods_sent

    @property
    def payable(self) -> bool:
        """Awaiting a card payment within its payment window, so its goods are still held."""
        return (self.status == "pending_payment" and self.paid_at is None
                and (self.expires_at is None or aware(self.expires_at) > utcnow()))

    @property
    def confirmed(self) -> bool:
        """Paid or confirmed for invoicing: the workshops pack it."""
        return self.status in WORKABLE_ORDER_STATUSES

    @property
    def closed(self) -> bool:
        """Cancelled or expired: the order will not go ahead."""
        return self.status in CLOSED_ORDER_STATUSES


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
    # When the goods first left the workshop (sent, or ready for pickup): the right of withdrawal counts from it.
    handed_over_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))

    order: Mapped[Order] = relationship(back_populates="fulfilments")
    unit: Mapped[Unit] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(back_populates="fulfilment", order_by="OrderLine.id")

    @property
    def before_handover(self) -> bool:
        """Still in the workshop: not yet sent, ready for pickup or delivered."""
        return self.status in ("pending", "packed")


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
    # The one-time key of the request that asked for a refund (see shop.orders.services.start_refund).
    request_key: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)


INVOICE_KINDS = ("invoice", "credit_note")
INVOICE_STATUSES = ("issued", "sent", "paid")
INVOICE_STATUS_LABELS = {"issued": _l("Issued, not sent"), "sent": _l("Sent"), "paid": _l("Paid")}
CREDIT_NOTE_STATUS_LABELS = {"issued": _l("Issued, not sent"), "sent": _l("Sent"), "paid": _l("Settled")}


class DocumentSequence(db.Model):
    """A gap-free number series (bokføringsloven § 5): the next number is taken by one UPDATE that holds the row
    until the transaction ends, so a number is used exactly when the document that took it is committed."""

    __tablename__ = "document_sequence"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    next_number: Mapped[int] = mapped_column(BigInteger)


class Invoice(db.Model):
    """An invoice or a credit note for an invoice order: numbered from one series, with the seller and the buyer as
    they were when it was issued, and its lines as they are billed (gross, incl. MVA)."""

    __tablename__ = "invoice"
    __table_args__ = (
        CheckConstraint("kind IN ('invoice', 'credit_note')", name="kind"),
        CheckConstraint("status IN ('issued', 'sent', 'paid')", name="status"),
        CheckConstraint("kind = 'invoice' OR corrects_id IS NOT NULL", name="credit_note_corrects"),
        CheckConstraint("total_ore >= 0 AND shipping_ore >= 0", name="amounts_not_negative"),
        Index("uq_invoice_order", "order_id", unique=True, sqlite_where=db.text("kind = 'invoice'"),
              postgresql_where=db.text("kind = 'invoice'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, unique=True)
    kind: Mapped[str] = mapped_column(String(12), default="invoice")
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    status: Mapped[str] = mapped_column(String(10), default="issued")
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date, index=True)
    # The day the goods left the workshops, when they had when the document was issued (None: not yet).
    delivery_date: Mapped[date | None] = mapped_column(Date)
    kid: Mapped[str] = mapped_column(String(25), default="")
    # The seller (shop.core.seller.Seller as a mapping) and the buyer when the document was issued.
    seller: Mapped[dict] = mapped_column(db.JSON)
    buyer_name: Mapped[str] = mapped_column(String(200))
    buyer_org_number: Mapped[str] = mapped_column(String(9))
    buyer_reference: Mapped[str] = mapped_column(String(100), default="")
    buyer_address: Mapped[str] = mapped_column(Text, default="")
    buyer_email: Mapped[str] = mapped_column(String(254), default="")
    shipping_ore: Mapped[int] = mapped_column(Integer, default=0)
    total_ore: Mapped[int] = mapped_column(Integer)  # incl. MVA, what is owed (or credited)
    vat_ore: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")  # credit notes: why
    # The one-time key of the form that asked for a credit note: a second click finds this note.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The EHF check when the document was issued: [] when the official rules found nothing fatal.
    ehf_errors: Mapped[list] = mapped_column(db.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    sent_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))

    order: Mapped[Order] = relationship()
    corrects: Mapped[Invoice | None] = relationship(remote_side="Invoice.id")
    lines: Mapped[list[InvoiceLine]] = relationship(back_populates="invoice", order_by="InvoiceLine.id")

    @property
    def seller_identity(self) -> Seller:
        """The seller as it was when the document was issued."""
        return Seller(**self.seller)

    @property
    def is_credit_note(self) -> bool:
        return self.kind == "credit_note"

    @property
    def ehf_valid(self) -> bool:
        return not self.ehf_errors


class InvoiceLine(db.Model):
    """One billed line: what the order line said, and how many of it this document bills (or credits)."""

    __tablename__ = "invoice_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),
                      CheckConstraint("unit_price_ore >= 0", name="price_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str] = mapped_column(String(40))
    unit_price_ore: Mapped[int] = mapped_column(Integer)
    vat_rate_bp: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")

    @property
    def total_ore(self) -> int:
        return self.unit_price_ore * self.quantity


RETURN_STATUSES = ("requested", "received", "refunded")
RETURN_STATUS_LABELS = {"requested": _l("Withdrawal received – send the goods back"),
                        "received": _l("Goods received – refund on its way"), "refunded": _l("Refunded")}
RETURN_CONDITIONS = ("returned", "damaged")


class OrderReturn(db.Model):
    """A customer's withdrawal from (part of) an order: which lines, why, and how far it has come: requested by
    the customer, the goods received back by the units that sent them, refunded by the coordinator."""

    __tablename__ = "order_return"
    __table_args__ = (
        CheckConstraint("status IN ('requested', 'received', 'refunded')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="requested")
    reason: Mapped[str] = mapped_column(Text, default="")
    # The one-time key of the form that asked for it: a second submit finds this return.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
    received_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))
    refunded_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))
    refund_ore: Mapped[int] = mapped_column(Integer, default=0)
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))

    order: Mapped[Order] = relationship()
    lines: Mapped[list[ReturnLine]] = relationship(back_populates="order_return", order_by="ReturnLine.id")

    @property
    def amount_ore(self) -> int:
        """What the returned goods cost, incl. MVA."""
        return sum(line.quantity * line.order_line.unit_price_ore for line in self.lines)


class ReturnLine(db.Model):
    """How many of one order line come back, and in what state the unit found them when they arrived."""

    __tablename__ = "return_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("condition IS NULL OR condition IN ('returned', 'damaged')", name="condition"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("order_return.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    condition: Mapped[str | None] = mapped_column(String(10))
    received_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    order_return: Mapped[OrderReturn] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship()


# Monthly summaries of sales, kept for the coordinator's reports (shop.orders.summaries fills and checks them): a
# month's rows are only used while the month's version is the one they were made from, and every change to an
# order of the month raises the version.

class SalesMonth(db.Model):
    """A calendar month in Europe/Oslo: the version its orders are at, and the version its summary was made from."""

    __tablename__ = "sales_month"

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the month's first day
    version: Mapped[int] = mapped_column(Integer, default=0)
    summarized_version: Mapped[int | None] = mapped_column(Integer)
    summarized_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))


class SalesMonthLines(db.Model):
    """A month's sold order lines, summed per unit, payment method, kind and VAT rate."""

    __tablename__ = "sales_month_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    invoice: Mapped[bool] = mapped_column(Boolean)
    service: Mapped[bool] = mapped_column(Boolean)
    vat_rate_bp: Mapped[int] = mapped_column(Integer)
    items: Mapped[int] = mapped_column(BigInteger)
    gross_ore: Mapped[int] = mapped_column(BigInteger)  # incl. MVA, what was not refunded
    vat_ore: Mapped[int] = mapped_column(BigInteger)


class SalesMonthOrders(db.Model):
    """A month's sales counted as orders: per payment method for the whole order (unit_id NULL), and per unit the
    orders it has a part of, with how many of those are the order's first part in the unit's region."""

    __tablename__ = "sales_month_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    invoice: Mapped[bool] = mapped_column(Boolean)
    orders: Mapped[int] = mapped_column(Integer)
    first_in_region: Mapped[int] = mapped_column(Integer, default=0)


class SalesMonthProducts(db.Model):
    """A month's sales of each product: order lines, items and amounts."""

    __tablename__ = "sales_month_products"
    __table_args__ = (Index("ix_sales_month_products_month_product", "month", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    lines: Mapped[int] = mapped_column(Integer)
    items: Mapped[int] = mapped_column(BigInteger)
    gross_ore: Mapped[int] = mapped_column(BigInteger)
    vat_ore: Mapped[int] = mapped_column(BigInteger)
