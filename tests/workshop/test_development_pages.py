"""Staff product development pages over HTTP: every unit's concepts, proposing, notes for all, partners and
pictures for the units involved, the notes on a listing page, and who is let in."""
from __future__ import annotations

import html
import io
from pathlib import Path

import pytest
from development_factories import COORDINATOR, jpeg, make_concept, staff_actor
from flask import render_template
from sqlalchemy import func, select

from catalogue import development_services as development
from catalogue.development import ConceptImage, ConceptNote, ConceptPartner, ConceptUnit, DevelopmentConcept
from factories import NOW, in_bokmal, make_product, make_unit
from shop.core.audit import AuditEvent


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def units(session):
    bergen, halden = make_unit(session, name="Bergen fengsel"), make_unit(session, name="Halden fengsel")
    session.commit()
    return bergen, halden


@pytest.fixture
def concept(session, units):
    """A concept Bergen is involved in."""
    concept = make_concept(session, units=[units[0]], title="Fuglekasse i furu", description="Til skoler.")
    session.commit()
    return concept


def concept_url(concept) -> str:
    return f"/workshop/utvikling/konsept?id={concept.id}"


# Reading: every unit's concepts

def test_staff_see_every_units_concepts_and_filter_by_stage_and_their_own_unit(client, session, login_as, units,
                                                                               concept):
    halden = units[1]
    pilot = make_concept(session, units=[halden], title="Lampe i lin", stage="pilot")
    session.commit()
    login_as("staff", unit=halden)

    everything = page(client.get("/workshop/utvikling"))
    assert "Fuglekasse i furu" in everything and "Lampe i lin" in everything
    assert in_bokmal("Propose an idea") in everything

    ideas = page(client.get("/workshop/utvikling?stage=idea"))
    assert "Fuglekasse i furu" in ideas and "Lampe i lin" not in ideas
    mine = page(client.get("/workshop/utvikling?mine=y"))
    assert "Lampe i lin" in mine and "Fuglekasse i furu" not in mine
    assert f'href="/workshop/utvikling/konsept?id={pilot.id}"' in mine


@pytest.mark.parametrize("query", ["stage=launch", "stage=" + "x" * 300, "page=0", "page=abc"])
def test_a_bad_filter_is_a_400_with_the_form(client, login_as, units, query):
    login_as("staff", unit=units[0])

    assert client.get(f"/workshop/utvikling?{query}").status_code == 400


def test_a_page_past_the_last_is_a_404(client, login_as, units):
    login_as("staff", unit=units[0])

    assert client.get("/workshop/utvikling?page=3").status_code == 404


def test_staff_of_a_unit_not_involved_read_the_concept_but_are_offered_no_partner_or_picture_forms(
        client, session, login_as, units, concept):
    login_as("staff", unit=units[1])

    text = page(client.get(concept_url(concept)))

    assert "Fuglekasse i furu" in text and "Til skoler." in text and "Bergen fengsel" in text
    assert 'action="/workshop/utvikling/konsept/notat"' in text
    assert 'action="/workshop/utvikling/konsept/partner"' not in text
    assert 'action="/workshop/utvikling/konsept/bilder"' not in text


def test_staff_of_an_involved_unit_are_offered_every_form_with_the_privacy_notice(client, login_as, units, concept):
    login_as("staff", unit=units[0])

    text = page(client.get(concept_url(concept)))

    for action in ("notat", "partner", "bilder"):
        assert f'action="/workshop/utvikling/konsept/{action}"' in text
    assert f'name="concept_id" value="{concept.id}"' in text
    # Next to the notes field and the picture upload: no inmate is ever identified.
    assert text.count(in_bokmal("Inmates are never identified here.")) >= 2
    assert in_bokmal("No inmate may be recognisable in a photo.") in text
    assert 'aria-describedby="note-hint"' in text


@pytest.mark.parametrize("query", ["", "id=", "id=abc", "id=-1", "id=0", "id=99999", "id=99999999999999999999",
                                   "id=%EF%BC%91"])
def test_an_unknown_or_malformed_concept_id_is_a_404(client, login_as, units, query):
    login_as("staff", unit=units[0])

    assert client.get(f"/workshop/utvikling/konsept?{query}").status_code == 404


# Proposing

def test_staff_propose_an_idea_with_their_unit_involved(client, session, login_as, units):
    login_as("staff", unit=units[1], name="Hans Halden")

    response = client.post("/workshop/utvikling/ny", data={"title": "Krakk i bjørk", "description": "Stablebar."})

    assert response.status_code == 303
    concept = session.scalars(select(DevelopmentConcept)).one()
    assert response.headers["Location"].endswith(f"/workshop/utvikling/konsept?id={concept.id}")
    assert (concept.title, concept.stage) == ("Krakk i bjørk", "idea")
    assert session.scalars(select(ConceptUnit.unit_id)).all() == [units[1].id]
    text = page(client.get(response.headers["Location"]))
    assert "Hans Halden" in text and "Stablebar." in text


def test_an_idea_without_a_title_keeps_what_was_typed_with_the_message_next_to_the_field(client, session, login_as,
                                                                                          units):
    login_as("staff", unit=units[0])

    response = client.post("/workshop/utvikling/ny", data={"title": "  ", "description": "Noe med tre 日本語"})

    assert response.status_code == 400
    text = page(response)
    assert 'id="title-error"' in text and "Noe med tre 日本語" in text
    assert count(session, DevelopmentConcept) == 0


def test_a_title_too_long_is_refused(client, session, login_as, units):
    login_as("staff", unit=units[0])

    response = client.post("/workshop/utvikling/ny", data={"title": "Æ" * 201, "description": ""})

    assert response.status_code == 400 and count(session, DevelopmentConcept) == 0


# Notes: any staff

def test_staff_of_a_unit_not_involved_add_a_note(client, session, login_as, units, concept):
    login_as("staff", unit=units[1], name="Hans Halden")

    response = client.post("/workshop/utvikling/konsept/notat",
                           data={"concept_id": str(concept.id), "note": "Vi har tegninger av en lignende kasse."})

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/workshop/utvikling/konsept?id={concept.id}#notater")
    note = session.scalars(select(ConceptNote)).one()
    assert (note.unit_id, note.body) == (units[1].id, "Vi har tegninger av en lignende kasse.")
    text = page(client.get(concept_url(concept)))
    assert "Vi har tegninger av en lignende kasse." in text and "Hans Halden" in text and "Halden fengsel" in text


def test_an_empty_note_is_a_400_with_the_message_next_to_the_field(client, session, login_as, units, concept):
    login_as("staff", unit=units[1])

    response = client.post("/workshop/utvikling/konsept/notat", data={"concept_id": str(concept.id), "note": " "})

    assert response.status_code == 400 and 'id="note-error"' in page(response)
    assert count(session, ConceptNote) == 0


@pytest.mark.parametrize("concept_id", ["", "abc", "99999", "2147483648"])
def test_a_note_to_no_concept_is_a_404(client, session, login_as, units, concept_id):
    login_as("staff", unit=units[0])

    response = client.post("/workshop/utvikling/konsept/notat", data={"concept_id": concept_id, "note": "Hei"})

    assert response.status_code == 404 and count(session, ConceptNote) == 0


# Partners and pictures: staff of an involved unit

PARTNER = {"kind": "school", "partner_name": "Bergen tekniske fagskole", "contact": "Lærer Lise, 55 00 00 00"}


def test_staff_of_an_involved_unit_add_a_partner(client, session, login_as, units, concept):
    login_as("staff", unit=units[0])

    response = client.post("/workshop/utvikling/konsept/partner", data={"concept_id": str(concept.id), **PARTNER})

    assert response.status_code == 303
    partner = session.scalars(select(ConceptPartner)).one()
    assert (partner.kind, partner.name, partner.contact) == ("school", "Bergen tekniske fagskole",
                                                             "Lærer Lise, 55 00 00 00")
    assert "Bergen tekniske fagskole" in page(client.get(concept_url(concept)))


def test_staff_of_a_unit_not_involved_add_no_partner_and_no_picture(client, session, login_as, units, concept):
    login_as("staff", unit=units[1])
    before = count(session, ConceptPartner), count(session, ConceptImage), count(session, AuditEvent)

    partner = client.post("/workshop/utvikling/konsept/partner", data={"concept_id": str(concept.id), **PARTNER})
    picture = client.post("/workshop/utvikling/konsept/bilder", content_type="multipart/form-data", data={
        "concept_id": str(concept.id), "alt_text": "Kassen", "pictures": [(io.BytesIO(jpeg()), "kasse.jpg")]})

    assert (partner.status_code, picture.status_code) == (403, 403)
    assert in_bokmal("Only staff of a unit involved in this concept can add partners and pictures. "
                     "Write a note if your workshop wants to take part.") in page(partner)
    assert (count(session, ConceptPartner), count(session, ConceptImage), count(session, AuditEvent)) == before


def test_a_partner_without_kind_or_name_is_a_400_that_keeps_what_was_typed(client, session, login_as, units, concept):
    login_as("staff", unit=units[0])

    response = client.post("/workshop/utvikling/konsept/partner", data={
        "concept_id": str(concept.id), "kind": "firma", "partner_name": "", "contact": "Per på 900 00 000"})

    assert response.status_code == 400
    text = page(response)
    assert 'id="kind-error"' in text and 'id="partner_name-error"' in text and 'value="Per på 900 00 000"' in text
    assert count(session, ConceptPartner) == 0


def test_staff_of_an_involved_unit_upload_pictures_and_remove_one(client, session, login_as, units, concept, app):
    login_as("staff", unit=units[0])

    response = client.post("/workshop/utvikling/konsept/bilder", content_type="multipart/form-data", data={
        "concept_id": str(concept.id), "alt_text": "Prototypen i furu",
        "pictures": [(io.BytesIO(jpeg()), "a.jpg"), (io.BytesIO(jpeg((640, 480))), "b.jpg")]})

    assert response.status_code == 303
    images = session.scalars(select(ConceptImage).order_by(ConceptImage.position)).all()
    assert [i.alt_text for i in images] == ["Prototypen i furu"] * 2
    text = page(client.get(concept_url(concept)))
    assert f'/media/{images[0].storage_key}/' in text and 'alt="Prototypen i furu"' in text
    folder = Path(app.config["MEDIA_ROOT"]) / images[0].storage_key

    removed = client.post("/workshop/utvikling/konsept/bilder/slett",
                          data={"concept_id": str(concept.id), "image_id": str(images[0].id)})

    assert removed.status_code == 303
    session.expire_all()
    assert [i.id for i in session.scalars(select(ConceptImage))] == [images[1].id]
    assert not folder.exists()


def test_a_bad_picture_gets_its_message_next_to_the_field_and_nothing_is_stored(client, session, login_as, units,
                                                                                concept, app):
    login_as("staff", unit=units[0])

    response = client.post("/workshop/utvikling/konsept/bilder", content_type="multipart/form-data", data={
        "concept_id": str(concept.id), "alt_text": "Skissen",
        "pictures": [(io.BytesIO(jpeg()), "fin.jpg"), (io.BytesIO(b"%PDF-1.4"), "faktura.pdf")]})

    assert response.status_code == 400
    text = page(response)
    assert 'id="pictures-error"' in text and "faktura.pdf" in text and 'value="Skissen"' in text
    assert count(session, ConceptImage) == 0
    media = Path(app.config["MEDIA_ROOT"])
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_pictures_need_alt_text_and_at_most_ten_files_at_once(client, session, login_as, units, concept):
    login_as("staff", unit=units[0])

    no_alt = client.post("/workshop/utvikling/konsept/bilder", content_type="multipart/form-data", data={
        "concept_id": str(concept.id), "alt_text": "", "pictures": [(io.BytesIO(jpeg()), "a.jpg")]})
    too_many = client.post("/workshop/utvikling/konsept/bilder", content_type="multipart/form-data", data={
        "concept_id": str(concept.id), "alt_text": "Bilder",
        "pictures": [(io.BytesIO(jpeg((40, 30))), f"{n}.jpg") for n in range(11)]})

    assert no_alt.status_code == 400 and 'id="alt_text-error"' in page(no_alt)
    assert too_many.status_code == 400 and 'id="pictures-error"' in page(too_many)
    assert count(session, ConceptImage) == 0


def test_staff_of_a_unit_not_involved_remove_no_picture(client, session, login_as, units, concept, app):
    from catalogue.storage import LocalStorage

    [image] = development.add_images(session, COORDINATOR, concept.id, [jpeg()], alt_text="Kassen",
                                     storage=LocalStorage(app.config["MEDIA_ROOT"]), now=NOW)
    session.commit()
    login_as("staff", unit=units[1])

    response = client.post("/workshop/utvikling/konsept/bilder/slett",
                           data={"concept_id": str(concept.id), "image_id": str(image.id)})

    assert response.status_code == 403 and count(session, ConceptImage) == 1


def test_a_picture_of_another_concept_is_not_removed_through_this_one(client, session, login_as, units, concept, app):
    from catalogue.storage import LocalStorage

    other = make_concept(session, units=[units[1]])
    [image] = development.add_images(session, COORDINATOR, other.id, [jpeg()], alt_text="Annen",
                                     storage=LocalStorage(app.config["MEDIA_ROOT"]), now=NOW)
    session.commit()
    login_as("staff", unit=units[0])

    response = client.post("/workshop/utvikling/konsept/bilder/slett",
                           data={"concept_id": str(concept.id), "image_id": str(image.id)})

    assert response.status_code == 404 and count(session, ConceptImage) == 1


# Who is let in

@pytest.mark.parametrize("role", ["customer", "coordinator", "admin"])
@pytest.mark.parametrize(("method", "path"), [("GET", "/workshop/utvikling"), ("GET", "/workshop/utvikling/ny"),
                                              ("POST", "/workshop/utvikling/ny"),
                                              ("POST", "/workshop/utvikling/konsept/notat")])
def test_only_staff_use_the_workshop_development_pages(client, session, login_as, concept, role, method, path):
    login_as(role)
    before = count(session, DevelopmentConcept), count(session, ConceptNote)

    response = client.open(path, method=method, data={"title": "Kapret", "concept_id": str(concept.id), "note": "x"})

    assert response.status_code == 403
    assert (count(session, DevelopmentConcept), count(session, ConceptNote)) == before


def test_visitors_are_sent_to_log_in(client, concept):
    response = client.get(concept_url(concept))

    assert response.status_code == 302 and "/logg-inn" in response.headers["Location"]


# The notes on a workshop's listing page

def test_the_listing_partial_shows_the_notes_of_the_concepts_the_product_came_from(app, session, units, concept):
    product = make_product(session, unit=units[0], title="Fuglekasse", status="draft", stock=None)
    development.link_product(session, COORDINATOR, concept.id, product.id, now=NOW)
    halden_staff, _ = staff_actor(session, units[1], name="Hans Halden")
    development.add_note(session, halden_staff, concept.id, "Bruk rustfrie skruer.", now=NOW)
    session.commit()
    bergen_staff, _ = staff_actor(session, units[0])

    with app.test_request_context():
        text = html.unescape(render_template("workshop/development/_product_notes.html",
                                             development_notes=development.product_notes(session, bergen_staff,
                                                                                         product.id)))
        empty = render_template("workshop/development/_product_notes.html",
                                development_notes=development.product_notes(session, bergen_staff, product.id + 1))

    assert "Fuglekasse i furu" in text and "Bruk rustfrie skruer." in text and "Hans Halden" in text
    assert f'href="/workshop/utvikling/konsept?id={concept.id}"' in text
    assert empty.strip() == ""


# In real Chromium on a phone: staff propose an idea, write a note and upload a picture; axe-core on each page

@pytest.mark.browser
def test_in_chromium_on_a_phone_staff_propose_note_and_picture_with_no_serious_axe_violations(
        app, session, units, concept, tmp_path):
    import re

    sync_api = pytest.importorskip("playwright.sync_api")
    pytest.importorskip("axe_playwright_python")
    from axe_playwright_python.sync_playwright import Axe

    from browser_support import PageWatcher, blocking, describe_violations, draw_jpeg, launch_chromium, live_server
    from shop.accounts.services import create_user

    create_user(session, email="verksted@example.no", password="passord-verksted", role="staff", unit_id=units[0].id,
                name="Berit Bergen")
    product = make_product(session, unit=units[0], title="Fuglekasse", stock=None)
    development.link_product(session, COORDINATOR, concept.id, product.id, now=NOW)
    session.commit()
    photo = tmp_path / "prototype.jpg"
    photo.write_bytes(draw_jpeg((150, 110, 70), size=(1200, 900)))
    problems: list[str] = []

    def check(page, name: str) -> None:
        found = blocking(Axe().run(page).response["violations"])
        if found:
            problems.append(f"{name}: axe-core:\n{describe_violations(found)}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            problems.append(f"{name}: {width}px wide on a 390px phone")

    with live_server(app) as base_url, sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844}, locale="nb-NO",
                                      is_mobile=True, has_touch=True)
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.watcher = PageWatcher(page)
        page.goto("/logg-inn")
        page.get_by_label("E-post").fill("verksted@example.no")
        page.get_by_label("Passord").fill("passord-verksted")
        page.get_by_role("button", name="Logg inn").click()
        page.wait_for_url(re.compile(r"/workshop$"))
        page.goto("/workshop/utvikling")
        check(page, "concepts")
        page.goto("/workshop/utvikling/ny")
        check(page, "propose")
        page.locator("#title").fill("Krakk i bjørk")
        page.locator("#description").fill("Stablebar, til barnehager.")
        page.locator("form.checkout-form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/workshop/utvikling/konsept\?id=\d+$"))
        check(page, "new concept")
        page.locator("#note").fill("Vi trenger en prøve i ask også.")
        page.locator("#notater button[type=submit]").click()
        page.wait_for_url(re.compile(r"#notater$"))
        sync_api.expect(page.locator(".dev-note")).to_contain_text("Vi trenger en prøve i ask også.")
        page.locator("#pictures").set_input_files(str(photo))
        page.locator("#alt_text").fill("Krakken sett fra siden")
        page.locator("#bilder form button[type=submit]").last.click()
        page.wait_for_url(re.compile(r"#bilder$"))
        sync_api.expect(page.locator(".dev-image img")).to_have_count(1)
        check(page, "concept with a picture")
        page.screenshot(path=str(tmp_path / "concept.png"), full_page=True)
        page.goto(f"/workshop/utvikling/konsept?id={concept.id}")
        check(page, "another concept")
        assert page.watcher.problems == []
        context.close()
        browser.close()

    assert not problems, "\n".join(problems)
