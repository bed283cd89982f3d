"""The pages a shopper expects from a seller: in both languages, linked from every page's footer and from the
checkout, filled in with the seller's identity from configuration, and edited (and reset) by the coordinator only."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from shop.core.actor import Actor, NotPermitted
from shop.core.audit import AuditEvent
from shop.legal import services as legal
from shop.legal.models import LegalPage

HOST = "verkstedbutikken.test"
ADDRESSES = {"salgsbetingelser": "/salgsbetingelser", "angrerett": "/angrerett", "personvern": "/personvern",
             "tilgjengelighet": "/tilgjengelighet", "kontakt": "/kontakt", "om-oss": "/om-oss"}


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def english(client) -> None:
    client.set_cookie("lang", "en", domain=HOST)


def footer(text: str) -> str:
    return text[text.index('<footer'):]


@pytest.mark.parametrize("slug", legal.PAGES)
def test_every_legal_page_is_there_in_bokmal_and_in_english(client, slug):
    norwegian = client.get(ADDRESSES[slug])
    assert norwegian.status_code == 200
    english(client)
    translated = client.get(ADDRESSES[slug])
    assert translated.status_code == 200
    assert page(norwegian) != page(translated)
    assert '<html lang="en"' in page(translated) and '<html lang="nb"' in page(norwegian)
    for text in (page(norwegian), page(translated)):
        body = text[text.index("<main"):text.index("</main>")]
        assert "{" not in body, "every placeholder is filled in"
        assert len(re.sub(r"<[^>]+>", "", body).split()) > 150


def test_the_texts_name_the_seller_from_configuration(app, client):
    app.config.update(SELLER_NAME="Kriminalomsorgen Testsalg", SELLER_EMAIL="salg@test.example.no", SELLER_DEMO=False)
    text = page(client.get("/angrerett"))
    assert "Kriminalomsorgen Testsalg" in text and "salg@test.example.no" in text
    assert "Demo" not in footer(text)
    assert "999 999 999 MVA" in footer(text)


def test_every_page_footer_links_every_legal_page_and_shows_the_seller(client):
    for address in ("/", "/handlekurv", "/logg-inn", "/verksteder"):
        text = footer(page(client.get(address)))
        for target in ADDRESSES.values():
            assert f'href="{target}"' in text, (address, target)
        assert "Kriminalomsorgen – Verkstedbutikken" in text
        assert "Demoverdier" in text  # the shipped identity is marked as demo values


def test_the_withdrawal_page_carries_the_standard_form_and_the_exceptions(client):
    text = page(client.get("/angrerett"))
    assert "14 dager" in text
    assert "angreskjema" in text.lower()
    assert "Jeg/vi underretter herved om at jeg/vi ønsker å gå fra min/vår avtale" in text
    assert "spesifikasjoner" in text  # goods made to the customer's specifications are exempt
    english(client)
    assert "14 days" in page(client.get("/angrerett"))


def test_the_terms_state_the_complaint_periods_and_prices_including_vat(client):
    text = page(client.get("/salgsbetingelser"))
    assert "forbrukerkjøpsloven" in text
    assert "fem år" in text or "5 år" in text
    assert "to år" in text or "2 år" in text
    assert "MVA" in text


def test_markdown_from_the_coordinator_cannot_carry_html(session):
    rendered = str(legal.render('## Vilkår\n\n<script>alert(1)</script> [lenke](javascript:alert(1)) {email}',
                                {"email": "a@b.no"}))
    assert "<h2>Vilkår</h2>" in rendered
    assert "<script>" not in rendered and "&lt;script&gt;" in rendered
    assert 'href="javascript:' not in rendered
    assert "a@b.no" in rendered
    assert "{unknown}" in str(legal.render("{unknown}", {})), "other braces are left as written"


def test_the_coordinator_edits_a_page_in_one_language_and_resets_it(client, login_as, session):
    coordinator = login_as("coordinator")
    listing = page(client.get("/coordinator/sider"))
    assert "/coordinator/sider/kontakt/en" in listing
    form = page(client.get("/coordinator/sider/kontakt/nb"))
    assert "{email}" in form  # the shipped text, placeholders and all, in the text box

    saved = client.post("/coordinator/sider/kontakt/nb", data={"body": "## Ring oss\n\nPå {phone}, hverdager."})
    assert saved.status_code == 303
    assert "Ring oss" in page(client.get("/kontakt"))
    english(client)
    assert "Ring oss" not in page(client.get("/kontakt")), "the English page keeps its own text"
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "legal_page.changed"))
    assert event.actor_user_id == coordinator.id and "kontakt (nb)" in event.detail

    assert client.post("/coordinator/sider/kontakt/nb/tilbakestill").status_code == 303
    client.set_cookie("lang", "nb", domain=HOST)
    assert "Ring oss" not in page(client.get("/kontakt"))
    assert session.scalar(select(LegalPage)) is None


def test_an_empty_or_oversized_text_is_refused_next_to_the_field_and_kept(client, login_as):
    login_as("coordinator")
    empty = client.post("/coordinator/sider/om-oss/en", data={"body": "   "})
    assert empty.status_code == 400
    assert 'id="body-error"' in page(empty)
    huge = "Ø" * 50_001
    refused = client.post("/coordinator/sider/om-oss/en", data={"body": huge})
    assert refused.status_code == 400
    assert huge in page(refused), "what the coordinator typed is still in the box"


@pytest.mark.parametrize("address", ["/coordinator/sider/ukjent/nb", "/coordinator/sider/kontakt/de"])
def test_an_unknown_page_or_language_is_not_found(client, login_as, address):
    login_as("coordinator")
    assert client.get(address).status_code == 404
    assert client.post(address, data={"body": "x"}).status_code == 404


def test_only_a_coordinator_may_change_a_page(session):
    with pytest.raises(NotPermitted):
        legal.save(session, Actor(user_id=None, role="staff", unit_id=1), "kontakt", "nb", "x")
    with pytest.raises(NotPermitted):
        legal.reset(session, Actor(user_id=None, role="customer"), "kontakt", "nb")


def test_a_preview_shows_the_text_without_saving_it(client, login_as, session):
    login_as("coordinator")
    response = client.post("/coordinator/sider/om-oss/nb", data={"body": "## Nytt utkast\n\nIkke publisert.",
                                                                  "action": "preview"})
    assert response.status_code == 200
    text = page(response)
    preview = text[text.index('class="page-preview"'):]
    assert "<h2>Nytt utkast</h2>" in preview and "ikke lagret ennå" in preview
    assert session.scalar(select(LegalPage)) is None
    assert "Nytt utkast" not in page(client.get("/om-oss"))
