"""Cart rules: reading untrusted cart data, the customer's stored cart, merging at login, and pricing
the cart against what can be bought now."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from catalogue.browse import Card, cards, for_sale_ids
from catalogue.models import Product
from shop.cart.models import CartItem
from shop.core.forms import DB_INT_MAX

MAX_QUANTITY = 99
MAX_LINES = 50


@dataclass
class CartLine:
    product_id: int
    quantity: int
    card: Card | None  # None when the product is no longer for sale
    problem: str | None = None  # unavailable, sold_out, reduced

    @property
    def total_ore(self) -> int:
        return self.card.price_ore * self.quantity if self.card and self.problem not in ("unavailable", "sold_out") else 0

    @property
    def made_to_order(self) -> bool:
        """The line will be made for the customer: no stock of it, or fewer than asked for (the
        whole line is then made to order; see shop.orders.services.place_order)."""
        return bool(self.card and self.card.kind == "goods" and self.card.made_to_order
                    and self.quantity > self.card.availability.available)


@dataclass
class CartView:
    lines: list[CartLine] = field(default_factory=list)

    @property
    def buyable(self) -> list[CartLine]:
        return [line for line in self.lines if line.card and line.problem not in ("unavailable", "sold_out")]

    @property
    def subtotal_ore(self) -> int:
        return sum(line.total_ore for line in self.buyable)

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def has_problems(self) -> bool:
        return any(line.problem for line in self.lines)

    @property
    def needs_shipping(self) -> bool:
        return any(line.card.kind == "goods" for line in self.buyable)


def clean(raw) -> dict[int, int]:
    """Read cart items from untrusted session data: {product_id: quantity} with sane bounds."""
    items: dict[int, int] = {}
    if not isinstance(raw, dict):
        return items
    for key, value in list(raw.items())[:MAX_LINES]:
        try:
            product_id, quantity = int(key), int(value)
        except (TypeError, ValueError):
            continue
        if 0 < product_id <= DB_INT_MAX and quantity > 0:
            items[product_id] = min(quantity, MAX_QUANTITY)
    return items


def user_items(session: Session, user_id: int) -> dict[int, int]:
    rows = session.execute(select(CartItem.product_id, CartItem.quantity).where(CartItem.user_id == user_id))
    return {product_id: quantity for product_id, quantity in rows}


def set_user_quantity(session: Session, user_id: int, product_id: int, quantity: int) -> None:
    """Set (or with 0, remove) one line of a customer's stored cart."""
    quantity = max(0, min(quantity, MAX_QUANTITY))
    item = session.scalar(select(CartItem).where(CartItem.user_id == user_id, CartItem.product_id == product_id))
    if quantity == 0:
        if item is not None:
            session.delete(item)
    elif item is None:
        session.add(CartItem(user_id=user_id, product_id=product_id, quantity=quantity))
    else:
        item.quantity = quantity
    session.flush()


def merge(session: Session, user_id: int, guest: dict[int, int]) -> None:
    """Add a guest cart's lines to the customer's stored cart (quantities add up, within bounds)."""
    stored = user_items(session, user_id)
    for product_id, quantity in guest.items():
        if session.get(Product, product_id) is None:
            continue
        set_user_quantity(session, user_id, product_id, stored.get(product_id, 0) + quantity)


def clear_user(session: Session, user_id: int) -> None:
    session.execute(delete(CartItem).where(CartItem.user_id == user_id))


def view(session: Session, items: dict[int, int]) -> CartView:
    """Price the items and check each against what can be bought now; nothing is silently dropped."""
    if not items:
        return CartView()
    buyable_ids = for_sale_ids(session, list(items))
    by_id = {card.id: card for card in cards(session, [pid for pid in items if pid in buyable_ids])}
    lines = []
    for product_id, quantity in items.items():
        card = by_id.get(product_id)
        problem = None
        if card is None:
            problem = "unavailable"
        elif card.availability.code == "sold_out":
            problem = "sold_out"
        elif card.kind == "goods" and not card.made_to_order and quantity > card.availability.available:
            problem = "reduced"
        lines.append(CartLine(product_id=product_id, quantity=quantity, card=card, problem=problem))
    return CartView(lines=lines)

