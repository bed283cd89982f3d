"""Hostile input never breaks a page and never changes stored data, on every route of the URL map.

A property-based test (hypothesis) drives each route, as each role, with generated path values, query
strings, form fields, cookies and Origin/Referer headers: huge and negative numbers, NUL and other
control characters, long and non-Latin text. Every answer must be below 500, and the database must
be exactly as it was. The routes come from the URL map, so a future route is driven too.

It runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set (PostgreSQL refuses NUL in text
and numbers beyond its integer types, so it is the stricter of the two). The examples per route are
bounded so the whole file takes well under a minute or two.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from factories import NOW, make_product, make_unit
from shop.accounts.models import User
from shop.accounts.services import create_user
from shop.extensions import db, limiter
from shop.orders import services as orders

EXAMPLES_PER_ROUTE = 20
ROLES = ("anonymous", "customer", "staff", "coordinator", "admin")
# Every name the shop's forms and query strings read, so generated input reaches the code behind them.
FIELD_NAMES = (
    "q", "page", "sort", "unit", "region", "kind", "min_price", "max_price", "in_stock", "status", "attention", "vis",
    "betalt", "ny", "next", "name", "email", "password", "confirm", "current_password", "phone", "delivery_method",
    "address_line", "postcode", "city", "payment_method", "organisation_name", "org_number", "buyer_reference",
    "invoice_email", "product_id", "quantity", "checkout_key", "amount", "request_key", "reason", "tracking_number",
)
# Routes whose effect does not depend on their input: logging out logs out (it raises the account's
# session version), whatever else the form holds; the coordinator's one-button actions (archive a
# listing, take a product out of a collection, delete a collection) do what the button says. They are
# still driven, and must not answer 5xx.
# Cancelling an order needs only a reason, and any text is a reason: a drawn form holding one is a valid
# cancellation, not hostile input (it passed before only when no example drew "reason" for it). Issuing the
# invoice of the world's invoice order is one button too.
ACTS_WHATEVER_THE_INPUT = {"auth.logout", "coordinator.reviews.archive", "coordinator.collections.remove_product",
                           "coordinator.collections.delete", "coordinator.orders.cancel", "coordinator.invoices.issue"}

CONTROL = st.sampled_from(["\x00", "\x01", "\x07", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\x9f"])
NON_LATIN = st.text(alphabet=st.sampled_from("日本語Ωж한글עبِ🙂ÆØÅ\u200b\u202e\ufeff"), min_size=1, max_size=20)


@st.composite
def with_control_character(draw) -> str:
    before = draw(st.text(max_size=20))
    return before + draw(CONTROL) + draw(st.text(max_size=20))


def hostile_number() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(min_value=2**31, max_value=2**80), st.integers(min_value=-(2**80), max_value=-(2**31)),
        st.integers(min_value=-1000, max_value=-1), st.just(2**63), st.just(2**64),
    ).map(str) | st.sampled_from(["1e400", "NaN", "-0", "0x10", "١٢٣", "１２３", "9" * 400])


def long_text() -> st.SearchStrategy[str]:
    """Longer than any text field the shop takes, in several scripts."""
    return st.builds(lambda piece, n: (piece * n)[:5000], NON_LATIN | st.text(min_size=1, max_size=10),
                     st.integers(min_value=600, max_value=5000))


def hostile_value() -> st.SearchStrategy[str]:
    return st.one_of(hostile_number(), with_control_character(), long_text())


def path_value(converter: str) -> st.SearchStrategy[str]:
    if converter.endswith("IntegerConverter"):
        return st.just("1") | hostile_number()  # 1 exists, so the view behind the route runs too
    return st.one_of(with_control_character(), long_text(), NON_LATIN, st.sampled_from(["..", "%00", "a/../../b"]))


HEADER_VALUES = st.sampled_from(["http://[::1", "javascript:alert(1)", "null", "https://angriper.example",
                                 "x" * 3000, "http://verkstedbutikken.test:99999", "//evil", ""])


def _rules(app) -> list:
    skip = {"static"}
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint not in skip]


@pytest.fixture
def world(app, client, session):
    """A shop with a unit, a product, an order and one account per role; ids 1 exist."""
    unit = make_unit(session)
    product = make_product(session, unit=unit, stock=5)
    users = {role: create_user(session, email=f"{role}@example.no", password="passord123", role=role,
                               unit_id=unit.id if role == "staff" else None)
             for role in ROLES if role != "anonymous"}
    orders.place_order(session, {product.id: 1}, orders.Details(
        email="kari@example.no", name="Kari", delivery_method="pickup", payment_method="invoice",
        organisation_name="Oslo kommune", org_number="974760673", buyer_reference="PO-1"),
        now=NOW, payment_window=timedelta(minutes=15), shipping=orders.ShippingRule())
    session.commit()
    return {"users": {role: user.id for role, user in users.items()}}


# Made from other tables and made again at will: a report page fills in the monthly sales summaries it reads.
DERIVED = {"sales_month", "sales_month_lines", "sales_month_orders", "sales_month_products"}


def snapshot(session) -> str:
    """A digest of every row of every table."""
    session.expire_all()
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        if table.name in DERIVED:
            continue
        order = [c for c in table.primary_key.columns] or list(table.columns)
        for row in session.execute(select(table).order_by(*order)):
            digest.update(repr(tuple(row)).encode())
    digest.update(repr(session.execute(text("SELECT count(*) FROM product_search")).scalar()).encode())
    session.rollback()
    return digest.hexdigest()


def act_as(client, session, world, role: str) -> None:
    with client.session_transaction() as cookie:
        cookie.clear()
        if role != "anonymous":
            user = session.get(User, world["users"][role])
            session.refresh(user)  # a logout in an earlier example raised its session version
            cookie["_user_id"] = user.session_id
            cookie["_fresh"] = True
    session.rollback()


RULE_IDS = []


def pytest_generate_tests(metafunc):
    if "rule_endpoint" in metafunc.fixturenames:
        from shop import create_app

        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
        rules = sorted({(rule.endpoint, rule.rule) for rule in _rules(app)})
        metafunc.parametrize("rule_endpoint", rules, ids=[f"{e} {r}" for e, r in rules])


def test_hostile_input_never_gets_a_5xx_or_changes_data(app, client, session, world, rule_endpoint):
    endpoint, rule_text = rule_endpoint
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and r.rule == rule_text)
    methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
    converters = {name: type(converter).__name__ for name, converter in rule._converters.items()}

    @settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(data=st.data())
    def drive(data):
        role = data.draw(st.sampled_from(ROLES), label="role")
        method = data.draw(st.sampled_from(methods), label="method")
        values = {name: data.draw(path_value(kind), label=name) for name, kind in converters.items()}
        path = rule_text
        for name in rule.arguments:
            path = _fill(path, name, quote(values[name], safe=""))
        query = data.draw(st.dictionaries(st.sampled_from(FIELD_NAMES), hostile_value(), max_size=4), label="query")
        form = data.draw(st.dictionaries(st.sampled_from(FIELD_NAMES), hostile_value(), min_size=1, max_size=6),
                         label="form") if method == "POST" else {}
        headers = data.draw(st.dictionaries(st.sampled_from(["Origin", "Referer"]), HEADER_VALUES, max_size=2),
                            label="headers")
        cookie = data.draw(st.none() | hostile_value(), label="lang cookie")

        limiter.reset()  # every example starts below the rate limits, so it reaches the view
        act_as(client, session, world, role)
        if cookie is not None:
            client.set_cookie("lang", cookie[:60].encode("utf-8", "surrogatepass").decode("latin-1"))
        before = snapshot(session)
        url = path + ("?" + urlencode(query) if query else "")
        response = client.open(url, method=method, data=form, headers=headers)
        client.delete_cookie("lang")

        assert response.status_code < 500, f"{method} {url[:300]} as {role}: {response.status_code}"
        if endpoint not in ACTS_WHATEVER_THE_INPUT:
            assert snapshot(session) == before, f"{method} {url[:300]} as {role} changed stored data"

    drive()


def _fill(path: str, name: str, value: str) -> str:
    for pattern in (f"<int:{name}>", f"<path:{name}>", f"<{name}>"):
        path = path.replace(pattern, value)
    return path
