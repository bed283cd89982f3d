"""Storefront behaviour: listing, filters, sorting, search, product pages, availability and metadata."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy.exc import IntegrityError

from catalogue.browse import Filters, PageOutOfRange, browse
from catalogue.services import availability
from factories import NOW, make_category, make_product, make_unit
from shop.extensions import db


def titles(response) -> list[str]:
    return re.findall(r'class="product-card__title"><a href="[^"]+">([^<]+)</a>', response.get_data(as_text=True))


def test_home_shows_featured_products_categories_and_units(client, session):
    unit = make_unit(session, name="Bastøy fengsel", region="sor")
    top = make_category(session, name="Møbler")
    make_category(session, name="Benker", parent=top)
    make_product(session, unit=unit, category=top, title="Benk i eik", featured=True)
    make_product(session, unit=unit, category=top, title="Ikke utvalgt", featured=False)
    session.commit()

    page = client.get("/").get_data(as_text=True)

    assert "Benk i eik" in page and "Ikke utvalgt" not in page
    assert 'href="/kategori/benker"' in page
    assert 'href="/enhet/bastoy-fengsel"' in page
    assert 'role="search"' in page


def test_category_page_lists_products_of_the_category_and_its_children(client, session):
    top = make_category(session, name="Tekstil")
    child = make_category(session, name="Forklær", parent=top)
    other = make_category(session, name="Metall")
    make_product(session, category=top, title="Duk i lin")
    make_product(session, category=child, title="Forkle i bomull")
    make_product(session, category=other, title="Krakk i stål")
    session.commit()

    assert sorted(titles(client.get("/kategori/tekstil"))) == ["Duk i lin", "Forkle i bomull"]
    assert titles(client.get("/kategori/forklaer")) == ["Forkle i bomull"]


def test_unpublished_and_unknown_products_are_404(client, session):
    draft = make_product(session, title="Utkast", status="draft")
    archived = make_product(session, title="Arkivert", status="archived")
    session.commit()

    assert client.get(f"/produkt/{draft.slug}").status_code == 404
    assert client.get(f"/produkt/{archived.slug}").status_code == 404
    assert client.get("/produkt/finnes-ikke").status_code == 404
    assert "Utkast" not in client.get("/produkter").get_data(as_text=True)


def test_products_of_an_inactive_unit_are_hidden(client, session):
    unit = make_unit(session, name="Nedlagt verksted", active=False)
    product = make_product(session, unit=unit, title="Gammel stol")
    session.commit()

    assert client.get(f"/produkt/{product.slug}").status_code == 404
    assert client.get(f"/enhet/{unit.slug}").status_code == 404
    assert "Gammel stol" not in client.get("/produkter").get_data(as_text=True)


@pytest.fixture
def assortment(session):
    """Products across two units and regions, both kinds, various prices and stock."""
    nord = make_unit(session, name="Tromsø fengsel", region="nord")
    sor = make_unit(session, name="Skien fengsel", region="sor")
    furniture = make_category(session, name="Møbler")
    make_product(session, unit=nord, category=furniture, title="Bord i furu", price_ore=250000, stock=4,
                 published_at=NOW.replace(day=1))
    make_product(session, unit=nord, category=furniture, title="Avishylle", price_ore=60000, stock=0,
                 published_at=NOW.replace(day=2))
    make_product(session, unit=sor, category=furniture, title="Stol i eik", price_ore=120000, stock=2,
                 published_at=NOW.replace(day=3))
    make_product(session, unit=sor, category=furniture, title="Møbelrestaurering", price_ore=90000, kind="service",
                 stock=None, published_at=NOW.replace(day=4))
    session.commit()
    return {"nord": nord, "sor": sor}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Møbelrestaurering", "Stol i eik", "Avishylle", "Bord i furu"]),
        ("?sort=price_asc", ["Avishylle", "Møbelrestaurering", "Stol i eik", "Bord i furu"]),
        ("?sort=price_desc", ["Bord i furu", "Stol i eik", "Møbelrestaurering", "Avishylle"]),
        ("?sort=name", ["Avishylle", "Bord i furu", "Møbelrestaurering", "Stol i eik"]),
        ("?region=nord", ["Avishylle", "Bord i furu"]),
        ("?kind=service", ["Møbelrestaurering"]),
        ("?kind=goods&in_stock=1", ["Stol i eik", "Bord i furu"]),
        ("?min_price=900&max_price=1200", ["Møbelrestaurering", "Stol i eik"]),
        ("?unit=skien-fengsel&sort=name", ["Møbelrestaurering", "Stol i eik"]),
        ("?sort=bogus", ["Møbelrestaurering", "Stol i eik", "Avishylle", "Bord i furu"]),
    ],
)
def test_filters_and_sorting_are_applied_from_the_url(client, assortment, query, expected):
    response = client.get("/kategori/mobler" + query)

    assert response.status_code == 200
    assert titles(response) == expected


def test_filter_state_is_kept_in_the_form_and_in_pagination_links(client, session, app):
    app.config["PRODUCTS_PER_PAGE"] = 2
    category = make_category(session, name="Hage")
    for n in range(5):
        make_product(session, category=category, title=f"Plantekasse {n}", price_ore=10000 + n)
    session.commit()

    page = client.get("/kategori/hage?sort=price_asc&min_price=50").get_data(as_text=True)

    assert 'value="50"' in page
    assert re.search(r'<option selected value="price_asc">|<option value="price_asc" selected>', page)
    assert 'href="/kategori/hage?sort=price_asc&amp;min_price=50&amp;page=2"' in page


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "99999999999999999999"])
def test_bad_page_numbers_are_400_with_a_message(client, assortment, page):
    response = client.get(f"/produkter?page={page}")

    assert response.status_code == 400
    assert "Sidetallet må være et helt tall" in response.get_data(as_text=True)


def test_page_past_the_end_is_404_but_page_one_of_nothing_is_fine(client, assortment):
    assert client.get("/produkter?page=2").status_code == 404
    assert client.get("/kategori/mobler?min_price=999999").status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("min_price=abc", "Not a valid integer value"),
        ("min_price=-5", "Skriv et helt antall kroner"),
        ("min_price=500&max_price=100", "Høyeste pris må være minst"),
        ("unit=finnes-ikke", "Not a valid choice"),
        ("region=atlantis", "Not a valid choice"),
        ("kind=magic", "Not a valid choice"),
    ],
)
def test_bad_filter_values_are_400_with_the_message_by_the_field_and_other_filters_still_apply(
    client, assortment, query, message
):
    response = client.get(f"/produkter?{query}&sort=name")
    page = response.get_data(as_text=True)

    assert response.status_code == 400
    assert 'class="ds-validation-message"' in page
    # Translated by WTForms' own catalogue in bokmål; compare loosely across the two languages.
    assert message in page or "Ikke et gyldig" in page or "gyldig" in page
    assert titles(response)[:1] == ["Avishylle"]  # the valid sort still applies


def test_search_finds_norwegian_word_forms(client, session):
    category = make_category(session, name="Møbler")
    make_product(session, category=category, title="Benk i eik", summary="Solid benk til hagen")
    make_product(session, category=category, title="Skjærebrett i bjørk")
    make_product(session, category=category, title="Øks med askeskaft")
    make_product(session, category=category, title="Lampe i messing")
    session.commit()

    assert titles(client.get("/sok?q=benker")) == ["Benk i eik"]
    assert titles(client.get("/sok?q=benkene")) == ["Benk i eik"]
    assert titles(client.get("/sok?q=skjærebrett")) == ["Skjærebrett i bjørk"]
    assert titles(client.get("/sok?q=skjaerebrett")) == ["Skjærebrett i bjørk"]
    assert titles(client.get("/sok?q=oks")) == ["Øks med askeskaft"]
    assert titles(client.get("/sok?q=BJØRK")) == ["Skjærebrett i bjørk"]


def test_search_ranks_title_matches_above_description_mentions(client, session):
    category = make_category(session, name="Hage")
    make_product(session, category=category, title="Plantekasse", description="Passer fint ved siden av en benk.",
                 published_at=NOW.replace(day=19))
    make_product(session, category=category, title="Hagebenk", summary="Benk i furu", published_at=NOW.replace(day=1))
    make_product(session, category=category, title="Benk i eik", summary="Solid benk", published_at=NOW.replace(day=2))
    session.commit()

    found = titles(client.get("/sok?q=benk"))

    assert found[-1] == "Plantekasse"
    assert set(found[:2]) == {"Benk i eik", "Hagebenk"}


def test_search_covers_category_unit_and_attributes(client, session):
    unit = make_unit(session, name="Hustad fengsel", region="vest")
    category = make_category(session, name="Tekstil")
    make_product(session, unit=unit, category=category, title="Forkle", attributes={"Materiale": "Lin"})
    make_product(session, title="Annet produkt")
    session.commit()

    assert titles(client.get("/sok?q=hustad")) == ["Forkle"]
    assert titles(client.get("/sok?q=tekstil")) == ["Forkle"]
    assert titles(client.get("/sok?q=lin")) == ["Forkle"]


def test_search_needs_every_word_and_applies_filters(client, session):
    make_product(session, title="Benk i eik", price_ore=300000)
    make_product(session, title="Benk i furu", price_ore=150000)
    session.commit()

    assert titles(client.get("/sok?q=benk furu")) == ["Benk i furu"]
    assert titles(client.get("/sok?q=benk&max_price=2000")) == ["Benk i furu"]


def test_search_with_no_hits_helps_the_shopper(client, session):
    make_category(session, name="Møbler")
    make_product(session, title="Benk i eik")
    session.commit()

    response = client.get("/sok?q=xylofon")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "Ingen treff på «xylofon»" in page
    assert 'href="/kategori/' in page


@pytest.mark.parametrize("query", ['"', "benk*", "a AND OR", "NEAR(", "()", "'; drop table product; --", "ø" * 300, ":*&|!"])
def test_search_syntax_in_user_input_never_breaks_the_page(client, session, query):
    make_product(session, title="Benk i eik")
    session.commit()

    assert client.get("/sok", query_string={"q": query}).status_code == 200


def test_empty_search_shows_guidance_not_everything(client, session):
    make_product(session, title="Benk i eik")
    session.commit()

    page = client.get("/sok?q=+").get_data(as_text=True)

    assert "Benk i eik" not in page
    assert "Skriv hva du leter etter" in page


@pytest.mark.parametrize(
    ("kwargs", "code", "nb_text"),
    [
        (dict(kind="goods", made_to_order=False, lead_time_days=None, available=10, low_threshold=3), "in_stock", "På lager"),
        (dict(kind="goods", made_to_order=False, lead_time_days=None, available=2, low_threshold=3), "few_left", "Få igjen"),
        (dict(kind="goods", made_to_order=True, lead_time_days=21, available=0, low_threshold=3), "made_to_order",
         "Lages på bestilling – ca. 21 dager"),
        (dict(kind="goods", made_to_order=True, lead_time_days=21, available=7, low_threshold=3), "in_stock", "På lager"),
        (dict(kind="goods", made_to_order=False, lead_time_days=None, available=0, low_threshold=3), "sold_out", "Utsolgt"),
        (dict(kind="service", made_to_order=False, lead_time_days=None, available=0, low_threshold=0), "service",
         "Tjeneste – etter avtale"),
    ],
)
def test_availability_is_worded_for_shoppers(app, kwargs, code, nb_text):
    from flask import render_template_string

    status = availability(**kwargs)

    assert status.code == code
    with app.test_request_context():
        rendered = render_template_string("{{ a|availability_label }}", a=status)
    assert rendered == nb_text


def test_product_page_shows_price_with_vat_availability_maker_and_training(client, session):
    unit = make_unit(session, name="Bjørgvin fengsel", region="vest")
    product = make_product(
        session, unit=unit, title="Benk i eik", price_ore=129900, stock=2, training_value="Snekkerfaget: sinking og overflatebehandling.",
        attributes={"Materiale": "Eik", "Mål": "120 × 40 × 45 cm"},
    )
    session.commit()

    page = client.get(f"/produkt/{product.slug}").get_data(as_text=True)

    assert "1\xa0299,00\xa0kr" in page
    assert "Inkludert 25\xa0% mva. (259,80\xa0kr)" in page
    assert "Få igjen" in page and "Bare 2 igjen" in page
    assert 'href="/enhet/bjorgvin-fengsel"' in page
    assert "Snekkerfaget: sinking og overflatebehandling." in page
    assert "<dt>Mål</dt><dd>120 × 40 × 45 cm</dd>" in page


def test_stock_at_several_units_adds_up(client, session):
    from inventory.services import adjust, ensure_stock_record

    product = make_product(session, title="Nasjonal krakk", stock=1)
    other = make_unit(session, name="Halden fengsel")
    record = ensure_stock_record(session, product_id=product.id, unit_id=other.id)
    adjust(session, record.id, 9, reason="produced", now=NOW)
    session.commit()

    assert "På lager" in client.get(f"/produkt/{product.slug}").get_data(as_text=True)


def test_product_page_has_valid_product_json_ld_and_open_graph(client, session, app):
    product = make_product(session, title="Benk i eik", price_ore=129900, stock=0)
    from test_images import jpeg_bytes

    from catalogue.services import add_image

    add_image(session, product, jpeg_bytes(1200, 900), alt_text="Benk i eik sett forfra", media_root=app.config["MEDIA_ROOT"])
    session.commit()

    page = client.get(f"/produkt/{product.slug}").get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))

    assert data["@context"] == "https://schema.org" and data["@type"] == "Product"
    assert data["name"] == "Benk i eik"
    assert data["offers"]["@type"] == "Offer"
    assert data["offers"]["price"] == "1299.00" and data["offers"]["priceCurrency"] == "NOK"
    assert data["offers"]["availability"] == "https://schema.org/OutOfStock"
    assert data["image"][0].startswith("http://verkstedbutikken.test/media/products/")
    assert data["url"] == f"http://verkstedbutikken.test/produkt/{product.slug}"
    assert '<meta property="og:type" content="product">' in page
    assert '<meta property="og:image" content="http://verkstedbutikken.test/media/' in page
    assert f'<link rel="canonical" href="http://verkstedbutikken.test/produkt/{product.slug}">' in page
    assert "<title>Benk i eik – Verkstedbutikken</title>" in page


def test_json_ld_cannot_be_broken_out_of_by_product_text(client, session):
    product = make_product(session, title="Benk </script><script>alert(1)</script>")
    session.commit()

    page = client.get(f"/produkt/{product.slug}").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in page


def test_product_images_are_served_with_a_responsive_srcset(client, session, app):
    from test_images import jpeg_bytes

    from catalogue.services import add_image

    product = make_product(session, title="Krakk")
    image = add_image(session, product, jpeg_bytes(2000, 1500), alt_text="Krakk i eik", media_root=app.config["MEDIA_ROOT"])
    session.commit()

    page = client.get(f"/produkt/{product.slug}").get_data(as_text=True)

    for width in (320, 800, 1600):
        assert f"/media/{image.storage_key}/{width}.webp {width}w" in page
        assert f"/media/{image.storage_key}/{width}.jpg {width}w" in page
    assert 'alt="Krakk i eik"' in page
    media = client.get(f"/media/{image.storage_key}/320.webp")
    assert media.status_code == 200 and media.mimetype == "image/webp"
    media.close()


def test_unit_page_tells_the_workshops_story_and_lists_its_products(client, session):
    unit = make_unit(session, name="Bastøy fengsel", region="sor", description="Øya har snekkerverksted og gårdsdrift.",
                     trades=["snekker", "landbruk"])
    make_product(session, unit=unit, title="Fuglekasse")
    make_product(session, title="Fra en annen enhet")
    session.commit()

    page = client.get("/enhet/bastoy-fengsel").get_data(as_text=True)

    assert "Øya har snekkerverksted og gårdsdrift." in page
    assert "landbruk" in page
    assert "Fuglekasse" in page and "Fra en annen enhet" not in page


def test_units_page_groups_units_by_region(client, session):
    make_unit(session, name="Vadsø fengsel", region="nord")
    make_unit(session, name="Åna fengsel", region="sorvest")
    session.commit()

    page = client.get("/enheter").get_data(as_text=True)

    assert "Region Nord" in page and "Region Sørvest" in page


def test_browse_raises_for_a_page_past_the_end(session):
    make_product(session)
    session.commit()

    assert browse(session, Filters(), page=1, per_page=24).total == 1
    with pytest.raises(PageOutOfRange):
        browse(session, Filters(), page=2, per_page=24)


def test_query_count_of_a_listing_does_not_grow_with_products(client, session, app):
    from sqlalchemy import event
    from test_images import jpeg_bytes

    from catalogue.services import add_image

    category = make_category(session, name="Møbler")
    unit = make_unit(session)
    data = jpeg_bytes(400, 300)

    def add(n):
        for i in range(n):
            product = make_product(session, unit=unit, category=category, title=f"Stol {i}")
            add_image(session, product, data, alt_text="Stol", media_root=app.config["MEDIA_ROOT"])
        session.commit()

    def count(url):
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    add(2)
    few = {url: count(url) for url in ("/", "/kategori/mobler", "/sok?q=stol", "/produkter")}
    add(20)
    many = {url: count(url) for url in few}

    assert few == many
    assert max(many.values()) <= 8


def test_product_constraints_are_enforced_by_the_database(session):
    product = make_product(session, title="Benk")
    session.commit()

    for field, value in [("price_ore", -1), ("vat_rate_bp", 1234), ("kind", "thing"), ("status", "sold")]:
        setattr(product, field, value)
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()


def test_published_products_need_a_publication_time_and_made_to_order_needs_a_lead_time(session):
    product = make_product(session, title="Krakk", status="draft")
    session.commit()

    product.status = "published"
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    product.made_to_order = True
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_sku_and_slug_are_unique(session):
    from catalogue.services import create_product

    product = make_product(session, title="Benk")
    session.commit()

    again = make_product(session, title="Benk")
    assert again.slug == "benk-2"
    with pytest.raises(IntegrityError):
        create_product(session, unit=product.unit, category=product.category, title="X", price_ore=1, sku=product.sku)
    session.rollback()
