"""CSRF: every state-changing endpoint refuses a request without a valid token, and changes nothing.

The endpoints come from the app's own URL map; a new POST endpoint makes
test_every_state_changing_endpoint_has_a_csrf_test fail until it is covered here.

The fixtures turn CSRF off (WTF_CSRF_ENABLED=False); these tests turn it on for the app they get.
Flask-WTF reads that setting on every request, and each test shows that the very same form WITH the
token the page rendered goes through and makes its change, so a refusal here is the token's doing.

Two endpoints are exempt by design and are checked for what protects them instead: the Stripe webhook
(its signature) and adding to the cart (the Origin/Referer check; the product page is cached for every
anonymous visitor, so it cannot carry a per-visitor token). The card payment POST (/kasse/betal/<token>,
answered in JSON) is protected by the ordinary token: pay.js sends the form, hidden csrf_token included.
"""
from __future__ import annotations

import functools
import html
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import pytest
from flask import request
from flask_babel import force_locale, gettext
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from factories import checkout_details, make_product, make_unit
from inventory.models import StockRecord
from shop.accounts.models import User
from shop.accounts.services import create_user, make_reset_token
from shop.cart import services as cart
from shop.mail import OutboxMessage
from shop.orders import services as orders
from shop.orders.models import Fulfilment, Order, Payment
from shop.payments import gateway as payments
from shop.payments.models import ProcessedEvent

OLD_PASSWORD = "passord123"  # what login_as gives its users
NEW_PASSWORD = "et-helt-nytt-passord"
OUR_ORIGIN = "http://verkstedbutikken.test"  # SERVER_NAME in the test config, over plain HTTP
FOREIGN_ORIGIN = "https://angriper.example"

# Endpoints that are CSRF-exempt by design; each has its own test below of what protects it instead.
EXEMPT = {
    "webhooks.stripe_webhook": "authenticated by the Stripe-Signature header",
    "cart.add": "checked by Origin/Referer (the product page is cached, so it carries no token)",
}


# Reading the forms a page renders

class _PostForms(HTMLParser):
    """Collect the POST forms of a page: their action and their hidden fields."""

    def __init__(self, page_path: str):
        super().__init__()
        self.page_path = page_path
        self.forms: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("method") or "get").lower() == "post":
            action = urlsplit(attributes.get("action") or "").path or urlsplit(self.page_path).path
            self._open = {"action": action, "id": attributes.get("id"), "hidden": {}}
            self.forms.append(self._open)
        elif tag == "input" and self._open is not None and attributes.get("type") == "hidden" and attributes.get("name"):
            self._open["hidden"][attributes["name"]] = attributes.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def hidden_fields(client, page: str, action: str) -> dict[str, str]:
    """GET the page and return the hidden fields of its first POST form to `action` (csrf_token included)."""
    response = client.get(page)
    assert response.status_code == 200, f"GET {page} gave {response.status_code}"
    parser = _PostForms(page)
    parser.feed(response.get_data(as_text=True))
    for form in parser.forms:
        if form["action"] == urlsplit(action).path:
            assert form["hidden"].get("csrf_token"), f"the form to {action} on {page} carries no csrf_token"
            return dict(form["hidden"])
    raise AssertionError(f"{page} renders no POST form to {action}; forms: {[f['action'] for f in parser.forms]}")


def token_of_another_session(app) -> str:
    """A genuine token, but an attacker's own: issued to another browser's session."""
    other = app.test_client()
    return hidden_fields(other, "/logg-inn", "/logg-inn")["csrf_token"]


def logged_in_as(client) -> str | None:
    with client.session_transaction() as cookie:
        return cookie.get("_user_id")


def csrf_refusal_text(app) -> str:
    with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        return gettext("The form had expired or was sent from elsewhere. Go back, reload the page and try again.")


def spy_on_view(app, monkeypatch, endpoint: str) -> list:
    """Record POST requests that reach the endpoint's view. functools.wraps keeps the view's module and name, which is
    what Flask-WTF's exemption check looks at, so the spy cannot hide (or add) an exemption."""
    view = app.view_functions[endpoint]
    calls: list = []

    @functools.wraps(view)
    def spy(*args, **kwargs):
        if request.method == "POST":
            calls.append(kwargs)
        return view(*args, **kwargs)

    assert (spy.__module__, spy.__name__) == (view.__module__, view.__name__)
    monkeypatch.setitem(app.view_functions, endpoint, spy)
    return calls


# The state-changing endpoints protected by the CSRF token, each with how to exercise it

@dataclass
class World:
    app: Any
    client: Any
    session: Any
    login_as: Callable
    monkeypatch: Any


@dataclass
class Case:
    page: str  # the page that renders the form
    url: str  # where the form posts
    data: dict  # what the visitor fills in; the page's hidden fields are added
    state: Callable[[], Any]  # the piece of state the request would change
    after: Any  # that state after a valid submission
    ok: tuple[int, ...] = (200, 302, 303)  # the answer to a valid submission


PROTECTED: dict[str, Callable[[World], Case]] = {}


def protects(endpoint: str):
    def register(build):
        PROTECTED[endpoint] = build
        return build
    return register


def session_count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _customer(session, email="kunde@example.no") -> User:
    user = create_user(session, email=email, password=OLD_PASSWORD, name="Kari Kunde", role="customer")
    session.commit()
    return user


def _passwords(session, user_id: int) -> tuple[bool, bool]:
    password_hash = session.get(User, user_id).password_hash
    return check_password_hash(password_hash, OLD_PASSWORD), check_password_hash(password_hash, NEW_PASSWORD)


def _order(session, *, payment_method: str, unit=None) -> Order:
    product = make_product(session, unit=unit, price_ore=50000, stock=5)
    session.commit()
    extra = {"organisation_name": "Oslo kommune", "org_number": "974760673", "buyer_reference": "PO-1",
             "invoice_email": "faktura@example.no"} if payment_method == "invoice" else {}
    order = orders.place_order(
        session, {product.id: 1},
        orders.Details(email="kari@example.no", name="Kari Nordmann", delivery_method="shipping",
                       payment_method=payment_method, address_line="Storgata 1", postcode="0155", city="Oslo", **extra),
        now=datetime.now(UTC), payment_window=timedelta(minutes=15), shipping=orders.ShippingRule(),
    )
    session.commit()
    return order


def _card_order_with_intent(session, intent_id: str) -> Order:
    order = _order(session, payment_method="card")
    order.payment_intent_id = intent_id
    session.commit()
    return order


@protects("auth.register")
def _register(w: World) -> Case:
    def state():
        return session_count(w.session, User, User.email == "ny@example.no"), logged_in_as(w.client) is not None

    return Case("/registrer", "/registrer",
                {"name": "Ny Kunde", "email": "ny@example.no", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                state, after=(1, True))


@protects("auth.login")
def _login(w: World) -> Case:
    user = _customer(w.session)
    return Case("/logg-inn", "/logg-inn", {"email": "kunde@example.no", "password": OLD_PASSWORD},
                lambda: logged_in_as(w.client), after=user.session_id)


@protects("auth.logout")
def _logout(w: World) -> Case:
    user = w.login_as("customer")
    # Logged in, the account page and every other page carry the log-out form in the header.
    assert logged_in_as(w.client) == user.session_id
    return Case("/konto", "/logg-ut", {}, lambda: logged_in_as(w.client), after=None)


@protects("auth.forgot_password")
def _forgot_password(w: World) -> Case:
    _customer(w.session)
    return Case("/glemt-passord", "/glemt-passord", {"email": "kunde@example.no"},
                lambda: session_count(w.session, OutboxMessage), after=1)


@protects("auth.reset_password")
def _reset_password(w: World) -> Case:
    user = _customer(w.session)
    user_id = user.id
    path = f"/nytt-passord/{make_reset_token(user, w.app.config['SECRET_KEY'])}"
    return Case(path, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                lambda: _passwords(w.session, user_id), after=(False, True))


@protects("account.change_password")
def _change_password(w: World) -> Case:
    user_id = w.login_as("customer").id
    return Case("/konto/passord", "/konto/passord",
                {"current_password": OLD_PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                lambda: _passwords(w.session, user_id), after=(False, True))


@protects("cart.update")
def _cart_update(w: World) -> Case:
    user_id = w.login_as("customer").id
    product = make_product(w.session)
    cart.set_user_quantity(w.session, user_id, product.id, 1)
    w.session.commit()
    product_id = product.id
    return Case("/handlekurv", "/handlekurv/endre", {"quantity": "3"},
                lambda: cart.user_items(w.session, user_id), after={product_id: 3})


def _guest_cart(w: World) -> int:
    product = make_product(w.session, stock=5)
    w.session.commit()
    with w.client.session_transaction() as cookie:
        cookie["cart"] = {str(product.id): 1}
    return product.id


@protects("checkout.details")
def _checkout_details(w: World) -> Case:
    _guest_cart(w)

    def state():
        with w.client.session_transaction() as cookie:
            return (cookie.get("checkout") or {}).get("name")

    return Case("/kasse/", "/kasse/", checkout_details(), state, after="Kari Nordmann")


@protects("checkout.review")
def _checkout_review(w: World) -> Case:
    product_id = _guest_cart(w)
    with w.client.session_transaction() as cookie:
        cookie["checkout"] = checkout_details()

    def state():
        reserved = w.session.scalar(select(func.sum(StockRecord.reserved)).where(StockRecord.product_id == product_id))
        return session_count(w.session, Order), reserved

    return Case("/kasse/oppsummering", "/kasse/oppsummering", {}, state, after=(1, 1))


@protects("checkout.confirm_card")
def _confirm_card(w: World) -> Case:
    # The JSON answer goes to pay.js, which posts the page's form (FormData), hidden csrf_token included;
    # see also test_the_card_payment_script_posts_the_forms_csrf_token. Stripe is replaced by fakes.
    order = _card_order_with_intent(w.session, "pi_csrf_test")
    order_id, token = order.id, order.public_token
    charged: list = []

    def retrieve_intent(intent_id):
        return payments.Intent(id=intent_id, client_secret=f"{intent_id}_secret_x", status="requires_payment_method",
                               amount_ore=50000)

    def pay_with(intent_id, payment_method_id):
        charged.append((intent_id, payment_method_id))
        return payments.Intent(id=intent_id, client_secret=f"{intent_id}_secret_x", status="succeeded", amount_ore=50000)

    w.monkeypatch.setattr(payments, "retrieve_intent", retrieve_intent)
    w.monkeypatch.setattr(payments, "pay_with", pay_with)
    return Case(f"/kasse/betal/{token}", f"/kasse/betal/{token}", {"payment_method": "pm_card_visa"},
                lambda: (list(charged), w.session.get(Order, order_id).status),
                after=([("pi_csrf_test", "pm_card_visa")], "pending_payment"), ok=(200,))


@protects("coordinator.orders.refund")
def _refund(w: World) -> Case:
    order = _card_order_with_intent(w.session, "pi_csrf_refund")
    orders.record_payment_succeeded(w.session, intent_id="pi_csrf_refund", amount_ore=order.total_ore, currency="nok",
                                    now=datetime.now(UTC))
    w.session.commit()
    order_id = order.id
    w.login_as("coordinator")
    refunds: list = []

    def refund(intent_id, amount_ore, *, idempotency_key):
        refunds.append((intent_id, amount_ore))
        return "re_csrf_test"

    w.monkeypatch.setattr(payments, "refund", refund)

    def state():
        refund_rows = session_count(w.session, Payment, Payment.kind == "refund")
        return w.session.get(Order, order_id).refunded_ore, refund_rows, list(refunds)

    return Case(f"/coordinator/ordre/{order_id}", f"/coordinator/ordre/{order_id}/refunder", {"amount": "100"},
                state, after=(10000, 1, [("pi_csrf_refund", 10000)]))


@protects("coordinator.orders.cancel")
def _cancel(w: World) -> Case:
    order_id = _order(w.session, payment_method="invoice").id
    w.login_as("coordinator")
    return Case(f"/coordinator/ordre/{order_id}", f"/coordinator/ordre/{order_id}/kanseller",
                {"reason": "Kunden angret"}, lambda: w.session.get(Order, order_id).status, after="cancelled")


@protects("workshop.packing.set_status")
def _workshop_status(w: World) -> Case:
    unit = make_unit(w.session)
    order = _order(w.session, payment_method="invoice", unit=unit)  # confirmed for invoicing: ready to pack
    fulfilment_id = w.session.scalar(select(Fulfilment.id).where(Fulfilment.order_id == order.id))
    w.login_as("staff", unit=unit)
    # The page's form for the next step carries status=packed as a hidden field.
    return Case("/workshop/ordre", f"/workshop/ordre/{fulfilment_id}/status", {},
                lambda: w.session.get(Fulfilment, fulfilment_id).status, after="packed")


# The tests

def test_every_state_changing_endpoint_has_a_csrf_test(app):
    """A new POST (PUT, PATCH, DELETE) endpoint fails here until it has a case above or an exemption test."""
    methods = set(app.config["WTF_CSRF_METHODS"])
    found = {rule.endpoint for rule in app.url_map.iter_rules() if rule.methods & methods}
    covered = set(PROTECTED) | set(EXEMPT)
    assert not set(PROTECTED) & set(EXEMPT)
    assert not found - covered, f"state-changing endpoints without a CSRF test: {sorted(found - covered)}"
    assert not covered - found, f"CSRF tests for endpoints that no longer exist: {sorted(covered - found)}"


def test_the_csrf_setting_is_read_per_request(app, client, login_as):
    """The fixtures' WTF_CSRF_ENABLED=False, then True on the same app: the next request is checked."""
    user = login_as("customer")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/logg-ut").status_code == 400
    assert logged_in_as(client) == user.session_id

    app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/logg-ut").status_code == 302
    assert logged_in_as(client) is None


def pytest_generate_tests(metafunc):
    """Parametrise over PROTECTED once the whole module is read, so cases defined after the tests count too."""
    if metafunc.function.__name__ == "test_a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing":
        metafunc.parametrize("endpoint", sorted(PROTECTED))


def test_a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(endpoint, app, client, session, login_as,
                                                                          monkeypatch):
    world = World(app, client, session, login_as, monkeypatch)
    case = PROTECTED[endpoint](world)
    assert app.url_map.bind("verkstedbutikken.test").match(case.url, method="POST")[0] == endpoint
    app.config["WTF_CSRF_ENABLED"] = True
    view_calls = spy_on_view(app, monkeypatch, endpoint)

    def current_state():
        session.rollback()  # read what the requests committed, and hold no transaction open meanwhile
        value = case.state()
        session.rollback()
        return value

    hidden = hidden_fields(client, case.page, case.url)  # the form as the page renders it, token included
    before = current_state()
    assert before != case.after
    refusal = csrf_refusal_text(app)
    attempts = {
        "no token": {k: v for k, v in hidden.items() if k != "csrf_token"},
        "a made-up token": {**hidden, "csrf_token": "IjAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAi.fake"},
        "another session's token": {**hidden, "csrf_token": token_of_another_session(app)},
    }
    for how, fields in attempts.items():
        response = client.post(case.url, data={**case.data, **fields})

        assert response.status_code == 400, f"{endpoint} with {how}: {response.status_code}"
        assert refusal in html.unescape(response.get_data(as_text=True)), f"{endpoint} with {how}: not the CSRF refusal"
        assert view_calls == [], f"{endpoint} with {how}: the view ran"
        assert current_state() == before, f"{endpoint} with {how} changed the state"

    # The same form with the page's own token goes through: the refusals above were the token's doing.
    response = client.post(case.url, data={**case.data, **hidden})

    assert response.status_code in case.ok, f"{endpoint} with its token: {response.status_code}"
    assert len(view_calls) == 1
    assert current_state() == case.after


def test_the_card_payment_script_posts_the_forms_csrf_token():
    """The card payment is answered in JSON but posted by pay.js from the form, so it carries the token."""
    script = (Path(__file__).parent.parent / "static" / "js" / "pay.js").read_text()
    assert "new FormData(form)" in script and 'getElementById("card-form")' in script
    template = (Path(__file__).parent.parent / "templates" / "checkout" / "pay.html").read_text()
    card_form = template[template.index('id="card-form"'):template.index("</form>", template.index('id="card-form"'))]
    assert 'name="csrf_token" value="{{ csrf_token() }}"' in card_form


# The exempt endpoints and what protects them instead

def _event(intent_id: str, amount_ore: int) -> str:
    return json.dumps({"id": "evt_csrf_test", "type": "payment_intent.succeeded",
                       "data": {"object": {"id": intent_id, "amount": amount_ore, "currency": "nok"}}})


@pytest.mark.parametrize("signature", [None, "t=1,v1=0000", "wrong-secret"])
def test_the_webhook_without_a_valid_signature_is_refused_and_changes_nothing(app, client, session, signature):
    assert "webhooks.stripe_webhook" in EXEMPT
    app.config.update(WTF_CSRF_ENABLED=True, STRIPE_WEBHOOK_SECRET="whsec_csrf_test")
    order = _card_order_with_intent(session, "pi_csrf_hook")
    order_id = order.id
    payload = _event("pi_csrf_hook", order.total_ore)
    if signature == "wrong-secret":
        signature = payments.sign_for_test(payload, "whsec_someone_else")
    headers = {"Content-Type": "application/json"} | ({"Stripe-Signature": signature} if signature else {})

    response = client.post("/stripe/webhook", data=payload, headers=headers)

    assert response.status_code == 400
    session.rollback()
    assert session.get(Order, order_id).status == "pending_payment"
    assert session_count(session, ProcessedEvent) == 0


def test_a_signed_webhook_needs_no_csrf_token(app, client, session):
    """The exemption is real (Stripe cannot send a token): a correctly signed event is applied."""
    app.config.update(WTF_CSRF_ENABLED=True, STRIPE_WEBHOOK_SECRET="whsec_csrf_test")
    order = _card_order_with_intent(session, "pi_csrf_hook")
    order_id = order.id
    payload = _event("pi_csrf_hook", order.total_ore)

    response = client.post("/stripe/webhook", data=payload, headers={
        "Content-Type": "application/json", "Stripe-Signature": payments.sign_for_test(payload, "whsec_csrf_test")})

    assert response.status_code == 200
    session.rollback()
    assert session.get(Order, order_id).status == "paid"


def _cart_of(client, session, user_id):
    if user_id is not None:
        session.rollback()
        items = cart.user_items(session, user_id)
        session.rollback()
        return items
    with client.session_transaction() as cookie:
        return cart.clean(cookie.get("cart"))


@pytest.mark.parametrize("header", ["Origin", "Referer"])
@pytest.mark.parametrize("who", ["guest", "customer"])
def test_add_to_cart_from_another_site_is_refused_and_the_cart_stays_empty(app, client, session, login_as, who, header):
    assert "cart.add" in EXEMPT
    app.config["WTF_CSRF_ENABLED"] = True
    user_id = login_as("customer").id if who == "customer" else None
    product = make_product(session)
    session.commit()
    sent_from = FOREIGN_ORIGIN if header == "Origin" else f"{FOREIGN_ORIGIN}/produkt/lokk"

    response = client.post("/handlekurv/legg-til", data={"product_id": product.id, "quantity": 1},
                           headers={header: sent_from})

    assert 400 <= response.status_code < 500
    assert _cart_of(client, session, user_id) == {}


@pytest.mark.parametrize("header", ["Origin", "Referer"])
@pytest.mark.parametrize("who", ["guest", "customer"])
def test_add_to_cart_from_our_own_pages_needs_no_csrf_token(app, client, session, login_as, who, header):
    """The cached product page carries no token, and the request still works from our own origin."""
    app.config["WTF_CSRF_ENABLED"] = True
    user_id = login_as("customer").id if who == "customer" else None
    product = make_product(session)
    session.commit()
    sent_from = OUR_ORIGIN if header == "Origin" else f"{OUR_ORIGIN}/produkt/{product.id}"

    response = client.post("/handlekurv/legg-til", data={"product_id": product.id, "quantity": 1},
                           headers={header: sent_from})

    assert response.status_code == 303
    assert _cart_of(client, session, user_id) == {product.id: 1}


# The workshop's stock page

def _stock_record(w: World):
    from inventory.models import StockRecord

    unit = make_unit(w.session)
    product = make_product(w.session, unit=unit, stock=5)
    w.session.commit()
    w.login_as("staff", unit=unit)
    return w.session.scalar(select(StockRecord).where(StockRecord.product_id == product.id))


@protects("workshop.stock.save")
def _stock_save(w: World) -> Case:
    from inventory.models import StockRecord

    record = _stock_record(w)
    return Case("/workshop/lager", "/workshop/lager", {"row": str(record.id), f"count-{record.id}": "9",
                                                        "action": "save"},
                lambda: w.session.get(StockRecord, record.id).on_hand, after=9)


@protects("workshop.stock.threshold")
def _stock_threshold(w: World) -> Case:
    from inventory.models import StockRecord

    record = _stock_record(w)
    return Case(f"/workshop/lager/{record.id}/historikk", f"/workshop/lager/{record.id}/terskel", {"threshold": "11"},
                lambda: w.session.get(StockRecord, record.id).low_stock_threshold, after=11)


@protects("workshop.stock.stop")
def _stock_stop(w: World) -> Case:
    from inventory.models import StockRecord

    record = _stock_record(w)
    return Case(f"/workshop/lager/{record.id}/historikk", f"/workshop/lager/{record.id}/stopp", {},
                lambda: w.session.get(StockRecord, record.id).active, after=False)


@protects("workshop.stock.start")
def _stock_start(w: World) -> Case:
    from inventory.models import StockRecord

    unit = make_unit(w.session)
    design = make_product(w.session, title="Nasjonal benk", stock=1)
    w.session.commit()
    w.login_as("staff", unit=unit)
    return Case("/workshop/lager/start?q=nasjonal", "/workshop/lager/start", {},
                lambda: w.session.scalar(select(func.count()).select_from(StockRecord)
                                         .where(StockRecord.unit_id == unit.id, StockRecord.product_id == design.id)),
                after=1)


# Listings: workshop staff edit their unit's listings, the coordinator reviews them

def _jpeg_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (180, 120, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def _listing_form(category_id: int, **changes) -> dict:
    return {"category_id": str(category_id), "kind": "goods", "title": "Skjærefjøl i bjørk", "summary": "",
            "description": "", "price": "349,50", "vat_rate_bp": "2500", "attributes": "", "lead_time_days": "",
            "training_value": "", "action": "save", **changes}


def _staff_listing(w: World, *, status: str = "draft", pictures: int = 0) -> Product:
    from catalogue.services import add_image

    unit = make_unit(w.session)
    product = make_product(w.session, unit=unit, status=status, title="Benk i eik")
    for n in range(pictures):
        add_image(w.session, product, _jpeg_bytes(), alt_text=f"Bilde {n + 1}", media_root=w.app.config["MEDIA_ROOT"])
    w.session.commit()
    w.login_as("staff", unit=unit)
    return product


def _image_ids(w: World, product_id: int) -> list[int]:
    return list(w.session.scalars(select(ProductImage.id).where(ProductImage.product_id == product_id)
                                  .order_by(ProductImage.position, ProductImage.id)))


@protects("workshop.listings.create")
def _listing_create(w: World) -> Case:
    unit = make_unit(w.session)
    category_id = make_category(w.session).id
    w.session.commit()
    unit_id = unit.id
    w.login_as("staff", unit=unit)
    return Case("/workshop/varer/ny", "/workshop/varer/ny", _listing_form(category_id),
                lambda: session_count(w.session, Product, Product.unit_id == unit_id), after=1)


@protects("workshop.listings.edit")
def _listing_edit(w: World) -> Case:
    product = _staff_listing(w)
    product_id, path = product.id, f"/workshop/varer/{product.id}"
    return Case(path, path, _listing_form(product.category_id, title="Benk i ask"),
                lambda: w.session.get(Product, product_id).title, after="Benk i ask")


@protects("workshop.listings.set_status")
def _listing_status(w: World) -> Case:
    product = _staff_listing(w, status="published")
    product_id = product.id
    # The page's archive form carries status=archived as a hidden field.
    return Case(f"/workshop/varer/{product_id}", f"/workshop/varer/{product_id}/status", {},
                lambda: w.session.get(Product, product_id).status, after="archived")


@protects("workshop.listings.withdraw")
def _listing_withdraw(w: World) -> Case:
    from catalogue import listings

    product = _staff_listing(w, status="published")
    staff = listings.Actor(user_id=None, role="staff", unit_id=product.unit_id)
    data = listings.ListingInput(**(listings.ListingInput.of(product).__dict__ | {"title": "Benk i ask"}))
    revision = listings.update_listing(w.session, staff, product.id, data, now=datetime.now(UTC))
    assert revision.outcome == listings.PENDING
    w.session.commit()
    product_id = product.id
    return Case(f"/workshop/varer/{product_id}", f"/workshop/varer/{product_id}/trekk-endringer", {},
                lambda: [r.state for r in w.session.scalars(select(ProductRevision)
                                                            .where(ProductRevision.product_id == product_id))],
                after=["withdrawn"])


@protects("workshop.listings.upload")
def _listing_upload(w: World) -> Case:
    product = _staff_listing(w)
    product_id = product.id
    upload = Path(w.app.config["MEDIA_ROOT"]).parent / "csrf-upload.jpg"
    upload.write_bytes(_jpeg_bytes())
    # A path, not an open file: the test client opens it afresh for each of the case's requests.
    return Case(f"/workshop/varer/{product_id}", f"/workshop/varer/{product_id}/bilder",
                {"pictures": (str(upload), "benk.jpg"), "alt_text": "Benken forfra"},
                lambda: session_count(w.session, ProductImage, ProductImage.product_id == product_id), after=1)


@protects("workshop.listings.move_image")
def _listing_move_image(w: World) -> Case:
    product = _staff_listing(w, pictures=2)
    product_id = product.id
    first, second = _image_ids(w, product_id)
    return Case(f"/workshop/varer/{product_id}", f"/workshop/varer/{product_id}/bilder/{first}/flytt",
                {"direction": "down"}, lambda: _image_ids(w, product_id), after=[second, first])


@protects("workshop.listings.alt_text")
def _listing_alt_text(w: World) -> Case:
    product = _staff_listing(w, pictures=1)
    [image_id] = _image_ids(w, product.id)
    return Case(f"/workshop/varer/{product.id}", f"/workshop/varer/{product.id}/bilder/{image_id}/alt-tekst",
                {f"bilde-{image_id}-alt_text": "Benken sett fra siden"},
                lambda: w.session.get(ProductImage, image_id).alt_text, after="Benken sett fra siden")


@protects("workshop.listings.delete_image")
def _listing_delete_image(w: World) -> Case:
    product = _staff_listing(w, pictures=1)
    product_id = product.id
    [image_id] = _image_ids(w, product_id)
    return Case(f"/workshop/varer/{product_id}", f"/workshop/varer/{product_id}/bilder/{image_id}/slett", {},
                lambda: _image_ids(w, product_id), after=[])


def _submitted_listing(w: World) -> int:
    product_id = make_product(w.session, status="submitted").id
    w.session.commit()
    w.login_as("coordinator")
    return product_id


@protects("coordinator.reviews.approve")
def _review_approve(w: World) -> Case:
    product_id = _submitted_listing(w)
    return Case(f"/coordinator/varer/{product_id}", f"/coordinator/varer/{product_id}/godkjenn",
                {"no_person": "y", "safety": "y"},
                lambda: w.session.get(Product, product_id).status, after="published")


@protects("coordinator.reviews.send_back")
def _review_send_back(w: World) -> Case:
    product_id = _submitted_listing(w)
    return Case(f"/coordinator/varer/{product_id}", f"/coordinator/varer/{product_id}/send-tilbake",
                {"comment": "Skriv hvilket treslag det er."},
                lambda: (w.session.get(Product, product_id).status, w.session.get(Product, product_id).review_comment),
                after=("rejected", "Skriv hvilket treslag det er."))


from catalogue.models import Product, ProductImage, ProductRevision  # noqa: E402  (appended with the listing cases)
from factories import make_category  # noqa: E402


# The stock CSV import: one POST endpoint, which previews a file or (action=confirm) writes the signed preview

@protects("workshop.stock_csv.submit")
def _stock_csv_confirm(w: World) -> Case:
    import io
    import re

    record = _stock_record(w)
    sku = record.product.sku
    # The preview itself writes nothing; what a forged request could do is confirm one, so the case confirms.
    preview = w.client.post("/workshop/lager/csv", data={
        "file": (io.BytesIO(f"SKU;Antall\n{sku};9\n".encode()), "lager.csv"), "mode": "count", "action": "preview"})
    plan = html.unescape(re.search(r'name="plan" type="hidden" value="([^"]*)"', preview.get_data(as_text=True))[1])
    return Case("/workshop/lager/csv", "/workshop/lager/csv", {"action": "confirm", "plan": plan},
                lambda: w.session.get(StockRecord, record.id).on_hand, after=9)


# Curation: rejecting, taking out of the shop, archiving, trusting a unit, and looking at a trusted change

@protects("coordinator.reviews.reject")
def _review_reject(w: World) -> Case:
    product_id = _submitted_listing(w)
    return Case(f"/coordinator/varer/{product_id}", f"/coordinator/varer/{product_id}/avvis",
                {"reject_comment": "Ikke i vårt sortiment."}, lambda: w.session.get(Product, product_id).status,
                after="archived")


@protects("coordinator.reviews.unpublish")
def _review_unpublish(w: World) -> Case:
    product_id = make_product(w.session).id
    w.session.commit()
    w.login_as("coordinator")
    return Case(f"/coordinator/varer/{product_id}", f"/coordinator/varer/{product_id}/ta-ut",
                {"unpublish_comment": "Bildet viser et ansikt."}, lambda: w.session.get(Product, product_id).status,
                after="draft")


@protects("coordinator.reviews.archive")
def _review_archive(w: World) -> Case:
    product_id = make_product(w.session).id
    w.session.commit()
    w.login_as("coordinator")
    return Case(f"/coordinator/varer/{product_id}", f"/coordinator/varer/{product_id}/arkiver", {},
                lambda: w.session.get(Product, product_id).status, after="archived")


@protects("coordinator.reviews.trust")
def _review_trust(w: World) -> Case:
    product = make_product(w.session)
    product_id, unit_id = product.id, product.unit_id
    w.session.commit()
    w.login_as("coordinator")
    from catalogue.models import Unit
    return Case(f"/coordinator/varer/{product_id}", f"/coordinator/varer/enhet/{unit_id}/tillit", {},
                lambda: w.session.get(Unit, unit_id).trusted, after=True)


@protects("coordinator.reviews.seen")
def _review_seen(w: World) -> Case:
    from catalogue import listings
    from shop.core.actor import Actor

    product = make_product(w.session, title="Benk i eik")
    product.unit.trusted = True
    w.session.commit()
    staff = Actor(user_id=None, role="staff", unit_id=product.unit_id)
    data = listings.ListingInput(**(listings.ListingInput.of(product).__dict__ | {"title": "Benk i ask"}))
    listings.update_listing(w.session, staff, product.id, data, now=datetime(2026, 11, 20, tzinfo=UTC))
    w.session.commit()
    revision_id = w.session.scalar(select(ProductRevision.id).where(ProductRevision.product_id == product.id))
    w.login_as("coordinator")
    return Case("/coordinator/varer", f"/coordinator/varer/sett/{revision_id}", {},
                lambda: w.session.get(ProductRevision, revision_id).state, after="approved")


# Units and people: the coordinator creates and edits units, invites people, moves and deactivates them;
# the invited person accepts the invitation

def _invited_staff(w: World, email: str = "invitert@example.no") -> User:
    from shop.accounts.services import invite
    from shop.core.actor import Actor

    user = invite(w.session, Actor(user_id=None, role="admin"), email=email, name="Nina Ny", role="staff",
                  unit_id=make_unit(w.session).id, now=datetime.now(UTC))
    w.session.commit()
    return user


@protects("auth.accept_invitation")
def _accept_invitation(w: World) -> Case:
    from shop.accounts.services import make_invitation_token

    user = _invited_staff(w)
    user_id = user.id
    path = f"/invitasjon/{make_invitation_token(user, w.app.config['SECRET_KEY'])}"
    return Case(path, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                lambda: (_passwords(w.session, user_id)[1], logged_in_as(w.client) is not None), after=(True, True))


_UNIT_FORM = {"name": "Bjørgvin fengsel", "region": "vest", "active": "y"}


@protects("coordinator.units.new")
def _unit_new(w: World) -> Case:
    from catalogue.models import Unit

    w.login_as("coordinator")
    return Case("/coordinator/enheter/ny", "/coordinator/enheter/ny", _UNIT_FORM,
                lambda: session_count(w.session, Unit, Unit.name == "Bjørgvin fengsel"), after=1)


@protects("coordinator.units.edit")
def _unit_edit(w: World) -> Case:
    from catalogue.models import Unit

    unit_id = make_unit(w.session, name="Bergen fengsel").id
    w.session.commit()
    w.login_as("coordinator")
    return Case(f"/coordinator/enheter/{unit_id}", f"/coordinator/enheter/{unit_id}", _UNIT_FORM,
                lambda: w.session.get(Unit, unit_id).name, after="Bjørgvin fengsel")


@protects("coordinator.people.invite")
def _people_invite(w: World) -> Case:
    unit_id = make_unit(w.session).id
    w.session.commit()
    w.login_as("coordinator")
    return Case("/coordinator/personer/inviter", "/coordinator/personer/inviter",
                {"name": "Ola Ny", "email": "ola.ny@example.no", "role": "staff", "unit_id": str(unit_id)},
                lambda: (session_count(w.session, User, User.email == "ola.ny@example.no"),
                         session_count(w.session, OutboxMessage)), after=(1, 1))


@protects("coordinator.people.detail")
def _people_move(w: World) -> Case:
    staff = create_user(w.session, email="flytter@example.no", password=OLD_PASSWORD, name="Per", role="staff",
                        unit_id=make_unit(w.session).id)
    staff_id, new_unit_id = staff.id, make_unit(w.session).id
    w.session.commit()
    w.login_as("coordinator")
    return Case(f"/coordinator/personer/{staff_id}", f"/coordinator/personer/{staff_id}",
                {"name": "Per", "unit_id": str(new_unit_id)}, lambda: w.session.get(User, staff_id).unit_id,
                after=new_unit_id)


@protects("coordinator.people.resend")
def _people_resend(w: World) -> Case:
    user_id = _invited_staff(w).id
    w.login_as("coordinator")
    return Case(f"/coordinator/personer/{user_id}", f"/coordinator/personer/{user_id}/send-invitasjon", {},
                lambda: session_count(w.session, OutboxMessage), after=1)


@protects("coordinator.people.deactivate")
def _people_deactivate(w: World) -> Case:
    staff = create_user(w.session, email="slutter@example.no", password=OLD_PASSWORD, role="staff",
                        unit_id=make_unit(w.session).id)
    staff_id = staff.id
    w.session.commit()
    w.login_as("coordinator")
    return Case(f"/coordinator/personer/{staff_id}", f"/coordinator/personer/{staff_id}/deaktiver", {},
                lambda: w.session.get(User, staff_id).active, after=False)


@protects("coordinator.people.reactivate")
def _people_reactivate(w: World) -> Case:
    staff = create_user(w.session, email="tilbake@example.no", password=OLD_PASSWORD, role="staff",
                        unit_id=make_unit(w.session).id)
    staff.active = False
    staff_id = staff.id
    w.session.commit()
    w.login_as("coordinator")
    return Case(f"/coordinator/personer/{staff_id}", f"/coordinator/personer/{staff_id}/aktiver", {},
                lambda: w.session.get(User, staff_id).active, after=True)


# Collections

def _collection_with(w: World, *products) -> int:
    from catalogue import collections
    from catalogue.models import Collection  # noqa: F401
    from shop.core.actor import Actor

    coordinator = Actor(user_id=None, role="coordinator")
    collection = collections.create(w.session, coordinator, collections.CollectionInput(title="Julegaver"),
                                    now=datetime.now(UTC))
    for product in products:
        collections.add_product(w.session, coordinator, collection.id, product.sku, now=datetime.now(UTC))
    w.session.commit()
    w.login_as("coordinator")
    return collection.id


def _collection_items(w: World, collection_id: int) -> list[int]:
    from catalogue.models import CollectionItem

    return list(w.session.scalars(select(CollectionItem.product_id).where(CollectionItem.collection_id == collection_id)
                                  .order_by(CollectionItem.position)))


@protects("coordinator.collections.new")
def _collection_new(w: World) -> Case:
    from catalogue.models import Collection

    w.login_as("coordinator")
    return Case("/coordinator/samlinger/ny", "/coordinator/samlinger/ny", {"title": "Til bedriften", "position": "0"},
                lambda: session_count(w.session, Collection), after=1)


@protects("coordinator.collections.save")
def _collection_save(w: World) -> Case:
    from catalogue.models import Collection

    collection_id = _collection_with(w)
    return Case(f"/coordinator/samlinger/{collection_id}", f"/coordinator/samlinger/{collection_id}",
                {"title": "Julegaver 2026", "position": "0"}, lambda: w.session.get(Collection, collection_id).title,
                after="Julegaver 2026")


@protects("coordinator.collections.picture")
def _collection_picture(w: World) -> Case:
    from catalogue.models import Collection

    collection_id = _collection_with(w)
    upload = Path(w.app.config["MEDIA_ROOT"]).parent / "csrf-collection.jpg"
    upload.write_bytes(_jpeg_bytes())
    return Case(f"/coordinator/samlinger/{collection_id}", f"/coordinator/samlinger/{collection_id}/bilde",
                {"picture": (str(upload), "jul.jpg"), "image_alt": "Gaver"},
                lambda: w.session.get(Collection, collection_id).image_alt, after="Gaver")


@protects("coordinator.collections.add_product")
def _collection_add(w: World) -> Case:
    product = make_product(w.session)
    collection_id = _collection_with(w)
    product_id, sku = product.id, product.sku
    return Case(f"/coordinator/samlinger/{collection_id}", f"/coordinator/samlinger/{collection_id}/varer",
                {"sku": sku}, lambda: _collection_items(w, collection_id), after=[product_id])


@protects("coordinator.collections.move_product")
def _collection_move(w: World) -> Case:
    first, second = make_product(w.session), make_product(w.session)
    collection_id = _collection_with(w, first, second)
    first_id, second_id = first.id, second.id
    return Case(f"/coordinator/samlinger/{collection_id}", f"/coordinator/samlinger/{collection_id}/varer/{second_id}/flytt",
                {"step": "-1"}, lambda: _collection_items(w, collection_id), after=[second_id, first_id])


@protects("coordinator.collections.remove_product")
def _collection_remove(w: World) -> Case:
    product = make_product(w.session)
    collection_id = _collection_with(w, product)
    product_id = product.id
    return Case(f"/coordinator/samlinger/{collection_id}",
                f"/coordinator/samlinger/{collection_id}/varer/{product_id}/fjern", {},
                lambda: _collection_items(w, collection_id), after=[])


@protects("coordinator.collections.delete")
def _collection_delete(w: World) -> Case:
    from catalogue.models import Collection

    collection_id = _collection_with(w)
    return Case(f"/coordinator/samlinger/{collection_id}", f"/coordinator/samlinger/{collection_id}/slett", {},
                lambda: session_count(w.session, Collection), after=0)


@protects("coordinator.reviews.feature")
def _review_feature(w: World) -> Case:
    product_id = make_product(w.session).id
    w.session.commit()
    w.login_as("coordinator")
    return Case(f"/coordinator/varer/{product_id}", f"/coordinator/varer/{product_id}/fremhev", {},
                lambda: w.session.get(Product, product_id).featured, after=True)


# Product development: the staff pages (the concept's id in a hidden field) and the coordinator's board and concept page

from catalogue.development import (  # noqa: E402  (appended with the product development cases)
    ConceptImage,
    ConceptNote,
    ConceptPartner,
    ConceptProduct,
    ConceptUnit,
    DevelopmentConcept,
)


def _dev_concept(w: World, *, staff: bool = True, picture: bool = False):
    """A concept with a unit involved; logged in as that unit's staff (or as the coordinator)."""
    from catalogue import development_services as development
    from catalogue.storage import LocalStorage
    from development_factories import COORDINATOR, jpeg, make_concept

    unit = make_unit(w.session)
    concept = make_concept(w.session, units=[unit], title="Fuglekasse")
    if picture:
        development.add_images(w.session, COORDINATOR, concept.id, [jpeg()], alt_text="Kassen",
                               storage=LocalStorage(w.app.config["MEDIA_ROOT"]), now=datetime.now(UTC))
    w.session.commit()
    if staff:
        w.login_as("staff", unit=unit)
    else:
        w.login_as("coordinator")
    return concept.id, unit.id


def _dev_upload(w: World) -> tuple:
    from development_factories import jpeg

    path = Path(w.app.config["MEDIA_ROOT"]).parent / "csrf-konsept.jpg"
    path.write_bytes(jpeg())
    return str(path), "konsept.jpg"


@protects("workshop.development.propose")
def _dev_propose(w: World) -> Case:
    w.login_as("staff")
    return Case("/workshop/utvikling/ny", "/workshop/utvikling/ny", {"title": "Krakk i bjørk", "description": ""},
                lambda: session_count(w.session, DevelopmentConcept), after=1)


@protects("workshop.development.add_note")
def _dev_staff_note(w: World) -> Case:
    concept_id, _unit = _dev_concept(w)
    return Case(f"/workshop/utvikling/konsept?id={concept_id}", "/workshop/utvikling/konsept/notat",
                {"note": "Et notat"}, lambda: session_count(w.session, ConceptNote), after=1)


@protects("workshop.development.add_partner")
def _dev_staff_partner(w: World) -> Case:
    concept_id, _unit = _dev_concept(w)
    return Case(f"/workshop/utvikling/konsept?id={concept_id}", "/workshop/utvikling/konsept/partner",
                {"kind": "school", "partner_name": "Fagskolen", "contact": ""},
                lambda: session_count(w.session, ConceptPartner), after=1)


@protects("workshop.development.upload")
def _dev_staff_upload(w: World) -> Case:
    concept_id, _unit = _dev_concept(w)
    return Case(f"/workshop/utvikling/konsept?id={concept_id}", "/workshop/utvikling/konsept/bilder",
                {"pictures": _dev_upload(w), "alt_text": "Prototypen"},
                lambda: session_count(w.session, ConceptImage), after=1)


@protects("workshop.development.delete_image")
def _dev_staff_delete_image(w: World) -> Case:
    concept_id, _unit = _dev_concept(w, picture=True)
    return Case(f"/workshop/utvikling/konsept?id={concept_id}", "/workshop/utvikling/konsept/bilder/slett", {},
                lambda: session_count(w.session, ConceptImage), after=0)


@protects("coordinator.development.create")
def _dev_create(w: World) -> Case:
    w.login_as("coordinator")
    return Case("/coordinator/utvikling", "/coordinator/utvikling/ny", {"title": "Utemøbler", "description": ""},
                lambda: session_count(w.session, DevelopmentConcept), after=1)


@protects("coordinator.development.move")
def _dev_move(w: World) -> Case:
    concept_id, _unit = _dev_concept(w, staff=False)
    # The board's own form for the card: a stage menu and a button.
    return Case("/coordinator/utvikling", f"/coordinator/utvikling/{concept_id}/steg", {"stage": "design"},
                lambda: w.session.get(DevelopmentConcept, concept_id).stage, after="design")


@protects("coordinator.development.edit")
def _dev_edit(w: World) -> Case:
    concept_id, _unit = _dev_concept(w, staff=False)
    return Case(f"/coordinator/utvikling/{concept_id}", f"/coordinator/utvikling/{concept_id}/rediger",
                {"title": "Fuglekasse i gran", "description": ""},
                lambda: w.session.get(DevelopmentConcept, concept_id).title, after="Fuglekasse i gran")


@protects("coordinator.development.units")
def _dev_units(w: World) -> Case:
    concept_id, unit_id = _dev_concept(w, staff=False)
    other_id = make_unit(w.session).id
    w.session.commit()
    return Case(f"/coordinator/utvikling/{concept_id}", f"/coordinator/utvikling/{concept_id}/enheter",
                {"unit_ids": [str(unit_id), str(other_id)]},
                lambda: sorted(w.session.scalars(select(ConceptUnit.unit_id).where(ConceptUnit.concept_id == concept_id))),
                after=sorted([unit_id, other_id]))


@protects("coordinator.development.link_product")
def _dev_link(w: World) -> Case:
    concept_id, _unit = _dev_concept(w, staff=False)
    make_product(w.session, title="Fuglekasse med tak", status="draft", stock=None)
    w.session.commit()
    return Case(f"/coordinator/utvikling/{concept_id}?q=fuglekasse+med", f"/coordinator/utvikling/{concept_id}/varer",
                {}, lambda: session_count(w.session, ConceptProduct), after=1)


@protects("coordinator.development.unlink_product")
def _dev_unlink(w: World) -> Case:
    from catalogue import development_services as development
    from development_factories import COORDINATOR

    concept_id, _unit = _dev_concept(w, staff=False)
    product_id = make_product(w.session, stock=None).id
    development.link_product(w.session, COORDINATOR, concept_id, product_id, now=datetime.now(UTC))
    w.session.commit()
    return Case(f"/coordinator/utvikling/{concept_id}",
                f"/coordinator/utvikling/{concept_id}/varer/{product_id}/fjern", {},
                lambda: session_count(w.session, ConceptProduct), after=0)


@protects("coordinator.development.add_note")
def _dev_note(w: World) -> Case:
    concept_id, _unit = _dev_concept(w, staff=False)
    return Case(f"/coordinator/utvikling/{concept_id}", f"/coordinator/utvikling/{concept_id}/notat",
                {"note": "Avtalt med Halden."}, lambda: session_count(w.session, ConceptNote), after=1)


@protects("coordinator.development.add_partner")
def _dev_partner(w: World) -> Case:
    concept_id, _unit = _dev_concept(w, staff=False)
    return Case(f"/coordinator/utvikling/{concept_id}", f"/coordinator/utvikling/{concept_id}/partnere",
                {"kind": "nav", "partner_name": "NAV Bergenhus", "contact": ""},
                lambda: session_count(w.session, ConceptPartner), after=1)


@protects("coordinator.development.remove_partner")
def _dev_remove_partner(w: World) -> Case:
    from catalogue import development_services as development
    from development_factories import COORDINATOR

    concept_id, _unit = _dev_concept(w, staff=False)
    partner_id = development.add_partner(w.session, COORDINATOR, concept_id, kind="other", name="Lag", contact="",
                                         now=datetime.now(UTC)).id
    w.session.commit()
    return Case(f"/coordinator/utvikling/{concept_id}",
                f"/coordinator/utvikling/{concept_id}/partnere/{partner_id}/fjern", {},
                lambda: session_count(w.session, ConceptPartner), after=0)


@protects("coordinator.development.upload")
def _dev_upload_coordinator(w: World) -> Case:
    concept_id, _unit = _dev_concept(w, staff=False)
    return Case(f"/coordinator/utvikling/{concept_id}", f"/coordinator/utvikling/{concept_id}/bilder",
                {"pictures": _dev_upload(w), "alt_text": "Skissen"},
                lambda: session_count(w.session, ConceptImage), after=1)


@protects("coordinator.development.delete_image")
def _dev_delete_image(w: World) -> Case:
    concept_id, _unit = _dev_concept(w, staff=False, picture=True)
    image_id = w.session.scalar(select(ConceptImage.id))
    return Case(f"/coordinator/utvikling/{concept_id}",
                f"/coordinator/utvikling/{concept_id}/bilder/{image_id}/slett", {},
                lambda: session_count(w.session, ConceptImage), after=0)


# Selling to the state: legal pages, invoices, credit notes and returns

@protects("coordinator.pages.edit")
def _legal_edit(w: World) -> Case:
    from shop.legal.models import LegalPage

    w.login_as("coordinator")
    return Case("/coordinator/sider/kontakt/nb", "/coordinator/sider/kontakt/nb", {"body": "## Ring oss"},
                lambda: session_count(w.session, LegalPage), after=1)


@protects("coordinator.pages.reset")
def _legal_reset(w: World) -> Case:
    from shop.core.actor import Actor
    from shop.legal import services as legal
    from shop.legal.models import LegalPage

    coordinator = w.login_as("coordinator")
    legal.save(w.session, Actor.of(coordinator), "kontakt", "nb", "## Ring oss")
    w.session.commit()
    return Case("/coordinator/sider/kontakt/nb", "/coordinator/sider/kontakt/nb/tilbakestill", {},
                lambda: session_count(w.session, LegalPage), after=0)


def _invoice_order(w: World) -> Order:
    product = make_product(w.session, price_ore=20_000, stock=5)
    w.session.commit()
    order = orders.place_order(w.session, {product.id: 2}, orders.Details(
        email="innkjop@example.no", name="Innkjøper", delivery_method="pickup", payment_method="invoice",
        organisation_name="Oslo kommune", org_number="974760673", buyer_reference="PO-1"),
        now=datetime.now(UTC), payment_window=timedelta(minutes=15), shipping=orders.ShippingRule())
    w.session.commit()
    return order


def _issued_invoice(w: World, *, sent: bool = False):
    from shop.core.actor import Actor
    from shop.core.seller import seller
    from shop.orders import invoices

    order = _invoice_order(w)
    coordinator = w.login_as("coordinator")
    now = datetime.now(UTC)
    invoice = invoices.issue(w.session, Actor.of(coordinator), order.id, seller=seller(w.app.config),
                             today=now.date(), now=now)
    if sent:
        invoice.status = "sent"
    w.session.commit()
    return invoice


def _invoice_status(w: World, invoice_id: int) -> str:
    from shop.orders.models import Invoice

    return w.session.get(Invoice, invoice_id).status


@protects("coordinator.invoices.issue")
def _invoice_issue(w: World) -> Case:
    from shop.orders.models import Invoice

    order = _invoice_order(w)
    w.login_as("coordinator")
    return Case("/coordinator/fakturaer", f"/coordinator/fakturaer/ordre/{order.id}", {},
                lambda: session_count(w.session, Invoice), after=1)


@protects("coordinator.invoices.mark_sent")
def _invoice_sent(w: World) -> Case:
    invoice_id = _issued_invoice(w).id
    return Case(f"/coordinator/fakturaer/{invoice_id}", f"/coordinator/fakturaer/{invoice_id}/sendt", {},
                lambda: _invoice_status(w, invoice_id), after="sent")


@protects("coordinator.invoices.mark_paid")
def _invoice_paid(w: World) -> Case:
    invoice_id = _issued_invoice(w, sent=True).id
    return Case(f"/coordinator/fakturaer/{invoice_id}", f"/coordinator/fakturaer/{invoice_id}/betalt", {},
                lambda: _invoice_status(w, invoice_id), after="paid")


@protects("coordinator.invoices.credit")
def _invoice_credit(w: World) -> Case:
    from shop.orders.models import Invoice

    invoice = _issued_invoice(w)
    invoice_id, line_id = invoice.id, invoice.lines[0].order_line_id
    return Case(f"/coordinator/fakturaer/{invoice_id}", f"/coordinator/fakturaer/{invoice_id}/kreditnota",
                {f"line_{line_id}": "1", "reason": "Prisavslag"},
                lambda: session_count(w.session, Invoice, Invoice.kind == "credit_note"), after=1)


def _shipped_card_order(w: World) -> Order:
    from shop.core.actor import Actor
    from shop.orders import fulfilment

    unit = make_unit(w.session)
    product = make_product(w.session, unit=unit, price_ore=30_000, stock=5)
    w.session.commit()
    now = datetime.now(UTC)
    order = orders.place_order(w.session, {product.id: 2}, orders.Details(
        email="kari@example.no", name="Kari", delivery_method="shipping", payment_method="card",
        address_line="Storgata 1", postcode="0155", city="Oslo"),
        now=now, payment_window=timedelta(minutes=15), shipping=orders.ShippingRule())
    order.payment_intent_id = f"pi_csrf_{order.id}"
    w.session.commit()
    orders.record_payment_succeeded(w.session, intent_id=order.payment_intent_id, amount_ore=order.total_ore,
                                    currency="nok", now=now)
    part = w.session.scalars(select(Fulfilment).where(Fulfilment.order_id == order.id)).one()
    staff = Actor(user_id=None, role="staff", unit_id=unit.id)
    fulfilment.advance(w.session, staff, part.id, "packed", now=now)
    fulfilment.advance(w.session, staff, part.id, "shipped", now=now)
    w.session.commit()
    return order


@protects("orders.withdraw")
def _withdraw(w: World) -> Case:
    from shop.orders.models import OrderReturn

    order = _shipped_card_order(w)
    path = f"/ordre/{order.public_token}/angre"
    return Case(path, path, {f"line_{order.lines[0].id}": "1"},
                lambda: session_count(w.session, OrderReturn), after=1)


def _withdrawn(w: World):
    from shop.orders import returns

    order = _shipped_card_order(w)
    order_return = returns.withdraw(w.session, order, {order.lines[0].id: 2}, reason="", request_key=None,
                                    now=datetime.now(UTC))
    w.session.commit()
    return order, order_return


@protects("workshop.returns.receive")
def _return_receive(w: World) -> Case:
    from shop.orders.models import ReturnLine

    order, order_return = _withdrawn(w)
    line_id = order_return.lines[0].id
    w.login_as("staff", unit=order.lines[0].unit)
    return Case("/workshop/returer", f"/workshop/returer/linje/{line_id}", {"condition": "returned"},
                lambda: w.session.get(ReturnLine, line_id).condition, after="returned")


@protects("coordinator.returns.refund")
def _return_refund(w: World) -> Case:
    from shop.core.actor import Actor
    from shop.orders import returns
    from shop.orders.models import OrderReturn

    order, order_return = _withdrawn(w)
    # As the refund case above: Stripe's answer at the gateway, so the test is about the token.
    w.monkeypatch.setattr(payments, "refund", lambda intent_id, amount_ore, *, idempotency_key: "re_csrf_return")
    returns.receive(w.session, Actor(user_id=None, role="staff", unit_id=order.lines[0].unit_id),
                    order_return.lines[0].id, "returned", now=datetime.now(UTC))
    w.session.commit()
    return_id = order_return.id
    w.login_as("coordinator")
    return Case("/coordinator/returer", f"/coordinator/returer/{return_id}/refunder", {},
                lambda: w.session.get(OrderReturn, return_id).status, after="refunded")
