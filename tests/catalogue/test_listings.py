"""Listing rules: the unit boundary, one pending revision, availability at once, approve and send back."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from catalogue import browse, listings, services
from catalogue.listings import ListingInput, RefusedPicture
from catalogue.models import Product, ProductImage, ProductRevision
from catalogue.services import InvalidTransition
from catalogue.storage import LocalStorage
from factories import NOW, make_category, make_product, make_unit
from shop.core.actor import Actor, NotPermitted
from shop.core.audit import AuditEvent


def jpeg(colour=(180, 120, 60), size=(400, 300)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def data_for(product: Product, **changes) -> ListingInput:
    fields = ListingInput.of(product).__dict__ | changes
    return ListingInput(**fields)


@pytest.fixture
def storage(app):
    return LocalStorage(app.config["MEDIA_ROOT"])


@pytest.fixture
def shop(session):
    """A unit with its staff, another unit's staff, the coordinator and a published listing."""
    unit, other = make_unit(session), make_unit(session)
    product = make_product(session, unit=unit, title="Benk i eik", price_ore=250000)
    session.commit()
    return {
        "unit": unit, "product": product,
        "staff": Actor(user_id=None, role="staff", unit_id=unit.id),
        "stranger": Actor(user_id=None, role="staff", unit_id=other.id),
        "coordinator": Actor(user_id=None, role="coordinator"),
    }


def revisions(session, product) -> list[ProductRevision]:
    return list(session.scalars(select(ProductRevision).where(ProductRevision.product_id == product.id)))


def audit_actions(session, product) -> list[tuple[str, int | None]]:
    return [(e.action, e.unit_id) for e in session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "product", AuditEvent.object_id == product.id)
        .order_by(AuditEvent.id))]


def test_a_new_listing_is_a_draft_of_the_actors_unit(session, shop):
    category = make_category(session)
    data = ListingInput(category_id=category.id, kind="goods", title="Skjærefjøl", summary="", description="",
                        price_ore=34950, vat_rate_bp=2500, attributes={"Materiale": "bjørk"})

    product = listings.create_listing(session, shop["staff"], data, now=NOW)

    assert (product.status, product.unit_id, product.attributes) == ("draft", shop["unit"].id, {"Materiale": "bjørk"})
    assert ("listing.created", shop["unit"].id) in audit_actions(session, product)


def test_a_draft_is_edited_directly(session, shop):
    draft = make_product(session, unit=shop["unit"], status="draft", title="Krakk")

    update = listings.update_listing(session, shop["staff"], draft.id, data_for(draft, title="Krakk i ask"), now=NOW)

    assert update.outcome == listings.APPLIED
    assert draft.title == "Krakk i ask"
    assert revisions(session, draft) == []


@pytest.mark.parametrize("act", ["update", "submit", "archive", "withdraw", "images", "move"])
def test_staff_of_another_unit_are_not_permitted_and_change_nothing(session, shop, storage, act):
    product, stranger = shop["product"], shop["stranger"]
    calls = {
        "update": lambda: listings.update_listing(session, stranger, product.id, data_for(product, title="Kapret"),
                                                  now=NOW),
        "submit": lambda: listings.submit(session, stranger, product.id, now=NOW),
        "archive": lambda: listings.archive(session, stranger, product.id, storage=storage, now=NOW),
        "withdraw": lambda: listings.withdraw_revision(session, stranger, product.id, storage=storage, now=NOW),
        "images": lambda: listings.add_images(session, stranger, product.id, [jpeg()], alt_text="Benk", decorative=False,
                                              storage=storage, now=NOW),
        "move": lambda: listings.move_image(session, stranger, product.id, 1, 1, storage=storage, now=NOW),
    }
    with pytest.raises(NotPermitted):
        calls[act]()
    session.rollback()
    assert (product.title, product.status) == ("Benk i eik", "published")
    assert revisions(session, product) == []


@pytest.mark.parametrize("who", ["staff", "stranger"])
def test_only_the_coordinator_approves_or_sends_back(session, shop, storage, who):
    product = shop["product"]
    listings.update_listing(session, shop["staff"], product.id, data_for(product, title="Benk i ask"), now=NOW)

    with pytest.raises(NotPermitted):
        listings.approve(session, shop[who], product.id, storage=storage, now=NOW)
    with pytest.raises(NotPermitted):
        listings.send_back(session, shop[who], product.id, "Nei", now=NOW)
    assert product.title == "Benk i eik"


def test_edits_of_a_published_listing_go_into_one_pending_revision(session, shop):
    product = shop["product"]

    first = listings.update_listing(session, shop["staff"], product.id, data_for(product, title="Benk i ask"), now=NOW)
    second = listings.update_listing(session, shop["staff"], product.id,
                                     data_for(product, title="Benk i ask", price_ore=260000), now=NOW)

    assert first.outcome == second.outcome == listings.PENDING
    assert (product.title, product.price_ore) == ("Benk i eik", 250000)  # the published version stays live
    [revision] = revisions(session, product)
    assert revision.state == "pending"
    assert (revision.fields["title"], revision.fields["price_ore"]) == ("Benk i ask", 260000)
    side = listings.published_vs_pending(session, product)
    assert side.current.fields["title"] == "Benk i eik" and side.proposed.fields["title"] == "Benk i ask"
    assert side.changed == {"title", "price_ore"}


def test_availability_of_a_published_listing_applies_at_once(session, shop):
    product = shop["product"]

    update = listings.update_listing(session, shop["staff"], product.id,
                                     data_for(product, made_to_order=True, lead_time_days=21), now=NOW)

    assert update == listings.Update(listings.APPLIED, availability_changed=True)
    assert (product.made_to_order, product.lead_time_days) == (True, 21)
    assert revisions(session, product) == []
    assert ("listing.availability_changed", shop["unit"].id) in audit_actions(session, product)


def test_availability_applies_while_the_content_waits(session, shop):
    product = shop["product"]

    update = listings.update_listing(session, shop["staff"], product.id,
                                     data_for(product, title="Benk i ask", made_to_order=True, lead_time_days=14),
                                     now=NOW)

    assert update == listings.Update(listings.PENDING, availability_changed=True)
    assert (product.title, product.lead_time_days) == ("Benk i eik", 14)


def test_editing_back_to_the_published_version_leaves_nothing_to_review(session, shop):
    product = shop["product"]
    listings.update_listing(session, shop["staff"], product.id, data_for(product, title="Benk i ask"), now=NOW)

    update = listings.update_listing(session, shop["staff"], product.id, data_for(product), now=NOW)

    assert update.outcome == listings.UNCHANGED
    assert [r.state for r in revisions(session, product)] == ["withdrawn"]


def live_image(session, product, storage, alt_text: str) -> ProductImage:
    return services.add_image(session, product, jpeg(), alt_text=alt_text, storage=storage)


def test_approve_applies_fields_and_images_in_one_go(session, shop, storage):
    product, staff = shop["product"], shop["staff"]
    front, side_view = live_image(session, product, storage, "Forfra"), live_image(session, product, storage, "Fra siden")
    session.commit()
    [new] = listings.add_images(session, staff, product.id, [jpeg((10, 90, 10))], alt_text="Detalj av sammenføyning",
                                decorative=False, storage=storage, now=NOW)
    listings.move_image(session, staff, product.id, new.id, -1, storage=storage, now=NOW)
    listings.describe_image(session, staff, product.id, side_view.id, "Benken fra siden", decorative=False,
                            storage=storage, now=NOW)
    listings.remove_image(session, staff, product.id, front.id, storage=storage, now=NOW)
    listings.update_listing(session, staff, product.id, data_for(product, title="Benk i ask"), now=NOW)
    session.commit()
    front_id = front.id
    assert [i.id for i in product.images if not i.pending] == [front.id, side_view.id]  # nothing live changed yet
    [revision] = revisions(session, product)

    listings.approve(session, shop["coordinator"], product.id, storage=storage, now=NOW)
    session.commit()

    session.expire_all()
    product = session.get(Product, product.id)
    assert product.title == "Benk i ask"
    assert [(i.id, i.alt_text, i.pending) for i in product.images] == [
        (new.id, "Detalj av sammenføyning", False), (side_view.id, "Benken fra siden", False)]
    assert session.get(ProductImage, front_id) is None
    assert session.get(ProductRevision, revision.id).state == "approved"
    assert ("listing.revision_approved", shop["unit"].id) in audit_actions(session, product)


def test_approve_is_all_or_nothing(session, shop, storage, monkeypatch):
    product = shop["product"]
    listings.update_listing(session, shop["staff"], product.id, data_for(product, title="Benk i ask"), now=NOW)
    session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("the search index is down")

    monkeypatch.setattr(listings, "index_products", broken)
    with pytest.raises(RuntimeError):
        listings.approve(session, shop["coordinator"], product.id, storage=storage, now=NOW)
    session.rollback()

    assert session.get(Product, product.id).title == "Benk i eik"
    assert [r.state for r in revisions(session, product)] == ["pending"]


def test_send_back_keeps_the_published_version_and_says_why(session, shop):
    product, staff = shop["product"], shop["staff"]
    listings.update_listing(session, staff, product.id, data_for(product, title="Benk i ask"), now=NOW)

    listings.send_back(session, shop["coordinator"], product.id, "Skriv hvilken olje som er brukt.", now=NOW)

    assert (product.status, product.title) == ("published", "Benk i eik")
    [revision] = revisions(session, product)
    assert (revision.state, revision.comment) == ("rejected", "Skriv hvilken olje som er brukt.")
    side = listings.published_vs_pending(session, product)
    assert side.sent_back and side.comment == "Skriv hvilken olje som er brukt."
    assert ("listing.revision_sent_back", shop["unit"].id) in audit_actions(session, product)
    # Staff go on from what they proposed, in a new pending revision.
    assert listings.working_input(session, product).title == "Benk i ask"
    listings.update_listing(session, staff, product.id, data_for(product, title="Benk i ask, oljet med linolje"), now=NOW)
    assert [r.state for r in revisions(session, product)] == ["rejected", "pending"]


def test_a_submitted_listing_is_published_or_sent_back(session, shop, storage):
    approved = make_product(session, unit=shop["unit"], status="draft")
    returned = make_product(session, unit=shop["unit"], status="draft")
    for product in (approved, returned):
        listings.submit(session, shop["staff"], product.id, now=NOW)
        assert product.status == "submitted"

    listings.approve(session, shop["coordinator"], approved.id, storage=storage, now=NOW)
    listings.send_back(session, shop["coordinator"], returned.id, "Bildet viser et ansikt.", now=NOW)

    assert approved.status == "published" and approved.published_at == NOW
    assert (returned.status, returned.review_comment) == ("rejected", "Bildet viser et ansikt.")
    assert ("listing.sent_back", shop["unit"].id) in audit_actions(session, returned)
    listings.submit(session, shop["staff"], returned.id, now=NOW)
    assert returned.status == "submitted"


def test_nothing_to_review_is_refused(session, shop, storage):
    with pytest.raises(InvalidTransition):
        listings.approve(session, shop["coordinator"], shop["product"].id, storage=storage, now=NOW)
    with pytest.raises(InvalidTransition):
        listings.send_back(session, shop["coordinator"], shop["product"].id, "Nei", now=NOW)
    with pytest.raises(InvalidTransition):
        listings.withdraw_revision(session, shop["staff"], shop["product"].id, storage=storage, now=NOW)
    assert audit_actions(session, shop["product"]) == []


def test_pending_pictures_stay_out_of_the_shop_until_approved(session, shop, storage):
    product = shop["product"]
    live_image(session, product, storage, "Forfra")
    listings.add_images(session, shop["staff"], product.id, [jpeg(), jpeg()], alt_text="Ny vinkel", decorative=False,
                        storage=storage, now=NOW)
    session.commit()

    assert [p.alt_text for p in browse.pictures_of(session, product.id)] == ["Forfra"]
    assert browse.first_pictures(session, [product.id])[product.id].alt_text == "Forfra"
    listings.remove_image(session, shop["staff"], product.id, product.images[0].id, storage=storage, now=NOW)
    session.commit()
    assert browse.first_pictures(session, [product.id])[product.id].alt_text == "Forfra"  # removal waits too

    listings.approve(session, shop["coordinator"], product.id, storage=storage, now=NOW)
    session.commit()
    assert [p.alt_text for p in browse.pictures_of(session, product.id)] == ["Ny vinkel", "Ny vinkel"]


def test_withdrawing_a_revision_deletes_its_new_pictures(session, shop, storage):
    product = shop["product"]
    [new] = listings.add_images(session, shop["staff"], product.id, [jpeg()], alt_text="Ny", decorative=False,
                                storage=storage, now=NOW)
    session.commit()
    new_id, folder = new.id, Path(storage.root) / new.storage_key

    listings.withdraw_revision(session, shop["staff"], product.id, storage=storage, now=NOW)
    session.commit()

    assert session.get(ProductImage, new_id) is None
    assert not folder.exists()
    assert [r.state for r in revisions(session, product)] == ["withdrawn"]


def test_a_draft_gets_its_pictures_directly_and_a_decorative_one_the_title_as_alt_text(session, shop, storage):
    draft = make_product(session, unit=shop["unit"], status="draft", title="Krakk")

    [image] = listings.add_images(session, shop["staff"], draft.id, [jpeg()], alt_text="", decorative=True,
                                  storage=storage, now=NOW)

    assert (image.pending, image.alt_text) == (False, "Krakk")
    assert listings.working_images(session, draft)[0].decorative
    assert revisions(session, draft) == []


def test_a_refused_file_stores_nothing(session, shop, storage):
    draft = make_product(session, unit=shop["unit"], status="draft")
    session.commit()

    with pytest.raises(RefusedPicture) as refused:
        listings.add_images(session, shop["staff"], draft.id, [jpeg(), b"not a picture"], alt_text="Krakk",
                            decorative=False, storage=storage, now=NOW)
    session.rollback()

    assert refused.value.index == 1
    assert session.scalar(select(func.count()).select_from(ProductImage)) == 0
    root = Path(storage.root)
    assert not root.exists() or not [p for p in root.rglob("*") if p.is_file()]


def test_a_picture_needs_alt_text_unless_decorative(session, shop, storage):
    with pytest.raises(listings.InvalidListing):
        listings.add_images(session, shop["staff"], shop["product"].id, [jpeg()], alt_text="  ", decorative=False,
                            storage=storage, now=NOW)


def test_archiving_withdraws_the_pending_revision(session, shop, storage):
    product = shop["product"]
    listings.update_listing(session, shop["staff"], product.id, data_for(product, title="Benk i ask"), now=NOW)

    listings.archive(session, shop["staff"], product.id, storage=storage, now=NOW)
    assert product.status == "archived"
    assert [r.state for r in revisions(session, product)] == ["withdrawn"]
    listings.unarchive(session, shop["staff"], product.id, now=NOW)
    assert product.status == "draft"
    assert [a for a, _u in audit_actions(session, product)][-2:] == ["listing.archived", "listing.unarchived"]


def test_the_service_refuses_what_the_database_would(session, shop):
    product = shop["product"]
    with pytest.raises(listings.InvalidListing):
        listings.update_listing(session, shop["staff"], product.id, data_for(product, vat_rate_bp=1000), now=NOW)
    with pytest.raises(listings.InvalidListing):
        listings.update_listing(session, shop["staff"], product.id, data_for(product, made_to_order=True,
                                                                             lead_time_days=None), now=NOW)


def test_the_units_list_filters_by_status_and_finds_by_title_or_sku(session, shop):
    draft = make_product(session, unit=shop["unit"], status="draft", title="Krakk")
    make_product(session, title="Annen enhets krakk")
    listings.update_listing(session, shop["staff"], shop["product"].id, data_for(shop["product"], title="Benk i ask"),
                            now=NOW)

    assert [r.id for r in listings.unit_listings(session, shop["staff"], text="krakk").items] == [draft.id]
    assert [r.id for r in listings.unit_listings(session, shop["staff"], text=draft.sku.lower()).items] == [draft.id]
    assert [r.id for r in listings.unit_listings(session, shop["staff"], status="draft").items] == [draft.id]
    [changed] = listings.unit_listings(session, shop["staff"], status="changes").items
    assert changed.id == shop["product"].id and changed.changes_pending
    assert {r.id for r in listings.review_queue(session, shop["coordinator"])} == {shop["product"].id}
