"""The coordinator's listing review over HTTP: see published beside pending, approve, send back."""
from __future__ import annotations

import html
import re

from sqlalchemy import select

from catalogue import listings
from catalogue.models import Product, ProductRevision
from factories import NOW, in_bokmal, make_product
from shop.core.actor import Actor


CHECKED = {"no_person": "y", "safety": "y"}  # the two checks the coordinator confirms before approving


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _with_revision(session, title="Benk i ask"):
    product = make_product(session, title="Benk i eik")
    staff = Actor(user_id=None, role="staff", unit_id=product.unit_id)
    data = listings.ListingInput(**(listings.ListingInput.of(product).__dict__ | {"title": title}))
    listings.update_listing(session, staff, product.id, data, now=NOW)
    session.commit()
    return product


def test_the_coordinator_sees_published_and_pending_side_by_side_and_approves(client, session, login_as):
    product = _with_revision(session)
    login_as("coordinator")

    queue = page(client.get("/coordinator/varer"))
    text = page(client.get(f"/coordinator/varer/{product.id}"))
    response = client.post(f"/coordinator/varer/{product.id}/godkjenn", data=CHECKED)

    assert "Benk i eik" in queue
    assert "Benk i eik" in text  # the published title, and the proposed one as a word diff:
    assert re.search(r"Benk i <del>.*?eik\s*</del><ins>.*?ask\s*</ins>", text)
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Product, product.id).title == "Benk i ask"
    assert "Benk i ask" in page(client.get(f"/produkt/{product.slug}"))


def test_send_back_needs_a_comment_and_keeps_the_published_version(client, session, login_as):
    product = _with_revision(session)
    login_as("coordinator")

    refused = client.post(f"/coordinator/varer/{product.id}/send-tilbake", data={"comment": "  "})
    response = client.post(f"/coordinator/varer/{product.id}/send-tilbake", data={"comment": "Skriv hvilken olje."})

    assert refused.status_code == 400 and 'id="comment-error"' in page(refused)
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Product, product.id).title == "Benk i eik"
    revision = session.scalars(select(ProductRevision).where(ProductRevision.product_id == product.id)).one()
    assert (revision.state, revision.comment) == ("rejected", "Skriv hvilken olje.")


def test_a_submitted_listing_is_published(client, session, login_as):
    product = make_product(session, status="submitted")
    session.commit()
    login_as("coordinator")

    assert client.post(f"/coordinator/varer/{product.id}/godkjenn", data=CHECKED).status_code == 303
    session.expire_all()
    assert session.get(Product, product.id).status == "published"


def test_approving_when_nothing_waits_is_refused_with_a_message(client, session, login_as):
    product = make_product(session)
    session.commit()
    login_as("coordinator")

    response = client.post(f"/coordinator/varer/{product.id}/godkjenn", data=CHECKED)

    assert response.status_code == 409
    assert in_bokmal("Nothing waits for review on this listing any more.") in page(response)


def test_an_unknown_listing_is_not_found(client, login_as):
    login_as("coordinator")
    assert client.get("/coordinator/varer/999").status_code == 404
    assert client.post("/coordinator/varer/999/godkjenn").status_code == 404
