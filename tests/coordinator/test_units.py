"""The coordinator's units: create and edit a unit (contact, addresses, pickup hours, trades, active), with
the rules in catalogue.units and every change in the audit log."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from catalogue import units
from catalogue.models import Product, Unit
from factories import NOW, make_product, make_unit
from shop.core.actor import Actor, NotPermitted
from shop.core.audit import AuditEvent

HOST = "verkstedbutikken.test"
COORDINATOR = Actor(user_id=None, role="coordinator")


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def english(client) -> None:
    client.set_cookie("lang", "en", domain=HOST)


def error_by(text: str, field: str) -> str:
    found = re.search(rf'<p class="ds-validation-message"[^>]*id="{field}-error">([^<]*)</p>', text)
    return found.group(1) if found else ""


def unit_form(**overrides) -> dict:
    data = {"name": "Bjørgvin fengsel", "region": "vest", "description": "Snekkerverksted ved sjøen.\n\nOgså tekstil.",
            "trades": "snekker\ntekstil, sveis\n\nsnekker", "contact_name": "Kari Verksted", "contact_phone": "55 00 00 00",
            "contact_email": "verksted@bjorgvin.example.no", "postal_address": "Postboks 1, 5003 Bergen",
            "visiting_address": "Fengselsveien 1, Bergen", "opening_hours": "Man–fre 09–14", "active": "y"}
    data.update(overrides)
    return data


def events(session, action: str | None = None) -> list[AuditEvent]:
    session.expire_all()
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(session.scalars(stmt))


# Creating

def test_the_coordinator_creates_a_unit_with_every_field_and_the_log_says_so(client, session, login_as):
    coordinator = login_as("coordinator")

    response = client.post("/coordinator/enheter/ny", data=unit_form())

    assert response.status_code == 303
    unit = session.scalar(select(Unit).where(Unit.name == "Bjørgvin fengsel"))
    assert response.headers["Location"] == f"/coordinator/enheter/{unit.id}"
    assert (unit.slug, unit.region, unit.active, unit.trusted) == ("bjorgvin-fengsel", "vest", True, False)
    assert unit.trades == ["snekker", "tekstil", "sveis"]  # one per line or by commas; blanks and repeats dropped
    assert (unit.contact_name, unit.contact_phone, unit.contact_email) == (
        "Kari Verksted", "55 00 00 00", "verksted@bjorgvin.example.no")
    assert (unit.postal_address, unit.visiting_address, unit.opening_hours) == (
        "Postboks 1, 5003 Bergen", "Fengselsveien 1, Bergen", "Man–fre 09–14")
    [event] = events(session, "unit.created")
    assert (event.actor_user_id, event.object_type, event.object_id, event.unit_id) == (
        coordinator.id, "unit", unit.id, unit.id)
    assert "Bjørgvin fengsel" in page(client.get(f"/enhet/{unit.slug}"))


def test_a_new_unit_form_with_mistakes_keeps_what_was_typed_and_says_what_is_wrong(client, session, login_as):
    login_as("coordinator")
    english(client)

    response = client.post("/coordinator/enheter/ny", data=unit_form(
        name="", contact_email="ikke-en-adresse", trades="\n".join(f"fag {n}" for n in range(25)),
        region="atlantis", opening_hours="x" * 501))

    text = page(response)
    assert response.status_code == 400
    assert error_by(text, "name") == "Give the unit a name."
    assert "name@example.no" in error_by(text, "contact_email")
    assert error_by(text, "trades") == "At most 20 trades."
    assert error_by(text, "region") and error_by(text, "opening_hours")
    assert 'value="55 00 00 00"' in text and "Snekkerverksted ved sjøen." in text and "Fengselsveien 1" in text
    assert session.scalar(select(Unit.id)) is None
    assert events(session) == []


def test_two_units_cannot_share_a_name_whatever_its_case(client, session, login_as):
    make_unit(session, name="Ålesund fengsel")
    session.commit()
    login_as("coordinator")
    english(client)

    response = client.post("/coordinator/enheter/ny", data=unit_form(name="ÅLESUND FENGSEL"))

    assert response.status_code == 400
    assert error_by(page(response), "name") == "Another unit already has this name."
    assert 'value="ÅLESUND FENGSEL"' in page(response)
    assert len(session.scalars(select(Unit)).all()) == 1


def test_a_name_in_another_script_still_gets_an_address(session):
    unit = units.create(session, COORDINATOR, units.UnitInput(name="日本の工房", region="ost"), now=NOW)
    assert unit.slug == "enhet"
    assert units.create(session, COORDINATOR, units.UnitInput(name="Ωмега", region="ost"), now=NOW).slug == "enhet-2"


def test_the_form_has_no_trusted_flag_and_a_forged_one_changes_nothing(client, session, login_as):
    unit = make_unit(session)
    session.commit()
    login_as("coordinator")

    form = page(client.get(f"/coordinator/enheter/{unit.id}"))
    client.post(f"/coordinator/enheter/{unit.id}", data=unit_form(name=unit.name, trusted="y"))

    assert 'name="trusted"' not in form
    session.expire_all()
    assert session.get(Unit, unit.id).trusted is False


# Editing

def test_editing_saves_the_changes_keeps_the_address_and_logs_which_fields_changed(client, session, login_as):
    unit = make_unit(session, name="Halden fengsel", region="ost")
    product = make_product(session, unit=unit, title="Benk i eik")
    session.commit()
    coordinator = login_as("coordinator")
    edit_page = page(client.get(f"/coordinator/enheter/{unit.id}"))
    assert 'value="Halden fengsel"' in edit_page
    assert "Benk i eik" not in page(client.get("/sok?q=verksted"))

    response = client.post(f"/coordinator/enheter/{unit.id}", data=unit_form(
        name="Halden fengsel avd. Verksted", region="ost", description=unit.description, trades="snekker"))

    assert response.status_code == 303
    session.expire_all()
    unit = session.get(Unit, unit.id)
    assert unit.name == "Halden fengsel avd. Verksted" and unit.slug == "halden-fengsel"
    assert unit.opening_hours == "Man–fre 09–14"
    [event] = events(session, "unit.updated")
    assert (event.actor_user_id, event.unit_id) == (coordinator.id, unit.id)
    assert event.detail.split(", ") == ["name", "contact_name", "contact_phone", "contact_email", "postal_address",
                                        "visiting_address", "opening_hours"]
    # Search finds products by their unit's name: the renamed unit's products are indexed again.
    assert "Benk i eik" in page(client.get("/sok?q=verksted"))
    assert product.unit_id == unit.id


def test_saving_without_a_change_writes_no_event(client, session, login_as):
    unit = make_unit(session)
    session.commit()
    login_as("coordinator")
    english(client)
    fields = units.UnitInput.of(unit)

    response = client.post(f"/coordinator/enheter/{unit.id}", data={
        "name": fields.name, "region": fields.region, "description": fields.description,
        "trades": "\n".join(fields.trades), "active": "y"}, follow_redirects=True)

    assert "Nothing was changed." in page(response)
    assert events(session) == []


def test_deactivating_a_unit_takes_its_products_off_sale_and_logs_it(client, session, login_as):
    unit = make_unit(session, name="Ila fengsel")
    product = make_product(session, unit=unit, title="Skjærefjøl")
    session.commit()
    login_as("coordinator")
    assert client.get(f"/produkt/{product.slug}").status_code == 200

    data = unit_form(name="Ila fengsel", region=unit.region, description=unit.description, trades="snekker")
    del data["active"]  # an unticked box is not sent
    response = client.post(f"/coordinator/enheter/{unit.id}", data=data)

    assert response.status_code == 303
    session.expire_all()
    assert session.get(Unit, unit.id).active is False
    assert [e.detail for e in events(session, "unit.deactivated")] == ["Ila fengsel"]
    assert client.get(f"/enhet/{unit.slug}").status_code == 404
    assert "Skjærefjøl" not in page(client.get("/produkter"))
    assert session.get(Product, product.id).status == "published"  # kept, only not on sale

    client.post(f"/coordinator/enheter/{unit.id}", data={**data, "active": "y"})
    assert [e.action for e in events(session) if e.action.startswith("unit.") and "activ" in e.action] == [
        "unit.deactivated", "unit.activated"]


def test_an_unknown_unit_is_not_found(client, login_as):
    login_as("coordinator")

    assert client.get("/coordinator/enheter/999").status_code == 404
    assert client.post("/coordinator/enheter/999", data=unit_form()).status_code == 404
    assert client.get(f"/coordinator/enheter/{2**40}").status_code == 404


# The list

def test_the_list_finds_units_by_region_status_and_text(client, session, login_as):
    make_unit(session, name="Tromsø fengsel", region="nord", contact_email="post@tromso.example.no")
    make_unit(session, name="Bodø fengsel", region="nord", active=False)
    make_unit(session, name="Skien fengsel", region="sor")
    session.commit()
    login_as("coordinator")

    def names(query: str) -> list[str]:
        text = page(client.get(f"/coordinator/enheter{query}"))
        return re.findall(r'<a href="/coordinator/enheter/\d+"[^>]*>([^<]+)</a>', text)

    assert names("") == ["Bodø fengsel", "Skien fengsel", "Tromsø fengsel"]
    assert names("?region=nord") == ["Bodø fengsel", "Tromsø fengsel"]
    assert names("?region=nord&status=active") == ["Tromsø fengsel"]
    assert names("?status=inactive") == ["Bodø fengsel"]
    assert names("?q=tromso.example") == ["Tromsø fengsel"]
    assert names("?q=%25") == []  # a LIKE wildcard is taken literally


def test_the_list_refuses_bad_filters_and_pages(client, login_as):
    login_as("coordinator")

    assert client.get("/coordinator/enheter?region=atlantis").status_code == 400
    assert client.get("/coordinator/enheter?page=2").status_code == 404
    assert client.get("/coordinator/enheter?page=-1").status_code == 404
    assert client.get("/coordinator/enheter?q=" + "ø" * 101).status_code == 400


# The rules hold in the service too, whatever the page's guard does

@pytest.mark.parametrize("role", ["staff", "customer", "system"])
def test_only_the_coordinator_creates_or_changes_units(session, role):
    unit = make_unit(session)
    actor = Actor(user_id=None, role=role, unit_id=unit.id if role == "staff" else None)

    with pytest.raises(NotPermitted):
        units.create(session, actor, units.UnitInput(name="Ny enhet", region="ost"), now=NOW)
    with pytest.raises(NotPermitted):
        units.update(session, actor, unit.id, units.UnitInput(name="Kapret", region="ost"), now=NOW)
    with pytest.raises(NotPermitted):
        units.unit_list(session, actor)
    session.expire_all()
    assert session.get(Unit, unit.id).name != "Kapret"


def test_an_admin_keeps_units_too(client, session, login_as):
    login_as("admin")

    assert client.post("/coordinator/enheter/ny", data=unit_form(name="Admins enhet")).status_code == 303
    assert session.scalar(select(Unit.name)) == "Admins enhet"


def test_the_service_checks_lengths_regions_and_trades(session):
    with pytest.raises(units.InvalidUnit) as region:
        units.create(session, COORDINATOR, units.UnitInput(name="X", region="mars"), now=NOW)
    with pytest.raises(units.InvalidUnit) as name:
        units.create(session, COORDINATOR, units.UnitInput(name="   ", region="ost"), now=NOW)
    with pytest.raises(units.InvalidUnit) as trades:
        units.create(session, COORDINATOR, units.UnitInput(name="Y", region="ost", trades=("x" * 61,)), now=NOW)
    with pytest.raises(units.InvalidUnit) as phone:
        units.create(session, COORDINATOR, units.UnitInput(name="Z", region="ost", contact_phone="1" * 41), now=NOW)

    assert [e.value.field for e in (region, name, trades, phone)] == ["region", "name", "trades", "contact_phone"]
