"""The coordinator's product development pages over HTTP: the board by stage, moving a concept with a plain form,
and the concept page (text, units, products, partners, pictures, notes), with who is let in."""
from __future__ import annotations

import html
import io
import re

import pytest
from development_factories import COORDINATOR, jpeg, make_concept
from sqlalchemy import func, select

from catalogue import development_services as development
from catalogue.development import (
    ConceptImage,
    ConceptNote,
    ConceptPartner,
    ConceptProduct,
    ConceptUnit,
    DevelopmentConcept,
)
from factories import NOW, in_bokmal, make_product, make_unit
from shop.core.audit import AuditEvent


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def actions(session, concept_id: int) -> list[tuple[str, int | None]]:
    return [(e.action, e.unit_id) for e in session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "development_concept", AuditEvent.object_id == concept_id)
        .order_by(AuditEvent.id))]


@pytest.fixture
def units(session):
    bergen, halden = make_unit(session, name="Bergen fengsel"), make_unit(session, name="Halden fengsel")
    session.commit()
    return bergen, halden


@pytest.fixture
def concept(session, units):
    concept = make_concept(session, units=[units[0]], title="Fuglekasse i furu")
    session.commit()
    return concept


@pytest.fixture
def coordinator(login_as):
    return login_as("coordinator", name="Kari Koordinator")


def column_of(text: str, title: str) -> str:
    """The stage whose column holds the card with this title."""
    for stage, body in re.findall(r'<section class="dev-column" aria-labelledby="column-(\w+)">(.*?)</section>', text,
                                  re.DOTALL):
        if title in body:
            return stage
    raise AssertionError(f"{title} is on no column")


# The board

def test_the_board_shows_every_concept_in_the_column_of_its_stage(client, session, coordinator, units, concept):
    make_concept(session, units=[units[1]], title="Lampe i lin", stage="pilot")
    make_concept(session, title="Krakk", stage="dropped")
    session.commit()

    text = page(client.get("/coordinator/utvikling"))

    assert [column_of(text, t) for t in ("Fuglekasse i furu", "Lampe i lin", "Krakk")] == ["idea", "pilot", "dropped"]
    assert text.count('<section class="dev-column"') == 6
    assert "css/development.css" in text
    # Each card moves with a labelled select and a button: no JavaScript needed.
    assert f'<label class="ds-label" for="stage-{concept.id}">' in text
    assert f'action="/coordinator/utvikling/{concept.id}/steg"' in text


def test_the_select_offers_only_the_moves_the_flow_allows(client, session, coordinator, units):
    launched = make_concept(session, title="Benk", stage="launched")
    session.commit()

    text = page(client.get("/coordinator/utvikling"))
    select_html = re.search(rf'<select[^>]*id="stage-{launched.id}"[^>]*>(.*?)</select>', text, re.DOTALL)[1]

    assert re.findall(r'value="(\w+)"', select_html) == ["pilot", "launched", "dropped"]


def test_moving_a_concept_from_the_board_returns_to_its_card(client, session, coordinator, units, concept):
    response = client.post(f"/coordinator/utvikling/{concept.id}/steg", data={"stage": "prototype", "back": "board"})

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/coordinator/utvikling#konsept-{concept.id}")
    session.expire_all()
    assert session.get(DevelopmentConcept, concept.id).stage == "prototype"
    assert actions(session, concept.id)[-1] == ("development.stage_changed", units[0].id)
    assert column_of(page(client.get("/coordinator/utvikling")), "Fuglekasse i furu") == "prototype"


@pytest.mark.parametrize("stage", ["", "launch", "x" * 500])
def test_a_stage_not_offered_is_a_400_with_the_message_on_the_card(client, session, coordinator, concept, stage):
    response = client.post(f"/coordinator/utvikling/{concept.id}/steg", data={"stage": stage, "back": "board"})

    assert response.status_code == 400
    text = page(response)
    assert f'id="stage-{concept.id}-error"' in text and f'aria-describedby="stage-{concept.id}-error"' in text
    session.expire_all()
    assert session.get(DevelopmentConcept, concept.id).stage == "idea"


def test_a_move_the_flow_does_not_allow_is_refused_from_the_concept_page(client, session, coordinator, units):
    launched = make_concept(session, title="Benk", stage="launched")
    session.commit()

    response = client.post(f"/coordinator/utvikling/{launched.id}/steg", data={"stage": "idea"})

    assert response.status_code == 400 and 'id="stage-error"' in page(response)
    session.expire_all()
    assert session.get(DevelopmentConcept, launched.id).stage == "launched"


def test_the_coordinator_adds_a_concept_from_the_board(client, session, coordinator):
    response = client.post("/coordinator/utvikling/ny", data={"title": "Utemøbler til barnehager", "description": ""})

    assert response.status_code == 303
    concept = session.scalars(select(DevelopmentConcept)).one()
    assert (concept.title, concept.stage) == ("Utemøbler til barnehager", "idea")
    assert response.headers["Location"].endswith(f"/coordinator/utvikling/{concept.id}#enheter")


def test_a_concept_without_a_title_keeps_the_board_with_the_message(client, session, coordinator):
    response = client.post("/coordinator/utvikling/ny", data={"title": "", "description": "Noe til skoler"})

    assert response.status_code == 400
    text = page(response)
    assert 'id="title-error"' in text and "Noe til skoler" in text
    assert count(session, DevelopmentConcept) == 0


# The concept page

def test_the_concept_page_offers_everything_staff_see_and_the_coordinators_forms(client, coordinator, concept):
    text = page(client.get(f"/coordinator/utvikling/{concept.id}"))

    for action in ("steg", "rediger", "enheter", "notat", "partnere", "bilder"):
        assert f'action="/coordinator/utvikling/{concept.id}/{action}"' in text
    assert text.count(in_bokmal("Inmates are never identified here.")) >= 2
    assert in_bokmal("No inmate may be recognisable in a photo.") in text


def test_the_coordinator_edits_the_title_and_description(client, session, coordinator, concept):
    response = client.post(f"/coordinator/utvikling/{concept.id}/rediger",
                           data={"title": "Fuglekasse i gran", "description": "Med skrånende tak."})

    assert response.status_code == 303
    session.expire_all()
    assert (concept.title, concept.description) == ("Fuglekasse i gran", "Med skrånende tak.")
    assert actions(session, concept.id)[-1][0] == "development.edited"


def test_an_edit_without_a_title_is_a_400_that_keeps_the_description(client, session, coordinator, concept):
    response = client.post(f"/coordinator/utvikling/{concept.id}/rediger",
                           data={"title": "", "description": "Ny tekst"})

    assert response.status_code == 400
    text = page(response)
    assert 'id="title-error"' in text and "Ny tekst" in text
    session.expire_all()
    assert concept.title == "Fuglekasse i furu"


def test_the_coordinator_sets_the_units_involved(client, session, coordinator, units, concept):
    bergen, halden = units

    response = client.post(f"/coordinator/utvikling/{concept.id}/enheter", data={"unit_ids": [str(halden.id)]})

    assert response.status_code == 303
    assert session.scalars(select(ConceptUnit.unit_id).where(ConceptUnit.concept_id == concept.id)).all() == [halden.id]
    assert actions(session, concept.id)[-2:] == [("development.unit_added", halden.id),
                                                 ("development.unit_removed", bergen.id)]
    text = page(client.get(f"/coordinator/utvikling/{concept.id}"))
    assert re.search(rf'<input[^>]*checked[^>]*value="{halden.id}"|<input[^>]*value="{halden.id}"[^>]*checked', text)


@pytest.mark.parametrize("unit_ids", [["999999"], ["abc"], ["99999999999999999999999"]])
def test_an_unknown_unit_is_a_400(client, session, coordinator, concept, unit_ids):
    response = client.post(f"/coordinator/utvikling/{concept.id}/enheter", data={"unit_ids": unit_ids})

    assert response.status_code == 400 and 'id="unit_ids-error"' in page(response)
    assert count(session, ConceptUnit) == 1


def test_the_coordinator_finds_a_draft_product_links_it_and_unlinks_it(client, session, coordinator, units, concept):
    draft = make_product(session, unit=units[0], title="Fuglekasse med tak", status="draft", stock=None)
    session.commit()

    found = page(client.get(f"/coordinator/utvikling/{concept.id}?q=fuglekasse+med"))
    assert "Fuglekasse med tak" in found and f'name="product_id" value="{draft.id}"' in found

    linked = client.post(f"/coordinator/utvikling/{concept.id}/varer", data={"product_id": str(draft.id)})
    assert linked.status_code == 303
    assert count(session, ConceptProduct) == 1
    text = page(client.get(f"/coordinator/utvikling/{concept.id}"))
    assert f'action="/coordinator/utvikling/{concept.id}/varer/{draft.id}/fjern"' in text

    unlinked = client.post(f"/coordinator/utvikling/{concept.id}/varer/{draft.id}/fjern")
    assert unlinked.status_code == 303 and count(session, ConceptProduct) == 0
    assert [a for a, _u in actions(session, concept.id)][-2:] == ["development.product_linked",
                                                                  "development.product_unlinked"]


@pytest.mark.parametrize("product_id", ["", "abc", "999999", "-5", "1e9"])
def test_linking_no_product_is_a_4xx(client, session, coordinator, concept, product_id):
    response = client.post(f"/coordinator/utvikling/{concept.id}/varer", data={"product_id": product_id})

    assert response.status_code in (400, 404) and count(session, ConceptProduct) == 0


def test_a_search_too_long_is_a_400(client, coordinator, concept):
    assert client.get(f"/coordinator/utvikling/{concept.id}?q={'a' * 101}").status_code == 400


def test_the_coordinator_adds_and_removes_a_partner(client, session, coordinator, concept):
    added = client.post(f"/coordinator/utvikling/{concept.id}/partnere",
                        data={"kind": "nav", "partner_name": "NAV Bergenhus", "contact": "Veileder Vera"})
    partner = session.scalars(select(ConceptPartner)).one()
    removed = client.post(f"/coordinator/utvikling/{concept.id}/partnere/{partner.id}/fjern")

    assert (added.status_code, removed.status_code) == (303, 303)
    assert count(session, ConceptPartner) == 0
    assert client.post(f"/coordinator/utvikling/{concept.id}/partnere/{partner.id}/fjern").status_code == 404


def test_the_coordinator_adds_a_note_and_pictures_and_removes_a_picture(client, session, coordinator, concept):
    note = client.post(f"/coordinator/utvikling/{concept.id}/notat", data={"note": "Snakk med Halden om lakk."})
    upload = client.post(f"/coordinator/utvikling/{concept.id}/bilder", content_type="multipart/form-data",
                         data={"alt_text": "Skisse av kassen", "pictures": [(io.BytesIO(jpeg()), "skisse.jpg")]})

    assert (note.status_code, upload.status_code) == (303, 303)
    image = session.scalars(select(ConceptImage)).one()
    text = page(client.get(f"/coordinator/utvikling/{concept.id}"))
    assert "Snakk med Halden om lakk." in text and "Kari Koordinator" in text and 'alt="Skisse av kassen"' in text
    assert client.post(f"/coordinator/utvikling/{concept.id}/bilder/{image.id}/slett").status_code == 303
    assert count(session, ConceptImage) == 0
    assert count(session, ConceptNote) == 1


def test_a_bad_picture_on_the_concept_page_is_a_400_with_its_message(client, session, coordinator, concept):
    response = client.post(f"/coordinator/utvikling/{concept.id}/bilder", content_type="multipart/form-data",
                           data={"alt_text": "Skisse", "pictures": [(io.BytesIO(b"ikke et bilde"), "skisse.txt")]})

    assert response.status_code == 400
    assert 'id="pictures-error"' in page(response) and "skisse.txt" in page(response)
    assert count(session, ConceptImage) == 0


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/coordinator/utvikling/{missing}"), ("POST", "/coordinator/utvikling/{missing}/steg"),
    ("POST", "/coordinator/utvikling/{missing}/notat"), ("POST", "/coordinator/utvikling/{id}/partnere/999999/fjern"),
    ("POST", "/coordinator/utvikling/{id}/bilder/999999/slett"), ("POST", "/coordinator/utvikling/{id}/varer/999999/fjern"),
])
def test_an_unknown_concept_partner_picture_or_link_is_a_404(client, coordinator, concept, method, path):
    response = client.open(path.format(id=concept.id, missing=concept.id + 1000), method=method,
                           data={"stage": "design", "note": "Hei"})

    assert response.status_code == 404


# Who is let in

COORDINATOR_ROUTES = [
    ("GET", "/coordinator/utvikling", {}),
    ("GET", "/coordinator/utvikling/{id}", {}),
    ("POST", "/coordinator/utvikling/ny", {"title": "Kapret"}),
    ("POST", "/coordinator/utvikling/{id}/steg", {"stage": "design"}),
    ("POST", "/coordinator/utvikling/{id}/rediger", {"title": "Kapret"}),
    ("POST", "/coordinator/utvikling/{id}/enheter", {"unit_ids": []}),
    ("POST", "/coordinator/utvikling/{id}/notat", {"note": "Kapret"}),
    ("POST", "/coordinator/utvikling/{id}/partnere", {"kind": "other", "partner_name": "Kapret"}),
]


@pytest.mark.parametrize("role", ["customer", "staff"])
@pytest.mark.parametrize(("method", "path", "data"), COORDINATOR_ROUTES, ids=[f"{m} {p}" for m, p, _d in COORDINATOR_ROUTES])
def test_staff_even_of_an_involved_unit_and_customers_are_refused(client, session, login_as, units, concept, role,
                                                                  method, path, data):
    login_as(role, unit=units[0] if role == "staff" else None)
    before = (session.get(DevelopmentConcept, concept.id).stage, count(session, AuditEvent), count(session, ConceptUnit),
              count(session, ConceptNote), count(session, ConceptPartner))

    response = client.open(path.format(id=concept.id), method=method, data=data)

    assert response.status_code == 403
    session.expire_all()
    assert (session.get(DevelopmentConcept, concept.id).stage, count(session, AuditEvent), count(session, ConceptUnit),
            count(session, ConceptNote), count(session, ConceptPartner)) == before


def test_admins_use_the_board(client, login_as, concept):
    login_as("admin")

    assert client.get("/coordinator/utvikling").status_code == 200
    assert client.post(f"/coordinator/utvikling/{concept.id}/steg", data={"stage": "design"}).status_code == 303


def test_the_coordinators_changes_are_in_the_audit_log_with_the_user(client, session, coordinator, units, concept):
    client.post(f"/coordinator/utvikling/{concept.id}/steg", data={"stage": "design"})
    client.post(f"/coordinator/utvikling/{concept.id}/notat", data={"note": "Bra."})

    events = session.scalars(select(AuditEvent).where(AuditEvent.object_id == concept.id,
                                                      AuditEvent.actor_user_id == coordinator.id)).all()
    assert [e.action for e in events] == ["development.stage_changed", "development.note_added"]


def test_the_board_and_concept_page_work_with_a_unit_made_inactive(client, session, coordinator, units, concept):
    units[0].active = False
    session.commit()

    text = page(client.get(f"/coordinator/utvikling/{concept.id}"))

    assert "Bergen fengsel" in text  # still listed among the choices, checked, so saving keeps it
    response = client.post(f"/coordinator/utvikling/{concept.id}/enheter", data={"unit_ids": [str(units[0].id)]})
    assert response.status_code == 303 and count(session, ConceptUnit) == 1


def test_staff_notes_show_on_the_board_count_and_concept_page(client, session, coordinator, units, concept):
    from development_factories import staff_actor

    actor, _user = staff_actor(session, units[1], name="Hans Halden")
    development.add_note(session, actor, concept.id, "Vi i Halden kan lage taket.", now=NOW)
    development.add_note(session, COORDINATOR, concept.id, "Avtalt.", now=NOW)
    session.commit()

    board = page(client.get("/coordinator/utvikling"))
    text = page(client.get(f"/coordinator/utvikling/{concept.id}"))

    assert '<p class="muted dev-card__counts">2 ' in board
    assert "Vi i Halden kan lage taket." in text and "Halden fengsel" in text


# In real Chromium: the board on a phone and on a wide screen, without JavaScript, by keyboard; axe-core

@pytest.mark.browser
def test_in_chromium_the_board_stacks_on_a_phone_sits_in_columns_on_a_wide_screen_and_moves_by_keyboard(
        app, session, units, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    pytest.importorskip("axe_playwright_python")
    from browser_support import PageWatcher, blocking, describe_violations, launch_chromium, live_server
    from shop.accounts.services import create_user

    concept = make_concept(session, units=[units[0]], title="Fuglekasse i furu", description="Til skoler.")
    make_concept(session, units=[units[1]], title="Lampe i lin", stage="pilot")
    development.add_note(session, COORDINATOR, concept.id, "Første utkast er klart.", now=NOW)
    development.add_partner(session, COORDINATOR, concept.id, kind="school", name="Bergen fagskole", contact="", now=NOW)
    make_product(session, unit=units[0], title="Fuglekasse med tak", status="draft", stock=None)
    create_user(session, email="koordinator@example.no", password="passord-koordinator", role="coordinator",
                name="Kari Koordinator")
    session.commit()
    problems: list[str] = []

    def check(page, name: str, width: int) -> None:
        found = blocking(__import__("axe_playwright_python.sync_playwright", fromlist=["Axe"]).Axe().run(page)
                         .response["violations"])
        if found:
            problems.append(f"{name} at {width}px: axe-core:\n{describe_violations(found)}")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > width:
            problems.append(f"{name}: {scroll}px wide at {width}px")

    with live_server(app), sync_api.sync_playwright() as playwright:
        base_url = f"http://{app.config['SERVER_NAME']}"
        browser = launch_chromium(playwright)
        for width in (390, 1400):
            context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900}, locale="nb-NO")
            context.set_default_timeout(10_000)
            page = context.new_page()
            page.watcher = PageWatcher(page)
            page.goto("/logg-inn")
            page.get_by_label("E-post").fill("koordinator@example.no")
            page.get_by_label("Passord").fill("passord-koordinator")
            page.get_by_role("button", name="Logg inn").click()
            page.goto("/coordinator/utvikling")
            check(page, "board", width)
            page.screenshot(path=str(tmp_path / f"board-{width}.png"), full_page=True)
            columns = page.locator("section.dev-column")
            tops = {round(columns.nth(i).bounding_box()["y"]) for i in range(6)}
            lefts = {round(columns.nth(i).bounding_box()["x"]) for i in range(6)}
            if width == 390:
                assert len(tops) == 6 and len(lefts) == 1, "stacked on a phone"
            else:
                assert len(tops) == 1 and len(lefts) == 6, "six columns side by side"
            page.goto(f"/coordinator/utvikling/{concept.id}?q=fuglekasse")
            check(page, "concept page", width)
            page.screenshot(path=str(tmp_path / f"concept-{width}.png"), full_page=True)
            context.close()

        # By keyboard alone, without JavaScript: focus the card's stage menu, choose, Tab to the button, Enter.
        context = browser.new_context(base_url=base_url, viewport={"width": 1400, "height": 900}, locale="nb-NO",
                                      java_script_enabled=False)
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.goto("/logg-inn")
        page.get_by_label("E-post").fill("koordinator@example.no")
        page.get_by_label("Passord").fill("passord-koordinator")
        page.get_by_label("Passord").press("Enter")
        page.wait_for_url(re.compile(r"/coordinator"))
        page.goto("/coordinator/utvikling")
        menu = page.locator(f"#stage-{concept.id}")
        menu.focus()
        menu.select_option("prototype")
        page.keyboard.press("Tab")
        sync_api.expect(page.locator(f"#konsept-{concept.id} button:focus")).to_have_count(1)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(rf"/coordinator/utvikling#konsept-{concept.id}$"))
        assert column_of(page.content(), "Fuglekasse i furu") == "prototype"
        context.close()
        browser.close()

    assert not problems, "\n".join(problems)
