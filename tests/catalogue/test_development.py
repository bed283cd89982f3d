"""Product development rules: who reads and changes a concept, the stage flow, notes, partners, pictures, units,
products, and the audit log of every change."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from development_factories import coordinator_actor, jpeg, make_concept, staff_actor
from sqlalchemy import func, select

from catalogue import development_services as development
from catalogue.development import (
    MAX_IMAGES_PER_CONCEPT,
    STAGES,
    ConceptImage,
    ConceptNote,
    ConceptPartner,
    ConceptProduct,
    ConceptUnit,
    DevelopmentConcept,
)
from catalogue.development_services import STAGE_FLOW, ConceptNotFound, InvalidConcept
from catalogue.listings import RefusedPicture
from catalogue.services import InvalidTransition
from catalogue.storage import LocalStorage, storage_for
from factories import NOW, make_product, make_unit
from shop.core.actor import Actor, NotPermitted
from shop.core.audit import AuditEvent

CUSTOMER = Actor(user_id=None, role="customer")


def events(session, concept_id: int) -> list[tuple[str, int | None]]:
    return [(e.action, e.unit_id) for e in session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "development_concept", AuditEvent.object_id == concept_id)
        .order_by(AuditEvent.id))]


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def storage(app):
    return LocalStorage(app.config["MEDIA_ROOT"])


@pytest.fixture
def world(session):
    """Two units; a concept Bergen is involved in; staff of Bergen and of Halden; a coordinator."""
    bergen, halden = make_unit(session, name="Bergen fengsel"), make_unit(session, name="Halden fengsel")
    bergen_staff, _ = staff_actor(session, bergen, name="Berit Bergen")
    halden_staff, _ = staff_actor(session, halden, name="Hans Halden")
    concept = make_concept(session, units=[bergen], title="Fuglekasse i furu")
    session.commit()
    return {"bergen": bergen, "halden": halden, "bergen_staff": bergen_staff, "halden_staff": halden_staff,
            "coordinator": coordinator_actor(session), "concept_id": concept.id}


# Proposing and reading

def test_staff_propose_an_idea_that_starts_at_idea_with_their_unit_involved(session, world):
    concept = development.propose(session, world["halden_staff"], title="  Krakk i bjørk ",
                                  description="Til barnehager.", now=NOW)
    session.commit()

    assert (concept.title, concept.stage, concept.proposed_by_user_id) == (
        "Krakk i bjørk", "idea", world["halden_staff"].user_id)
    assert session.scalars(select(ConceptUnit.unit_id).where(ConceptUnit.concept_id == concept.id)).all() == [
        world["halden"].id]
    assert events(session, concept.id) == [("development.proposed", world["halden"].id)]
    view = development.concept_view(session, world["bergen_staff"], concept.id)
    assert view.proposed_by == "Hans Halden"


def test_the_coordinators_concept_starts_with_no_unit(session, world):
    concept = development.propose(session, world["coordinator"], title="Utemøbler", description="", now=NOW)

    assert development.concept_view(session, world["coordinator"], concept.id).units == []
    assert events(session, concept.id) == [("development.proposed", None)]


@pytest.mark.parametrize("title", ["", "   ", "x" * 201])
def test_an_idea_needs_a_title_of_at_most_200_characters(session, world, title):
    with pytest.raises(InvalidConcept) as error:
        development.propose(session, world["bergen_staff"], title=title, description="", now=NOW)
    assert error.value.field == "title"


def test_staff_of_every_unit_read_every_concept(session, world):
    view = development.concept_view(session, world["halden_staff"], world["concept_id"])

    assert view.title == "Fuglekasse i furu"
    assert [u.name for u in view.units] == ["Bergen fengsel"]
    assert view.may_contribute is False
    assert development.concept_view(session, world["bergen_staff"], world["concept_id"]).may_contribute is True
    assert [row.id for row in development.concept_list(session, world["halden_staff"]).items] == [world["concept_id"]]


@pytest.mark.parametrize("read", [
    lambda s, a, cid: development.concept_view(s, a, cid),
    lambda s, a, cid: development.concept_list(s, a),
    lambda s, a, cid: development.product_notes(s, a, 1),
    lambda s, a, cid: development.propose(s, a, title="Idé", description="", now=NOW),
    lambda s, a, cid: development.add_note(s, a, cid, "Hei", now=NOW),
], ids=["view", "list", "product_notes", "propose", "note"])
def test_customers_read_and_write_nothing(session, world, read):
    before = count(session, DevelopmentConcept), count(session, ConceptNote), count(session, AuditEvent)

    with pytest.raises(NotPermitted):
        read(session, CUSTOMER, world["concept_id"])
    assert (count(session, DevelopmentConcept), count(session, ConceptNote), count(session, AuditEvent)) == before


def test_staff_without_a_unit_read_nothing(session, world):
    with pytest.raises(NotPermitted):
        development.concept_list(session, Actor(user_id=None, role="staff", unit_id=None))


def test_an_unknown_concept_is_not_found(session, world):
    with pytest.raises(ConceptNotFound):
        development.concept_view(session, world["bergen_staff"], world["concept_id"] + 1000)


# Notes: anyone who reads may write

def test_staff_of_a_unit_not_involved_add_a_note_signed_with_their_unit(session, world):
    later = NOW + timedelta(hours=2)
    development.add_note(session, world["halden_staff"], world["concept_id"], "Vi har laget noe lignende.\nSe bildet.",
                         now=later)
    development.add_note(session, world["coordinator"], world["concept_id"], "Fint, ta kontakt med Bergen.",
                         now=later + timedelta(minutes=5))
    session.commit()

    notes = development.concept_view(session, world["bergen_staff"], world["concept_id"]).notes
    assert [(n.author, n.unit_name, n.body) for n in notes] == [
        ("Hans Halden", "Halden fengsel", "Vi har laget noe lignende.\nSe bildet."),
        ("Kari Koordinator", "", "Fint, ta kontakt med Bergen."),
    ]
    assert notes[0].created_at == later
    assert events(session, world["concept_id"])[-2:] == [("development.note_added", world["halden"].id),
                                                        ("development.note_added", world["bergen"].id)]
    assert development.concept_view(session, world["coordinator"], world["concept_id"]).updated_at == \
        later + timedelta(minutes=5)


@pytest.mark.parametrize("body", ["", "  \n ", "x" * 5001])
def test_a_note_is_not_empty_and_not_too_long(session, world, body):
    with pytest.raises(InvalidConcept):
        development.add_note(session, world["bergen_staff"], world["concept_id"], body, now=NOW)
    assert count(session, ConceptNote) == 0


# Partners and pictures: staff of an involved unit and the coordinator

def test_staff_of_an_involved_unit_add_a_partner(session, world):
    partner = development.add_partner(session, world["bergen_staff"], world["concept_id"], kind="school",
                                      name="Bergen tekniske fagskole", contact="post@fagskolen.example.no", now=NOW)
    session.commit()

    assert (partner.kind, partner.name, partner.contact) == ("school", "Bergen tekniske fagskole",
                                                             "post@fagskolen.example.no")
    assert events(session, world["concept_id"])[-1] == ("development.partner_added", world["bergen"].id)


def test_staff_of_a_unit_not_involved_add_no_partner_and_no_picture(session, world, storage):
    before = count(session, ConceptPartner), count(session, ConceptImage), count(session, AuditEvent)

    with pytest.raises(NotPermitted):
        development.add_partner(session, world["halden_staff"], world["concept_id"], kind="business", name="Firma AS",
                                contact="", now=NOW)
    with pytest.raises(NotPermitted):
        development.add_images(session, world["halden_staff"], world["concept_id"], [jpeg()], alt_text="Kassen",
                               storage=storage, now=NOW)
    session.rollback()
    assert (count(session, ConceptPartner), count(session, ConceptImage), count(session, AuditEvent)) == before
    media = Path(storage.root)
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_the_coordinator_adds_partners_to_any_concept_and_removes_them(session, world):
    partner = development.add_partner(session, world["coordinator"], world["concept_id"], kind="nav",
                                      name="NAV Bergenhus", contact="", now=NOW)
    development.remove_partner(session, world["coordinator"], world["concept_id"], partner.id, now=NOW)
    session.commit()

    assert count(session, ConceptPartner) == 0
    # One unit is involved, so the coordinator's events concern it.
    assert events(session, world["concept_id"])[-2:] == [("development.partner_added", world["bergen"].id),
                                                        ("development.partner_removed", world["bergen"].id)]


def test_staff_even_of_an_involved_unit_remove_no_partner(session, world):
    partner = development.add_partner(session, world["bergen_staff"], world["concept_id"], kind="other",
                                      name="Frivillig lag", contact="", now=NOW)
    session.commit()

    with pytest.raises(NotPermitted):
        development.remove_partner(session, world["bergen_staff"], world["concept_id"], partner.id, now=NOW)
    assert count(session, ConceptPartner) == 1


def test_a_partner_of_another_concept_is_not_found(session, world):
    other = make_concept(session, units=[world["halden"]])
    partner = development.add_partner(session, world["coordinator"], other.id, kind="other", name="Lag", contact="",
                                      now=NOW)
    with pytest.raises(ConceptNotFound):
        development.remove_partner(session, world["coordinator"], world["concept_id"], partner.id, now=NOW)


@pytest.mark.parametrize("kind", ["", "company", "NAV"])
def test_a_partner_has_a_known_kind(session, world, kind):
    with pytest.raises(InvalidConcept):
        development.add_partner(session, world["bergen_staff"], world["concept_id"], kind=kind, name="X", contact="",
                                now=NOW)


def test_pictures_go_through_the_image_pipeline_and_are_removed_with_their_files(session, world, storage):
    added = development.add_images(session, world["bergen_staff"], world["concept_id"], [jpeg(), jpeg((800, 600))],
                                   alt_text="Prototypen sett forfra", storage=storage, now=NOW)
    session.commit()

    assert [(i.position, i.alt_text) for i in added] == [(0, "Prototypen sett forfra"), (1, "Prototypen sett forfra")]
    first = added[0]
    assert first.storage_key.startswith("development/")
    assert {f"{w}.webp" for w in first.widths} | {f"{w}.jpg" for w in first.widths} <= {
        p.name for p in (Path(storage.root) / first.storage_key).iterdir()}
    key = first.storage_key

    development.remove_image(session, world["bergen_staff"], world["concept_id"], first.id, storage=storage, now=NOW)
    assert (Path(storage.root) / key).exists()  # the files go with the commit, not before
    session.commit()

    assert not (Path(storage.root) / key).exists()
    assert [i.id for i in development.concept_view(session, world["coordinator"], world["concept_id"]).images] == [
        added[1].id]
    assert [a for a, _u in events(session, world["concept_id"])][-2:] == ["development.images_added",
                                                                         "development.image_removed"]


def test_a_refused_picture_stores_nothing_of_the_upload(session, world, storage):
    with pytest.raises(RefusedPicture) as error:
        development.add_images(session, world["bergen_staff"], world["concept_id"], [jpeg(), b"%PDF-1.4 ikke et bilde"],
                               alt_text="Skissen", storage=storage, now=NOW)
    session.rollback()

    assert (error.value.index, error.value.reason) == (1, "format")
    assert count(session, ConceptImage) == 0
    media = Path(storage.root)
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_a_picture_needs_alt_text(session, world, storage):
    with pytest.raises(InvalidConcept) as error:
        development.add_images(session, world["bergen_staff"], world["concept_id"], [jpeg()], alt_text="  ",
                               storage=storage, now=NOW)
    assert error.value.field == "alt_text"


def test_a_concept_has_at_most_its_number_of_pictures(session, world, storage, monkeypatch):
    monkeypatch.setattr(development, "MAX_IMAGES_PER_CONCEPT", 2)
    development.add_images(session, world["bergen_staff"], world["concept_id"], [jpeg()], alt_text="En",
                           storage=storage, now=NOW)
    with pytest.raises(InvalidConcept) as error:
        development.add_images(session, world["bergen_staff"], world["concept_id"], [jpeg(), jpeg()], alt_text="To",
                               storage=storage, now=NOW)
    assert error.value.field == "pictures"
    assert MAX_IMAGES_PER_CONCEPT >= 10


def test_staff_of_a_unit_not_involved_remove_no_picture(session, world, storage):
    [image] = development.add_images(session, world["bergen_staff"], world["concept_id"], [jpeg()], alt_text="Kassen",
                                     storage=storage, now=NOW)
    session.commit()

    with pytest.raises(NotPermitted):
        development.remove_image(session, world["halden_staff"], world["concept_id"], image.id, storage=storage,
                                 now=NOW)
    session.rollback()
    assert count(session, ConceptImage) == 1


def test_pictures_are_stored_in_s3_when_the_config_says_so(app, session, world, s3_bucket, moto_s3_url):
    app.config.update(MEDIA_S3_BUCKET=s3_bucket, MEDIA_S3_ENDPOINT_URL=moto_s3_url, MEDIA_S3_REGION="eu-north-1")
    storage = storage_for(app.config)

    [image] = development.add_images(session, world["bergen_staff"], world["concept_id"], [jpeg()], alt_text="Kassen",
                                     storage=storage, now=NOW)
    session.commit()

    assert storage.exists(f"{image.storage_key}/{image.widths[0]}.webp")
    development.remove_image(session, world["coordinator"], world["concept_id"], image.id, storage=storage, now=NOW)
    session.commit()
    assert not storage.exists(f"{image.storage_key}/{image.widths[0]}.webp")


# The coordinator's part: stage, text, units, products

COORDINATOR_ONLY = {
    "edit": lambda s, a, cid, ids: development.edit(s, a, cid, title="Ny tittel", description="", now=NOW),
    "set_units": lambda s, a, cid, ids: development.set_units(s, a, cid, [ids["halden"]], now=NOW),
    "link_product": lambda s, a, cid, ids: development.link_product(s, a, cid, ids["product"], now=NOW),
    "move": lambda s, a, cid, ids: development.move(s, a, cid, "design", now=NOW),
    "board": lambda s, a, cid, ids: development.board(s, a),
    "find_products": lambda s, a, cid, ids: development.find_products(s, a, "benk"),
}


@pytest.mark.parametrize("who", ["bergen_staff", "halden_staff"])
@pytest.mark.parametrize("action", list(COORDINATOR_ONLY))
def test_only_the_coordinator_edits_sets_units_links_products_and_moves(session, world, who, action):
    product = make_product(session, unit=world["bergen"], title="Benk")
    session.commit()
    ids = {"halden": world["halden"].id, "product": product.id}
    before = (session.get(DevelopmentConcept, world["concept_id"]).stage, count(session, ConceptUnit),
              count(session, ConceptProduct), count(session, AuditEvent))

    with pytest.raises(NotPermitted):
        COORDINATOR_ONLY[action](session, world[who], world["concept_id"], ids)
    session.rollback()
    assert (session.get(DevelopmentConcept, world["concept_id"]).stage, count(session, ConceptUnit),
            count(session, ConceptProduct), count(session, AuditEvent)) == before


@pytest.mark.parametrize("action", list(COORDINATOR_ONLY))
def test_admins_act_as_the_coordinator(session, world, action):
    product = make_product(session, unit=world["bergen"], title="Benk")
    session.commit()
    COORDINATOR_ONLY[action](session, Actor(user_id=None, role="admin"), world["concept_id"],
                             {"halden": world["halden"].id, "product": product.id})


def test_the_stage_flow_names_every_stage_and_lets_every_stage_be_reached():
    assert set(STAGE_FLOW) == set(STAGES)
    assert all(targets <= set(STAGES) and stage not in targets for stage, targets in STAGE_FLOW.items())
    reached, frontier = {"idea"}, ["idea"]
    while frontier:
        for target in STAGE_FLOW[frontier.pop()]:
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(STAGES)


def test_the_coordinator_moves_a_concept_through_its_stages(session, world):
    coordinator, concept_id = world["coordinator"], world["concept_id"]
    for step, stage in enumerate(("design", "prototype", "pilot", "launched"), start=1):
        assert development.move(session, coordinator, concept_id, stage, now=NOW + timedelta(days=step)) is True
    session.commit()

    concept = session.get(DevelopmentConcept, concept_id)
    assert concept.stage == "launched"
    view = development.concept_view(session, coordinator, concept_id)
    assert view.stage_changed_at == NOW + timedelta(days=4)
    moves = session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "development.stage_changed",
                                                           AuditEvent.object_id == concept_id)
                            .order_by(AuditEvent.id)).all()
    assert moves == ["idea → design", "design → prototype", "prototype → pilot", "pilot → launched"]


@pytest.mark.parametrize(("start", "target"), [("launched", "idea"), ("pilot", "idea"), ("dropped", "launched"),
                                               ("idea", "unknown")])
def test_a_move_the_flow_does_not_allow_is_refused(session, world, start, target):
    concept = make_concept(session, stage=start)
    session.commit()

    with pytest.raises(InvalidTransition):
        development.move(session, world["coordinator"], concept.id, target, now=NOW)
    session.rollback()
    assert session.get(DevelopmentConcept, concept.id).stage == start


def test_moving_to_the_stage_a_concept_is_in_changes_nothing(session, world):
    before = events(session, world["concept_id"])

    assert development.move(session, world["coordinator"], world["concept_id"], "idea", now=NOW) is False
    assert events(session, world["concept_id"]) == before


def test_a_dropped_concept_can_be_taken_up_again(session, world):
    development.move(session, world["coordinator"], world["concept_id"], "dropped", now=NOW)
    assert development.move(session, world["coordinator"], world["concept_id"], "idea", now=NOW) is True


def test_the_coordinator_edits_title_and_description(session, world):
    assert development.edit(session, world["coordinator"], world["concept_id"], title="Fuglekasse i gran",
                            description="Med skrånende tak.", now=NOW) is True
    assert development.edit(session, world["coordinator"], world["concept_id"], title="Fuglekasse i gran",
                            description="Med skrånende tak.", now=NOW) is False
    session.commit()

    concept = session.get(DevelopmentConcept, world["concept_id"])
    assert (concept.title, concept.description) == ("Fuglekasse i gran", "Med skrånende tak.")
    assert [e for e in events(session, world["concept_id"]) if e[0] == "development.edited"] == [
        ("development.edited", world["bergen"].id)]


def test_setting_the_units_writes_an_event_per_unit_with_that_unit(session, world):
    added, removed = development.set_units(session, world["coordinator"], world["concept_id"], [world["halden"].id],
                                           now=NOW)
    session.commit()

    assert (added, removed) == ({world["halden"].id}, {world["bergen"].id})
    assert events(session, world["concept_id"])[-2:] == [("development.unit_added", world["halden"].id),
                                                        ("development.unit_removed", world["bergen"].id)]
    # Halden's staff now add partners; Bergen's no longer do.
    development.add_partner(session, world["halden_staff"], world["concept_id"], kind="business", name="Firma AS",
                            contact="", now=NOW)
    with pytest.raises(NotPermitted):
        development.add_partner(session, world["bergen_staff"], world["concept_id"], kind="business", name="Firma AS",
                                contact="", now=NOW)


def test_an_unknown_unit_cannot_be_involved(session, world):
    with pytest.raises(InvalidConcept):
        development.set_units(session, world["coordinator"], world["concept_id"], [world["halden"].id + 1000], now=NOW)


def test_unchanged_units_write_nothing(session, world):
    before = events(session, world["concept_id"])
    assert development.set_units(session, world["coordinator"], world["concept_id"], [world["bergen"].id],
                                 now=NOW) == (set(), set())
    assert events(session, world["concept_id"]) == before


def test_the_coordinator_links_products_published_or_not_and_the_listing_shows_the_notes(session, world):
    draft = make_product(session, unit=world["bergen"], title="Fuglekasse", status="draft", stock=None)
    session.commit()
    development.add_note(session, world["halden_staff"], world["concept_id"], "Bruk rustfrie skruer.", now=NOW)

    assert development.link_product(session, world["coordinator"], world["concept_id"], draft.id, now=NOW) is True
    assert development.link_product(session, world["coordinator"], world["concept_id"], draft.id, now=NOW) is False
    session.commit()

    [concept] = development.product_notes(session, world["bergen_staff"], draft.id)
    assert (concept.id, concept.title, [n.body for n in concept.notes]) == (
        world["concept_id"], "Fuglekasse i furu", ["Bruk rustfrie skruer."])
    view = development.concept_view(session, world["halden_staff"], world["concept_id"])
    assert [(p.title, p.status) for p in view.products] == [("Fuglekasse", "draft")]
    assert ("development.product_linked", world["bergen"].id) in events(session, world["concept_id"])

    development.unlink_product(session, world["coordinator"], world["concept_id"], draft.id, now=NOW)
    session.commit()
    assert development.product_notes(session, world["bergen_staff"], draft.id) == []
    with pytest.raises(ConceptNotFound):
        development.unlink_product(session, world["coordinator"], world["concept_id"], draft.id, now=NOW)


def test_an_unknown_product_cannot_be_linked(session, world):
    with pytest.raises(ConceptNotFound):
        development.link_product(session, world["coordinator"], world["concept_id"], 999_999, now=NOW)


def test_products_of_any_status_are_found_by_title_or_item_number(session, world):
    make_product(session, unit=world["bergen"], title="Benk i eik", status="archived", stock=None)
    make_product(session, unit=world["halden"], title="Bord 100%_rabatt", sku="BORD-1", stock=None)
    session.commit()

    assert [p.title for p in development.find_products(session, world["coordinator"], "BENK")] == ["Benk i eik"]
    assert [p.title for p in development.find_products(session, world["coordinator"], "bord-1")] == [
        "Bord 100%_rabatt"]
    assert [p.title for p in development.find_products(session, world["coordinator"], "0%_")] == ["Bord 100%_rabatt"]
    assert [p.title for p in development.find_products(session, world["coordinator"], "%")] == ["Bord 100%_rabatt"]
    assert development.find_products(session, world["coordinator"], "  ") == []


# Lists and the board

def test_the_list_filters_by_stage_and_by_unit_with_the_latest_activity_first(session, world):
    halden_idea = development.propose(session, world["halden_staff"], title="Krakk", description="",
                                      now=NOW + timedelta(days=1))
    pilot = make_concept(session, units=[world["halden"], world["bergen"]], title="Lampe", stage="pilot",
                         now=NOW + timedelta(days=2))
    session.commit()
    actor = world["bergen_staff"]

    assert [r.id for r in development.concept_list(session, actor).items] == [pilot.id, halden_idea.id,
                                                                               world["concept_id"]]
    assert [r.id for r in development.concept_list(session, actor, stage="idea").items] == [halden_idea.id,
                                                                                             world["concept_id"]]
    assert [r.id for r in development.concept_list(session, actor, unit_id=world["bergen"].id).items] == [
        pilot.id, world["concept_id"]]
    row = development.concept_list(session, actor, stage="pilot").items[0]
    assert (row.units, row.stage) == (["Bergen fengsel", "Halden fengsel"], "pilot")


def test_the_board_has_a_column_per_stage_with_its_concepts(session, world):
    make_concept(session, title="Lampe", stage="launched")
    development.add_note(session, world["bergen_staff"], world["concept_id"], "Første notat", now=NOW)
    session.commit()

    columns = development.board(session, world["coordinator"])

    assert [c.stage for c in columns] == list(STAGES)
    by_stage = {c.stage: [card.title for card in c.cards] for c in columns}
    assert by_stage["idea"] == ["Fuglekasse i furu"] and by_stage["launched"] == ["Lampe"]
    idea = columns[0].cards[0]
    assert (idea.notes, idea.units, idea.targets) == (1, ["Bergen fengsel"],
                                                      ["design", "prototype", "pilot", "launched", "dropped"])


def test_deleting_a_concept_takes_what_hangs_on_it(session, world, storage):
    development.add_note(session, world["bergen_staff"], world["concept_id"], "Notat", now=NOW)
    development.add_partner(session, world["bergen_staff"], world["concept_id"], kind="other", name="Lag", contact="",
                            now=NOW)
    session.commit()

    session.delete(session.get(DevelopmentConcept, world["concept_id"]))
    session.commit()
    assert (count(session, ConceptNote), count(session, ConceptPartner), count(session, ConceptUnit)) == (0, 0, 0)
