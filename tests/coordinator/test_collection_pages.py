"""The coordinator's collection pages over HTTP: make one, fill it, picture it, reorder, delete."""
from __future__ import annotations

import html
import io

from PIL import Image
from sqlalchemy import select

from catalogue.models import Collection, CollectionItem
from factories import in_bokmal, make_product


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (30, 90, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_the_coordinator_makes_a_collection_and_fills_it(client, session, login_as):
    bench = make_product(session, title="Benk i eik")
    session.commit()
    login_as("coordinator")

    made = client.post("/coordinator/samlinger/ny", data={"title": "Utemøbler til barnehager", "text": "Solide møbler.",
                                                          "on_home_page": "y", "position": "0"})
    collection = session.scalar(select(Collection))
    added = client.post(f"/coordinator/samlinger/{collection.id}/varer", data={"sku": bench.sku})
    pictured = client.post(f"/coordinator/samlinger/{collection.id}/bilde",
                           data={"picture": (io.BytesIO(_jpeg()), "hage.jpg"), "image_alt": "Benk i en barnehage"},
                           content_type="multipart/form-data")

    assert made.status_code == 303 and added.status_code == 303 and pictured.status_code == 303
    assert collection.slug == "utemobler-til-barnehager"
    listing = page(client.get("/coordinator/samlinger"))
    assert "Utemøbler til barnehager" in listing
    public = page(client.get("/samling/utemobler-til-barnehager"))
    assert "Benk i eik" in public and 'alt="Benk i en barnehage"' in public


def test_a_bad_form_keeps_what_was_typed_and_says_why_next_to_the_field(client, session, login_as):
    login_as("coordinator")

    response = client.post("/coordinator/samlinger/ny", data={"title": "", "text": "Min tekst om gaver",
                                                              "starts_on": "2026-12-24", "ends_on": "2026-12-01"})

    text = page(response)
    assert response.status_code == 400
    assert in_bokmal("Give the collection a title.") in text
    assert in_bokmal("The last day cannot be before the first.") in text
    assert "Min tekst om gaver" in text and 'value="2026-12-24"' in text
    assert session.scalar(select(Collection.id)) is None


def test_an_unknown_item_number_and_a_bad_picture_are_told_beside_their_fields(client, session, login_as):
    login_as("coordinator")
    client.post("/coordinator/samlinger/ny", data={"title": "Julegaver", "position": "0"})
    collection = session.scalar(select(Collection))

    unknown = client.post(f"/coordinator/samlinger/{collection.id}/varer", data={"sku": "FINNES-IKKE"})
    picture = client.post(f"/coordinator/samlinger/{collection.id}/bilde",
                          data={"picture": (io.BytesIO(b"not a picture"), "x.jpg"), "image_alt": "Noe"},
                          content_type="multipart/form-data")

    assert unknown.status_code == 400 and in_bokmal("No product in the catalogue has that item number.") in page(unknown)
    assert picture.status_code == 400 and in_bokmal("Nothing was saved.") in page(picture)
    session.expire_all()
    assert session.get(Collection, collection.id).image_key is None


def test_reorder_remove_and_delete(client, session, login_as):
    first, second = make_product(session, title="En"), make_product(session, title="To")
    session.commit()
    login_as("coordinator")
    client.post("/coordinator/samlinger/ny", data={"title": "Julegaver", "position": "0"})
    collection = session.scalar(select(Collection))
    for product in (first, second):
        client.post(f"/coordinator/samlinger/{collection.id}/varer", data={"sku": product.sku})

    moved = client.post(f"/coordinator/samlinger/{collection.id}/varer/{second.id}/flytt", data={"step": "-1"})
    forged = client.post(f"/coordinator/samlinger/{collection.id}/varer/{second.id}/flytt", data={"step": "99"})
    order = session.scalars(select(CollectionItem.product_id).order_by(CollectionItem.position)).all()
    removed = client.post(f"/coordinator/samlinger/{collection.id}/varer/{first.id}/fjern")
    deleted = client.post(f"/coordinator/samlinger/{collection.id}/slett")

    assert moved.status_code == 303 and forged.status_code == 400 and removed.status_code == 303
    assert order == [second.id, first.id]
    assert deleted.status_code == 303
    assert session.scalar(select(Collection.id)) is None
    assert client.get(f"/coordinator/samlinger/{collection.id}").status_code == 404
