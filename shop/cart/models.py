"""Cart model: a logged-in customer's cart lines (guests keep theirs in the session cookie)."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shop.extensions import db


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
