"""Cart pages: add, change and remove lines; guests keep the cart in the session, customers in the database."""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from shop.cart import services as cart
from shop.cart.forms import QuantityForm
from shop.extensions import csrf, db
from shop.security import safe_next, same_origin

bp = Blueprint("cart", __name__)


def current_items() -> dict[int, int]:
    """Return the visitor's cart items, wherever they are kept."""
    if current_user.is_authenticated:
        return cart.user_items(db.session, current_user.id)
    return cart.clean(session.get("cart"))


def cart_count() -> int:
    """How many items the visitor has in the cart (no query for guests; one per request for customers)."""
    if not request:
        return 0
    if "_user_id" not in session or not current_user.is_authenticated:
        return sum(cart.clean(session.get("cart")).values())
    if "cart_count" not in g:  # every template of the request asks (the page, its kept parts)
        g.cart_count = sum(cart.user_items(db.session, current_user.id).values())
    return g.cart_count


# The page cache fills in each visitor's menu on cached pages, and asks the cart for the count.
bp.record_once(lambda state: state.app.extensions.update(
    cart_count=cart_count, cart_count_in=lambda data: sum(cart.clean(data.get("cart")).values())))


@bp.app_context_processor
def inject_cart_count() -> dict:
    """The header's cart count, on every page (registered by the cart, so the plumbing needs no cart)."""
    return {"cart_count": cart_count()}


def set_quantity(product_id: int, quantity: int) -> None:
    g.pop("cart_count", None)
    if current_user.is_authenticated:
        cart.set_user_quantity(db.session, current_user.id, product_id, quantity)
        db.session.commit()
        return
    items = cart.clean(session.get("cart"))
    if quantity <= 0:
        items.pop(product_id, None)
    elif product_id in items or len(items) < cart.MAX_LINES:
        items[product_id] = min(quantity, cart.MAX_QUANTITY)
    session["cart"] = {str(k): v for k, v in items.items()}


def empty() -> None:
    g.pop("cart_count", None)
    if current_user.is_authenticated:
        cart.clear_user(db.session, current_user.id)
    session.pop("cart", None)


@bp.get("/handlekurv")
def show():
    view = cart.view(db.session, current_items())
    return render_template("cart/cart.html", cart=view)


@bp.post("/handlekurv/legg-til")
@csrf.exempt  # the product page is cached for all anonymous visitors, so it carries no token
def add():
    if not same_origin(request):
        abort(403)
    form = QuantityForm(meta={"csrf": False})
    back = safe_next(request.form.get("next")) or url_for("cart.show")
    if not form.validate() or form.quantity.data < 1:
        flash(_("Choose a quantity from 1 to 99."), "error")
        return redirect(back, 303)
    view = cart.view(db.session, {form.product_id.data: 1})
    if not view.buyable:
        flash(_("That product cannot be bought right now."), "error")
        return redirect(back, 303)
    items = current_items()
    set_quantity(form.product_id.data, items.get(form.product_id.data, 0) + form.quantity.data)
    flash(_("%(title)s is in your cart.", title=view.lines[0].card.title), "success")
    return redirect(back, 303)


@bp.post("/handlekurv/endre")
def update():
    form = QuantityForm()
    if not form.validate():
        flash(_("Choose a quantity from 0 to 99."), "error")
        return redirect(url_for("cart.show"), 303)
    if form.product_id.data in current_items():
        set_quantity(form.product_id.data, form.quantity.data)
        flash(_("The cart is updated."), "success")
    return redirect(url_for("cart.show"), 303)
