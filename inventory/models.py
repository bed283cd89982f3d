"""Inventory models: one stock record per (product, unit) and the append-only movement ledger."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.models import Product, Unit
from shop.core.time import utcnow
from shop.extensions import db

MOVEMENT_REASONS = (
    "produced",
    "counted",
    "sold",
    "damaged",
    "internal_use",
    "staff_sale",
    "returned",
    "correction",
)


class StockRecord(db.Model):
    """How many of one product one unit holds, and how many of those are reserved by orders."""

    __tablename__ = "stock_record"
    __table_args__ = (
        UniqueConstraint("product_id", "unit_id", name="uq_stock_record_product_unit"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
        CheckConstraint("low_stock_threshold >= 0", name="threshold_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    low_stock_threshold: Mapped[int] = mapped_column(Integer, default=3)
    confirmed_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))
    # False once the unit stops stocking the product: the record keeps its ledger but offers nothing.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    product: Mapped[Product] = relationship()
    unit: Mapped[Unit] = relationship()

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockMovement(db.Model):
    """One change to a stock record; on_hand always equals the sum of a record's movements."""

    __tablename__ = "stock_movement"
    __table_args__ = (
        CheckConstraint(
            "reason IN (" + ", ".join(f"'{r}'" for r in MOVEMENT_REASONS) + ")", name="reason"
        ),
        CheckConstraint("on_hand_after >= 0", name="on_hand_after_not_negative"),
        Index("ix_stock_movement_record_created", "stock_record_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stock_record_id: Mapped[int] = mapped_column(ForeignKey("stock_record.id"))
    delta: Mapped[int] = mapped_column(Integer)
    on_hand_after: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(20))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)

    stock_record: Mapped[StockRecord] = relationship()
    # Named by string: users and orders live in packages above inventory, which it never imports.
    actor: Mapped[User | None] = relationship("User", viewonly=True)  # noqa: F821
    order: Mapped[Order | None] = relationship("Order", viewonly=True)  # noqa: F821


class Reservation(db.Model):
    """Stock held for an order line until payment commits it or the hold is released."""

    __tablename__ = "reservation"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("state IN ('held', 'committed', 'released')", name="state"),
        Index("ix_reservation_state_expires", "state", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id"), unique=True)
    stock_record_id: Mapped[int] = mapped_column(ForeignKey("stock_record.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(10), default="held")
    created_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(db.DateTime(timezone=True), default=utcnow, onupdate=utcnow)
