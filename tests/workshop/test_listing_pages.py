"""Staff listing pages over HTTP: create, edit, pictures, and the unit boundary."""
from __future__ import annotations

import html
import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from catalogue.models import Product, ProductImage, ProductRevision
from factories import in_bokmal, make_category, make_product, make_unit


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (180, 120, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def form_for(category_id: int, **changes) -> dict:
    data = {"category_id": str(category_id), "kind": "goods", "title": "Skjærefjøl i bjørk", "summary": "Til brød.",
            "description": "Oljet med matolje.", "price": "349,50", "vat_rate_bp": "2500",
            "attributes": "Materiale: bjørk\nMål: 20 × 30 cm", "lead_time_days": "", "training_value": "Snekkerfag",
            "action": "save"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def unit(session):
    return make_unit(session)


@pytest.fixture
def category(session):
    category = make_category(session, name="Kjøkken")
    session.commit()
    return category


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_staff_create_a_draft_with_the_price_in_kroner(client, session, login_as, unit, category):
    login_as("staff", unit=unit)

    response = client.post("/workshop/varer/ny", data=form_for(category.id))

    assert response.status_code == 303
    product = session.scalars(select(Product).where(Product.unit_id == unit.id)).one()
    assert (product.status, product.price_ore, product.attributes) == (
        "draft", 34950, {"Materiale": "bjørk", "Mål": "20 × 30 cm"})
    assert client.get(response.headers["Location"]).status_code == 200


def test_create_and_send_for_review_with_pictures(client, session, login_as, unit, category):
    login_as("staff", unit=unit)
    data = form_for(category.id, action="submit", alt_text="Fjøla forfra")
    data["pictures"] = [(io.BytesIO(jpeg()), "a.jpg"), (io.BytesIO(jpeg()), "b.jpg")]

    response = client.post("/workshop/varer/ny", data=data, content_type="multipart/form-data")

    assert response.status_code == 303
    product = session.scalars(select(Product).where(Product.unit_id == unit.id)).one()
    assert product.status == "submitted"
    assert [(i.alt_text, i.pending) for i in product.images] == [("Fjøla forfra", False)] * 2


def test_an_invalid_form_keeps_what_was_typed_with_the_message_next_to_the_field(client, session, login_as, unit,
                                                                                  category):
    login_as("staff", unit=unit)

    response = client.post("/workshop/varer/ny", data=form_for(category.id, price="12,345", attributes="bare tekst"))

    assert response.status_code == 400
    text = page(response)
    assert 'value="Skjærefjøl i bjørk"' in text and 'value="12,345"' in text and "bare tekst" in text
    assert 'id="price-error"' in text and 'id="attributes-error"' in text
    assert session.scalar(select(func.count()).select_from(Product)) == 0


def test_a_bad_picture_gets_a_message_stores_nothing_and_keeps_the_form(client, session, login_as, unit, category, app):
    login_as("staff", unit=unit)
    data = form_for(category.id, alt_text="Fjøla")
    data["pictures"] = [(io.BytesIO(jpeg()), "fin.jpg"), (io.BytesIO(b"%PDF-1.4 not a picture"), "faktura.pdf")]

    response = client.post("/workshop/varer/ny", data=data, content_type="multipart/form-data")

    assert response.status_code == 400
    text = page(response)
    assert 'id="pictures-error"' in text and "faktura.pdf" in text
    assert 'value="Skjærefjøl i bjørk"' in text and 'value="Fjøla"' in text
    assert session.scalar(select(func.count()).select_from(Product)) == 0
    media = Path(app.config["MEDIA_ROOT"])
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_editing_a_published_listing_makes_a_revision_and_the_shop_shows_the_published_version(
        client, session, login_as, unit, category):
    product = make_product(session, unit=unit, category=category, title="Benk i eik", price_ore=250000)
    session.commit()
    login_as("staff", unit=unit)

    response = client.post(f"/workshop/varer/{product.id}", data=form_for(category.id, title="Benk i ask",
                                                                         price="2 500", lead_time_days="10",
                                                                         made_to_order="y"))

    assert response.status_code == 303
    session.expire_all()
    product = session.get(Product, product.id)
    assert (product.title, product.made_to_order, product.lead_time_days) == ("Benk i eik", True, 10)
    revision = session.scalars(select(ProductRevision).where(ProductRevision.product_id == product.id)).one()
    assert revision.fields["title"] == "Benk i ask"
    edit = page(client.get(f"/workshop/varer/{product.id}"))
    assert "Benk i eik" in edit and "Benk i ask" in edit
    assert in_bokmal("Withdraw the changes") in edit
    assert "Benk i ask" not in page(client.get(f"/produkt/{product.slug}"))


def test_a_picture_for_a_published_listing_waits_for_review(client, session, login_as, unit, category):
    product = make_product(session, unit=unit, category=category)
    session.commit()
    login_as("staff", unit=unit)

    response = client.post(f"/workshop/varer/{product.id}/bilder", content_type="multipart/form-data",
                           data={"pictures": [(io.BytesIO(jpeg()), "ny.jpg")], "decorative": "y"})

    assert response.status_code == 303
    image = session.scalars(select(ProductImage)).one()
    assert image.pending and image.alt_text == product.title


def test_a_picture_without_alt_text_is_refused_next_to_the_field(client, session, login_as, unit, category):
    product = make_product(session, unit=unit, category=category, status="draft")
    session.commit()
    login_as("staff", unit=unit)

    response = client.post(f"/workshop/varer/{product.id}/bilder", content_type="multipart/form-data",
                           data={"pictures": [(io.BytesIO(jpeg()), "ny.jpg")], "alt_text": ""})

    assert response.status_code == 400
    assert 'id="alt_text-error"' in page(response)
    assert session.scalar(select(func.count()).select_from(ProductImage)) == 0


def test_pictures_of_a_draft_are_reordered_described_and_removed(client, session, login_as, unit, category):
    from catalogue.services import add_image

    product = make_product(session, unit=unit, category=category, status="draft")
    first, second = (add_image(session, product, jpeg(), alt_text=t, media_root=client.application.config["MEDIA_ROOT"])
                     for t in ("En", "To"))
    session.commit()
    first_id, second_id = first.id, second.id
    login_as("staff", unit=unit)
    base = f"/workshop/varer/{product.id}/bilder"

    assert client.post(f"{base}/{second_id}/flytt", data={"direction": "up"}).status_code == 303
    assert client.post(f"{base}/{first_id}/alt-tekst", data={f"bilde-{first_id}-alt_text": "Første"}).status_code == 303
    assert client.post(f"{base}/{second_id}/slett").status_code == 303

    session.expire_all()
    assert [(i.id, i.alt_text) for i in session.get(Product, product.id).images] == [(first_id, "Første")]


def test_the_list_shows_the_units_listings_with_status_and_comment(client, session, login_as, unit):
    mine = make_product(session, unit=unit, title="Krakk", status="rejected")
    mine.review_comment = "Bildet er uskarpt."
    make_product(session, title="Annen enhets benk")
    session.commit()
    login_as("staff", unit=unit)

    text = page(client.get("/workshop/varer"))

    assert "Krakk" in text and "Bildet er uskarpt." in text and "Annen enhets benk" not in text
    assert client.get("/workshop/varer?status=ukjent").status_code == 400
    assert "Krakk" not in page(client.get("/workshop/varer?status=published"))
    assert "Krakk" in page(client.get("/workshop/varer?q=krak"))


@pytest.mark.parametrize(("method", "suffix", "data"), [
    ("GET", "", None),
    ("POST", "", "form"),
    ("POST", "/status", {"status": "archived"}),
    ("POST", "/trekk-endringer", {}),
    ("POST", "/bilder", "picture"),
])
def test_staff_of_another_unit_get_404_and_change_nothing(client, session, login_as, unit, category, method, suffix,
                                                          data):
    product = make_product(session, unit=unit, category=category, title="Benk i eik")
    session.commit()
    login_as("staff", unit=make_unit(session))
    if data == "form":
        data = form_for(category.id, title="Kapret")
    elif data == "picture":
        data = {"pictures": [(io.BytesIO(jpeg()), "x.jpg")], "alt_text": "x"}

    response = client.open(f"/workshop/varer/{product.id}{suffix}", method=method, data=data)

    assert response.status_code == 404
    session.expire_all()
    product = session.get(Product, product.id)
    assert (product.title, product.status, len(product.images)) == ("Benk i eik", "published", 0)
    assert session.scalar(select(func.count()).select_from(ProductRevision)) == 0


def test_archive_and_bring_back(client, session, login_as, unit, category):
    product = make_product(session, unit=unit, category=category)
    session.commit()
    login_as("staff", unit=unit)

    assert client.post(f"/workshop/varer/{product.id}/status", data={"status": "archived"}).status_code == 303
    assert client.post(f"/workshop/varer/{product.id}/status", data={"status": "published"}).status_code == 409
    assert client.post(f"/workshop/varer/{product.id}/status", data={"status": "draft"}).status_code == 303
    session.expire_all()
    assert session.get(Product, product.id).status == "draft"
