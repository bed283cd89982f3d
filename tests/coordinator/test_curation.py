"""Curation: what changed word by word, the checklist, every decision, and trusted units (issue 9)."""
from __future__ import annotations

import html
import re

from sqlalchemy import select

from catalogue import listings
from catalogue.models import Product, ProductRevision, Unit
from factories import NOW, in_bokmal, make_category, make_product
from shop.core.actor import Actor
from shop.core.audit import AuditEvent

COORDINATOR = Actor(user_id=None, role="coordinator")
CHECKED = {"no_person": "y", "safety": "y"}


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _edit(session, product, **changes):
    staff = Actor(user_id=None, role="staff", unit_id=product.unit_id)
    data = listings.ListingInput(**(listings.ListingInput.of(product).__dict__ | changes))
    result = listings.update_listing(session, staff, product.id, data, now=NOW)
    session.commit()
    return result


def _actions(session, product_id) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == product_id,
                                                                AuditEvent.object_type == "product")
                                .order_by(AuditEvent.id)))


def test_a_word_diff_marks_removed_and_added_words_and_keeps_the_rest():
    assert listings.word_diff("Benk i eik, oljet", "Benk i ask, oljet") == [
        ("same", "Benk i "), ("del", "eik, "), ("ins", "ask, "), ("same", "oljet")]
    assert listings.word_diff("", "Ny tekst") == [("ins", "Ny tekst")]
    assert listings.word_diff("Samme", "Samme") == [("same", "Samme")]


def test_the_review_page_shows_text_changes_as_a_word_diff_and_price_side_by_side(client, session, login_as):
    product = make_product(session, title="Benk i eik", price_ore=250000)
    session.commit()
    _edit(session, product, title="Benk i ask", price_ore=275000)
    login_as("coordinator")

    text = page(client.get(f"/coordinator/varer/{product.id}"))

    assert re.search(r"<del>.*?eik\s*</del><ins>.*?ask\s*</ins>", text)
    assert "2\u00a0500,00" in text and "2\u00a0750,00" in text


def test_the_checklist_answers_what_a_program_can_and_leaves_the_rest_to_look_at(session):
    food = make_category(session, name="Mat og bakst", slug="mat")
    honey = make_product(session, category=food, title="Honning", vat_rate_bp=2500, description="Kort.")
    bench = make_product(session, title="Benk", vat_rate_bp=2500, description="En solid benk i eik, laget for å vare i "
                         "mange år, oljet med naturolje.")
    session.commit()

    def checks(product):
        side = listings.published_vs_pending(session, product)
        return {c.code: c.ok for c in listings.checklist(side, product.category)}

    assert checks(honey) == {"photos": False, "price": False, "description": False, "no_person": None, "safety": None}
    assert checks(bench)["price"] is True and checks(bench)["description"] is True


def test_approving_needs_both_checks_ticked_and_says_so_next_to_the_field(client, session, login_as):
    product = make_product(session, status="submitted")
    session.commit()
    login_as("coordinator")

    response = client.post(f"/coordinator/varer/{product.id}/godkjenn", data={"no_person": "y"})

    assert response.status_code == 400
    assert in_bokmal("Check product safety marking first.") in page(response)
    session.expire_all()
    assert session.get(Product, product.id).status == "submitted"
    assert client.post(f"/coordinator/varer/{product.id}/godkjenn", data=CHECKED).status_code == 303
    session.expire_all()
    assert session.get(Product, product.id).status == "published"


def test_rejecting_a_new_listing_archives_it_with_the_comment_the_unit_sees(client, session, login_as):
    product = make_product(session, status="submitted")
    session.commit()
    login_as("coordinator")

    empty = client.post(f"/coordinator/varer/{product.id}/avvis", data={"reject_comment": "  "})
    done = client.post(f"/coordinator/varer/{product.id}/avvis", data={"reject_comment": "Ikke i sortimentet."})

    assert empty.status_code == 400 and done.status_code == 303
    session.expire_all()
    rejected = session.get(Product, product.id)
    assert (rejected.status, rejected.review_comment) == ("archived", "Ikke i sortimentet.")
    assert "listing.rejected" in _actions(session, product.id)


def test_rejecting_a_revision_discards_it_and_keeps_the_published_version(client, session, login_as):
    product = make_product(session, title="Benk i eik")
    session.commit()
    _edit(session, product, title="Benk i plast")
    login_as("coordinator")

    assert client.post(f"/coordinator/varer/{product.id}/avvis", data={"reject_comment": "Feil materiale."}).status_code == 303

    session.expire_all()
    assert session.get(Product, product.id).title == "Benk i eik"
    assert session.get(Product, product.id).status == "published"
    assert session.scalars(select(ProductRevision.state).where(ProductRevision.product_id == product.id)).all() == [
        "withdrawn"]
    assert "Benk i eik" in page(client.get(f"/produkt/{product.slug}"))


def test_taking_a_listing_out_of_the_shop_sends_it_back_as_a_draft(client, session, login_as):
    product = make_product(session, title="Krakk")
    session.commit()
    login_as("coordinator")

    response = client.post(f"/coordinator/varer/{product.id}/ta-ut", data={"unpublish_comment": "Et ansikt i bildet."})

    assert response.status_code == 303
    session.expire_all()
    taken = session.get(Product, product.id)
    assert (taken.status, taken.review_comment) == ("draft", "Et ansikt i bildet.")
    assert client.get(f"/produkt/{product.slug}").status_code == 404
    assert "listing.unpublished" in _actions(session, product.id)


def test_the_coordinator_archives_any_units_listing(client, session, login_as):
    product = make_product(session)
    session.commit()
    login_as("coordinator")

    assert client.post(f"/coordinator/varer/{product.id}/arkiver").status_code == 303

    session.expire_all()
    assert session.get(Product, product.id).status == "archived"


def test_a_trusted_units_change_goes_live_at_once_and_waits_to_be_looked_at(client, session, login_as):
    product = make_product(session, title="Benk i eik")
    session.commit()
    login_as("coordinator")
    assert client.post(f"/coordinator/varer/enhet/{product.unit_id}/tillit", data={"trusted": "1"}).status_code == 303
    session.expire_all()
    assert session.get(Unit, product.unit_id).trusted is True

    outcome = _edit(session, session.get(Product, product.id), title="Benk i ask")

    assert outcome.outcome == listings.APPLIED
    session.expire_all()
    assert session.get(Product, product.id).title == "Benk i ask"
    assert "Benk i ask" in page(client.get(f"/produkt/{product.slug}"))
    queue = page(client.get("/coordinator/varer"))
    assert "Benk i ask" in queue  # in the after-the-fact list
    revision_id = session.scalar(select(ProductRevision.id).where(ProductRevision.state == "applied"))
    assert revision_id is not None
    assert client.post(f"/coordinator/varer/sett/{revision_id}").status_code == 303
    assert listings.after_the_fact(session, COORDINATOR) == []
    assert {"listing.revision_applied", "listing.revision_seen"} <= set(_actions(session, product.id))
    assert session.scalar(select(AuditEvent.action).where(AuditEvent.object_type == "unit")) == "unit.trusted"


def test_an_untrusted_units_change_waits_for_review(session):
    product = make_product(session, title="Benk i eik")
    session.commit()

    outcome = _edit(session, product, title="Benk i ask")

    assert outcome.outcome == listings.PENDING
    session.expire_all()
    assert session.get(Product, product.id).title == "Benk i eik"
    assert listings.after_the_fact(session, COORDINATOR) == []


def test_trust_takes_only_a_yes_or_a_no(client, session, login_as):
    product = make_product(session)
    session.commit()
    login_as("coordinator")

    assert client.post(f"/coordinator/varer/enhet/{product.unit_id}/tillit", data={"trusted": "ja"}).status_code == 400
    assert client.post("/coordinator/varer/enhet/999999/tillit", data={"trusted": "1"}).status_code == 404
    session.expire_all()
    assert session.get(Unit, product.unit_id).trusted is False


def test_staff_cannot_make_curation_decisions_even_through_the_services(session):
    product = make_product(session, status="submitted")
    session.commit()
    staff = Actor(user_id=None, role="staff", unit_id=product.unit_id)

    for decide in (lambda: listings.reject(session, staff, product.id, "x", storage=None, now=NOW),
                   lambda: listings.unpublish(session, staff, product.id, "x", storage=None, now=NOW),
                   lambda: listings.set_trusted(session, staff, product.unit_id, True, now=NOW),
                   lambda: listings.after_the_fact(session, staff)):
        try:
            decide()
        except listings.NotPermitted:
            continue
        raise AssertionError("staff made a coordinator's decision")


def test_featuring_puts_a_listing_on_the_home_page_while_it_is_for_sale(client, session, login_as):
    product = make_product(session, title="Fuglekasse i gran")
    session.commit()
    login_as("coordinator")

    assert client.post(f"/coordinator/varer/{product.id}/fremhev", data={"trusted": "1"}).status_code == 303
    featured_home = page(client.get("/"))
    client.post(f"/coordinator/varer/{product.id}/ta-ut", data={"unpublish_comment": "Feil pris."})

    assert "Fuglekasse i gran" in featured_home
    assert "Fuglekasse i gran" not in page(client.get("/"))
    assert "listing.featured" in _actions(session, product.id)
