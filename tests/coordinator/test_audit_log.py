"""The audit log for the coordinator: who did what to which object, filtered by unit, person, object,
action and Oslo dates, page by page, and exported as CSV that parses back to the same events."""
from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from factories import NOW, make_product, make_unit
from shop.accounts.models import User
from shop.accounts.services import create_user
from shop.core import audit
from shop.core.audit import AuditEvent, record

HOST = "verkstedbutikken.test"


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def english(client) -> None:
    client.set_cookie("lang", "en", domain=HOST)


def rows_of(text: str) -> list[str]:
    """The event rows of the log's table, each as its cells' text joined by |."""
    body = text[text.index("<tbody>"):text.index("</tbody>")]
    return ["|".join(" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL))
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL)]


def actions_shown(client, query: str = "") -> list[str]:
    text = page(client.get(f"/coordinator/logg{query}"))
    return re.findall(r'<code class="muted">([^<]+)</code>', text)


def csv_rows(response) -> list[list[str]]:
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, so Excel in Norway reads æøå
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


@pytest.fixture
def world(session):
    """Two units, a staff member of each, a coordinator, and events about each of them at known times."""
    bergen, halden = make_unit(session, name="Bergen fengsel"), make_unit(session, name="Halden fengsel")
    siri = create_user(session, email="siri@example.no", password="passord123", name="Siri Snekker", role="staff",
                       unit_id=bergen.id)
    hans = create_user(session, email="hans@example.no", password="passord123", name="Hans Halden", role="staff",
                       unit_id=halden.id)
    kari = create_user(session, email="kari@example.no", password="passord123", name="Kari Koordinator",
                       role="coordinator")
    bench = make_product(session, unit=bergen, title="Benk i eik")
    at = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    record(session, siri.id, "stock.update", "unit", bergen.id, "3 rows", unit_id=bergen.id, now=at)
    record(session, kari.id, "listing.approved", "product", bench.id, "", unit_id=bergen.id, now=at + timedelta(hours=1))
    record(session, hans.id, "stock.import", "unit", halden.id, "12 rows (count)", unit_id=halden.id,
           now=at + timedelta(hours=2))
    # 23:30 UTC on 30 November is 00:30 on 1 December in Oslo.
    record(session, kari.id, "order.refund", "order", 77, "10000 øre", now=datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
    record(session, None, "stock.update", "unit", halden.id, "=HYPERLINK(\"http://x\")", unit_id=halden.id,
           now=datetime(2026, 12, 2, 8, 0, tzinfo=UTC))
    session.commit()
    return {"bergen": bergen, "halden": halden, "siri": siri, "hans": hans, "kari": kari, "bench": bench}


def test_the_log_shows_who_what_which_object_unit_and_when_newest_first(client, session, login_as, world):
    login_as("coordinator")
    english(client)

    text = page(client.get("/coordinator/logg"))

    assert actions_shown(client) == ["stock.update", "order.refund", "stock.import", "listing.approved", "stock.update"]
    rows = rows_of(text)
    assert rows[3].split("|") == ["30/11/2026, 14:00", "Kari Koordinator kari@example.no",
                                  "Listing approved and published listing.approved", f"Listing {world['bench'].id}",
                                  "Bergen fengsel", ""]
    assert rows[1].startswith("01/12/2026, 00:30|")  # shown in Oslo time
    assert rows[0].split("|")[1] == "The shop"
    assert f'href="/coordinator/varer/{world["bench"].id}"' in text  # the object's page
    assert 'href="/coordinator/ordre/77"' in text
    assert "5 events" in text


@pytest.mark.parametrize(("query", "expected"), [
    ("?unit={bergen}", ["listing.approved", "stock.update"]),
    ("?person={kari}", ["order.refund", "listing.approved"]),
    ("?object_type=order", ["order.refund"]),
    ("?object_type=unit&object_id={halden}", ["stock.update", "stock.import"]),
    ("?action=stock.update", ["stock.update", "stock.update"]),
    ("?since=2026-12-01&until=2026-12-01", ["order.refund"]),  # Oslo days: 23:30 UTC is already 1 December
    ("?until=2026-11-30", ["stock.import", "listing.approved", "stock.update"]),
    ("?since=2026-12-02", ["stock.update"]),
    ("?unit={halden}&person={hans}&since=2026-11-30&until=2026-11-30", ["stock.import"]),
])
def test_the_log_filters_by_unit_person_object_action_and_oslo_dates(client, login_as, world, query, expected):
    login_as("coordinator")
    ids = {name: value.id for name, value in world.items()}

    assert actions_shown(client, query.format(**ids)) == expected


def test_bad_filters_are_refused_with_a_message_and_the_form_keeps_them(client, login_as, world):
    login_as("coordinator")
    english(client)

    backwards = client.get("/coordinator/logg?since=2026-12-02&until=2026-12-01&action=stock.update")
    for query in ("?since=not-a-date", "?since=0001-01-01", "?until=9999-12-31", f"?object_id={2**40}",
                  "?object_id=-1", "?unit=abc", "?unit=99999", "?person=99999", "?action=made.up", "?page=x",
                  "?object_type=" + "x" * 500):
        assert client.get(f"/coordinator/logg{query}").status_code in (400, 404), query
        assert client.get(f"/coordinator/logg/csv{query.replace('?page=x', '?unit=abc')}").status_code == 400, query

    assert backwards.status_code == 400
    assert "The last day cannot be before the first." in page(backwards)
    assert 'value="2026-12-02"' in page(backwards) and '<option selected value="stock.update">' in page(backwards)


def test_the_log_pages_fifty_at_a_time(client, session, login_as):
    unit = make_unit(session)
    for n in range(51):
        record(session, None, "stock.update", "unit", unit.id, f"rad {n}", unit_id=unit.id, now=NOW + timedelta(minutes=n))
    session.commit()
    login_as("coordinator")

    first, second = page(client.get("/coordinator/logg")), page(client.get("/coordinator/logg?page=2"))

    assert "rad 50" in first and "rad 1<" in first and "rad 0<" not in first
    assert "rad 0<" in second and len(rows_of(second)) == 1
    assert client.get("/coordinator/logg?page=3").status_code == 404


def test_the_csv_export_holds_the_filtered_events_and_parses_back(client, login_as, world):
    login_as("coordinator")
    english(client)

    response = client.get(f"/coordinator/logg/csv?unit={world['halden'].id}")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="logg-')
    header, *rows = csv_rows(response)
    assert header == ["Time (Oslo)", "Action", "Action code", "Object", "Object id", "Unit", "Unit id", "Who", "E-mail",
                      "Details"]
    assert rows == [
        ["2026-12-02 09:00:00", "Stock counted or changed", "stock.update", "Unit", str(world["halden"].id),
         "Halden fengsel", str(world["halden"].id), "", "", "'=HYPERLINK(\"http://x\")"],  # guarded against formulas
        ["2026-11-30 15:00:00", "Stock imported from CSV", "stock.import", "Unit", str(world["halden"].id),
         "Halden fengsel", str(world["halden"].id), "Hans Halden", "hans@example.no", "12 rows (count)"],
    ]


def test_the_page_links_to_the_export_of_what_it_shows(client, login_as, world):
    login_as("coordinator")

    text = client.get(f"/coordinator/logg?person={world['kari'].id}&page=1").get_data(as_text=True)

    link = html.unescape(re.search(r'href="(/coordinator/logg/csv[^"]*)"', text).group(1))
    assert link == f"/coordinator/logg/csv?person={world['kari'].id}"
    assert [row[2] for row in csv_rows(client.get(link))[1:]] == ["order.refund", "listing.approved"]


def test_a_long_log_is_exported_whole_in_order(client, session, login_as):
    unit = make_unit(session)
    for n in range(1203):
        record(session, None, "stock.update", "unit", unit.id, f"; «rad» {n}\n", unit_id=unit.id,
               now=NOW + timedelta(seconds=n))
    session.commit()
    login_as("coordinator")

    rows = csv_rows(client.get("/coordinator/logg/csv"))[1:]

    assert [row[9] for row in rows] == [f"; «rad» {n}\n" for n in reversed(range(1203))]


def test_an_empty_export_is_just_the_header(client, login_as):
    login_as("coordinator")
    english(client)

    assert csv_rows(client.get("/coordinator/logg/csv")) == [["Time (Oslo)", "Action", "Action code", "Object",
                                                              "Object id", "Unit", "Unit id", "Who", "E-mail", "Details"]]


def test_actions_written_through_the_pages_reach_the_log(client, session, login_as):
    """Units and accounts changed on the coordinator's pages are in the log with who did it and the unit."""
    coordinator = login_as("coordinator", name="Kari Koordinator")
    client.post("/coordinator/enheter/ny", data={"name": "Ny enhet", "region": "nord"})
    unit_id = session.scalar(select(AuditEvent.object_id).where(AuditEvent.action == "unit.created"))
    client.post("/coordinator/personer/inviter", data={"name": "Ny Ansatt", "email": "ny@example.no", "role": "staff",
                                                      "unit_id": str(unit_id)})

    text = page(client.get(f"/coordinator/logg?unit={unit_id}"))

    assert actions_shown(client, f"?unit={unit_id}") == ["user.invited", "unit.created"]
    assert text.count("Kari Koordinator") >= 2
    user_id = session.scalar(select(User.id).where(User.email == "ny@example.no"))
    assert f'href="/coordinator/personer/{user_id}"' in text and f'href="/coordinator/enheter/{unit_id}"' in text
    assert coordinator.id


def test_an_unknown_action_code_is_shown_as_it_is(session):
    assert audit.action_label("concept.moved") == "concept.moved"
    assert audit.object_label("concept") == "concept"


def test_day_bounds_follow_oslo_summer_and_winter_time():
    assert audit.oslo_day_start(date(2026, 7, 1)) == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
    assert audit.oslo_day_start(date(2026, 12, 1)) == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)


def test_every_action_the_code_records_has_a_label_for_readers():
    """Every audit(session, who, "area.action", …) in the code is named in words in the log (ACTION_LABELS)."""
    import re
    from pathlib import Path

    from shop.core.audit import ACTION_LABELS

    root = Path(__file__).resolve().parents[2]
    call = re.compile(r'\b(?:audit|record)\(\s*[a-z_.]*session,\s*[^,]+,\s*"([a-z_]+\.[a-z_]+)"')
    codes = {code for package in ("shop", "catalogue", "inventory") for path in (root / package).rglob("*.py")
             for code in call.findall(path.read_text(encoding="utf-8"))}
    assert len(codes) > 40, "the pattern still finds the calls"
    assert sorted(codes - set(ACTION_LABELS)) == []
