"""Collections: the coordinator's selections, shown on the home page and their own page between their days."""
from __future__ import annotations

import html
import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from catalogue import collections
from catalogue.collections import CollectionInput, InvalidCollection
from catalogue.models import Collection
from factories import NOW, make_product
from inventory.models import StockRecord
from shop.core.actor import Actor, NotPermitted
from shop.core.audit import AuditEvent
from shop.core.time import OSLO, utcnow

COORDINATOR = Actor(user_id=None, role="coordinator")


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _today():
    return utcnow().astimezone(OSLO).date()


def _collection(session, title="Julegaver", **fields):
    collection = collections.create(session, COORDINATOR, CollectionInput(title=title, text="Gaver laget i verkstedene.",
                                                                          **fields), now=NOW)
    session.commit()
    return collection


def test_a_collection_shows_its_products_for_sale_in_order_on_its_page_and_the_home_page(client, session):
    bench, apron, draft = (make_product(session, title="Benk i eik"), make_product(session, title="Forkle i lin"),
                           make_product(session, title="Hemmelig utkast", status="draft"))
    session.commit()
    collection = _collection(session)
    for product in (apron, bench, draft):
        collections.add_product(session, COORDINATOR, collection.id, product.sku, now=NOW)
    session.commit()

    text = page(client.get(f"/samling/{collection.slug}"))
    home = page(client.get("/"))

    assert text.index("Forkle i lin") < text.index("Benk i eik")
    assert "Hemmelig utkast" not in text and "Hemmelig utkast" not in home
    assert "Julegaver" in home and f"/samling/{collection.slug}" in home
    items = collections.items(session, COORDINATOR, collection, now=NOW)
    assert [(i.title, i.for_sale) for i in items] == [("Forkle i lin", True), ("Benk i eik", True),
                                                      ("Hemmelig utkast", False)]


def test_a_sold_out_product_stays_and_says_so(client, session):
    bench = make_product(session, title="Benk i eik")
    session.flush()
    session.execute(StockRecord.__table__.update().where(StockRecord.product_id == bench.id).values(on_hand=0))
    session.commit()
    collection = _collection(session)
    collections.add_product(session, COORDINATOR, collection.id, bench.sku, now=NOW)
    session.commit()

    text = page(client.get(f"/samling/{collection.slug}"))

    assert "Benk i eik" in text and "Utsolgt" in text
    assert collections.items(session, COORDINATOR, collection, now=NOW)[0].sold_out is True


def test_outside_its_days_a_collection_is_nowhere(client, session):
    today = _today()
    past = _collection(session, "Sommer", ends_on=today - timedelta(days=1))
    future = _collection(session, "Påske", starts_on=today + timedelta(days=1))
    now_on = _collection(session, "Høst", starts_on=today, ends_on=today)

    home = page(client.get("/"))
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)

    assert client.get(f"/samling/{past.slug}").status_code == 404
    assert client.get(f"/samling/{future.slug}").status_code == 404
    assert client.get(f"/samling/{now_on.slug}").status_code == 200
    assert "Sommer" not in home and "Påske" not in home and "Høst" in home
    assert f"/samling/{now_on.slug}" in sitemap and f"/samling/{past.slug}" not in sitemap


def test_off_the_home_page_it_still_has_its_own_page(client, session):
    collection = _collection(session, "Til bedriften", on_home_page=False)

    assert "Til bedriften" not in page(client.get("/"))
    assert client.get(f"/samling/{collection.slug}").status_code == 200


def test_products_are_reordered_removed_and_never_added_twice(session):
    first, second = make_product(session, title="En"), make_product(session, title="To")
    session.commit()
    collection = _collection(session)
    collections.add_product(session, COORDINATOR, collection.id, first.sku, now=NOW)
    collections.add_product(session, COORDINATOR, collection.id, second.sku, now=NOW)

    with pytest.raises(InvalidCollection) as twice:
        collections.add_product(session, COORDINATOR, collection.id, first.sku, now=NOW)
    with pytest.raises(InvalidCollection):
        collections.add_product(session, COORDINATOR, collection.id, "FINNES-IKKE", now=NOW)
    collections.move_product(session, COORDINATOR, collection.id, second.id, -1, now=NOW)
    collections.move_product(session, COORDINATOR, collection.id, second.id, -1, now=NOW)  # already first
    order = [i.title for i in collections.items(session, COORDINATOR, collection, now=NOW)]
    collections.remove_product(session, COORDINATOR, collection.id, first.id, now=NOW)
    session.commit()

    assert twice.value.message == "already in the collection"
    assert order == ["To", "En"]
    assert [i.title for i in collections.items(session, COORDINATOR, collection, now=NOW)] == ["To"]
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "collection")).all()
    assert actions.count("collection.product_added") == 2 and "collection.product_removed" in actions


def test_the_rules_of_a_collection(session):
    _collection(session, "Julegaver")
    today = _today()

    for data, field in ((CollectionInput(title=" "), "title"),
                        (CollectionInput(title="X", slug="Store Bokstaver"), "slug"),
                        (CollectionInput(title="X", slug="julegaver"), "slug"),
                        (CollectionInput(title="X", starts_on=today, ends_on=today - timedelta(days=1)), "ends_on")):
        with pytest.raises(InvalidCollection) as error:
            collections.create(session, COORDINATOR, data, now=NOW)
        assert error.value.field == field
    assert collections.create(session, COORDINATOR, CollectionInput(title="Julegaver"), now=NOW).slug == "julegaver-2"


def test_only_the_coordinator_curates(session):
    staff = Actor(user_id=None, role="staff", unit_id=1)

    with pytest.raises(NotPermitted):
        collections.create(session, staff, CollectionInput(title="Mine"), now=NOW)
    assert session.scalar(select(Collection.id)) is None


def test_the_picture_goes_through_the_image_pipeline(app, session):
    from catalogue.storage import storage_for

    collection = _collection(session)
    buffer = io.BytesIO()
    Image.new("RGB", (900, 600), (120, 80, 40)).save(buffer, "JPEG")

    collections.set_picture(session, COORDINATOR, collection.id, buffer.getvalue(), alt_text="Gaver under treet",
                            storage=storage_for(app.config), now=NOW)
    session.commit()

    assert collection.image_key.startswith("collections/") and collection.image_widths
    with pytest.raises(InvalidCollection):
        collections.set_picture(session, COORDINATOR, collection.id, buffer.getvalue(), alt_text=" ",
                                storage=storage_for(app.config), now=NOW)
