"""Every route under /workshop and /coordinator, taken from the URL map, refuses everyone but its audience.

The guard sits once on each audience's parent blueprint (shop.accounts.guards.guard_audience), so a
route added later is covered here without being named.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from factories import make_unit
from shop import create_app

AUDIENCES = {
    "/workshop": {"admitted": ("staff",), "refused": ("customer", "coordinator", "admin")},
    "/coordinator": {"admitted": ("coordinator", "admin"), "refused": ("customer", "staff")},
}


def _routes() -> list[tuple[str, str, str]]:
    """(audience prefix, method, path) for every route of both audiences, with ids filled in."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    routes = []
    for rule in app.url_map.iter_rules():
        prefix = next((p for p in AUDIENCES if rule.rule == p or rule.rule.startswith(p + "/")), None)
        if prefix is None:
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<int:{argument}>", "1").replace(f"<{argument}>", "x")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((prefix, method, path))
    return routes


ROUTES = _routes()


def test_both_audiences_have_routes():
    assert {prefix for prefix, _m, _p in ROUTES} == set(AUDIENCES)


def _table_counts(session) -> dict[str, int]:
    from shop.extensions import db

    return {table.name: session.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables}


@pytest.mark.parametrize(("prefix", "method", "path"), ROUTES, ids=[f"{m} {p}" for _a, m, p in ROUTES])
def test_anonymous_visitors_are_sent_to_log_in(client, session, prefix, method, path):
    before = _table_counts(session)

    response = client.open(path, method=method)

    assert response.status_code == 302 and "/logg-inn" in response.headers["Location"]
    assert _table_counts(session) == before


@pytest.mark.parametrize(("prefix", "method", "path"), ROUTES, ids=[f"{m} {p}" for _a, m, p in ROUTES])
@pytest.mark.parametrize("role", ["customer", "staff", "coordinator", "admin"])
def test_only_the_audience_gets_in(client, session, login_as, prefix, method, path, role):
    login_as(role, unit=make_unit(session) if role == "staff" else None)
    session.commit()
    before = _table_counts(session)

    response = client.open(path, method=method)

    if role in AUDIENCES[prefix]["refused"]:
        assert response.status_code == 403, f"{role} reached {method} {path}"
        assert _table_counts(session) == before
    else:
        assert response.status_code != 403, f"{role} was refused {method} {path}"



# Staff of one unit never reach another unit's objects: every /workshop route that names an object
# (an <int:...> in its path) is driven with the ids of another unit's product, picture, stock record
# and part of an order, with a form that would change them, and must answer 403 or 404 and change nothing.

def _workshop_object_rules() -> list[tuple[str, str]]:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    return sorted({(method, rule.rule) for rule in app.url_map.iter_rules()
                   if rule.rule.startswith("/workshop/") and rule.arguments
                   for method in rule.methods - {"HEAD", "OPTIONS"}})


WORKSHOP_OBJECT_RULES = _workshop_object_rules()


@pytest.fixture
def other_units_objects(session):
    from datetime import timedelta

    from catalogue.services import add_image
    from factories import NOW, make_product
    from inventory.models import StockRecord
    from shop.orders import services as orders
    from shop.orders.models import Fulfilment, OrderReturn, ReturnLine
    from browser_support import draw_jpeg
    from flask import current_app

    unit = make_unit(session, name="Den andre enheten")
    product = make_product(session, unit=unit, stock=5)
    image = add_image(session, product, draw_jpeg((10, 20, 30), size=(400, 300)), alt_text="Et bilde",
                      media_root=current_app.config["MEDIA_ROOT"])
    order = orders.place_order(session, {product.id: 1}, orders.Details(
        email="k@example.no", name="Kari", delivery_method="pickup", payment_method="invoice",
        organisation_name="Oslo kommune", org_number="974760673", buyer_reference="PO-1"),
        now=NOW, payment_window=timedelta(minutes=15), shipping=orders.ShippingRule())
    # Goods of the other unit on their way back (taken back by agreement), for the returns page's button.
    order_return = OrderReturn(order_id=order.id, status="requested", created_at=NOW, lines=[
        ReturnLine(order_line_id=order.lines[0].id, unit_id=unit.id, quantity=1)])
    session.add(order_return)
    session.commit()
    return {"product_id": product.id, "image_id": image.id,
            "record_id": session.scalar(select(StockRecord.id).where(StockRecord.product_id == product.id)),
            "fulfilment_id": session.scalar(select(Fulfilment.id)), "line_id": order_return.lines[0].id}


# A form that would change the object if the route let the request through.
HOSTILE_FORM = {"status": "packed", "threshold": "99", "direction": "up", "alt_text": "Endret", "title": "Kapret",
                "category_id": "1", "kind": "goods", "price": "1", "vat_rate_bp": "2500", "action": "draft",
                "reason": "x", "tracking_number": "1", "condition": "returned"}


@pytest.mark.parametrize(("method", "rule"), WORKSHOP_OBJECT_RULES, ids=[f"{m} {r}" for m, r in WORKSHOP_OBJECT_RULES])
def test_staff_of_another_unit_reach_no_object_of_this_unit(client, session, login_as, other_units_objects, method,
                                                            rule):
    login_as("staff", unit=make_unit(session, name="Min enhet"))
    session.commit()
    path = rule
    for name, value in other_units_objects.items():
        path = path.replace(f"<int:{name}>", str(value))
    assert "<" not in path, f"no object for {rule}"
    before = _table_counts(session), _row_digest(session)

    response = client.open(path, method=method, data=HOSTILE_FORM if method == "POST" else None)

    assert response.status_code in (403, 404), f"{method} {path}: {response.status_code}"
    assert (_table_counts(session), _row_digest(session)) == before


def _row_digest(session) -> str:
    import hashlib

    from shop.extensions import db

    session.expire_all()
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        for row in session.execute(select(table).order_by(*table.primary_key.columns)):
            digest.update(repr(tuple(row)).encode())
    session.rollback()
    return digest.hexdigest()
