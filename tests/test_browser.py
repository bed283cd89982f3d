"""Browser journeys in real Chromium: search, filters, a product page, language, keyboard, phone width and axe-core."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from browser_support import (
    CHROMIUM,
    PageWatcher,
    axe_violations,
    blocking,
    build_catalogue,
    describe_violations,
    launch_chromium,
    live_server,
)

if not CHROMIUM.exists():
    pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright (pip install -e '.[test]')")
pytest.importorskip("axe_playwright_python", reason="browser tests need axe-playwright-python (pip install -e '.[test]')")

from flask import url_for  # noqa: E402

from factories import make_category, make_product, make_unit  # noqa: E402
from shop.extensions import db  # noqa: E402

pytestmark = pytest.mark.browser
expect = sync_api.expect
expect.set_options(timeout=5_000)

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
# Babel writes "1 299,00 kr" with no-break spaces, so a price never wraps in the middle.
BENCH_PRICE_NB = re.compile(r"1[\u00a0\u202f]299,00[\u00a0\u202f]kr")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def live_shop(app):
    """Fill the database with a small catalogue and serve the app on a local port; yield (base URL, catalogue)."""
    catalogue = build_catalogue(
        db.session, media_root=app.config["MEDIA_ROOT"],
        make_unit=make_unit, make_category=make_category, make_product=make_product,
    )
    with live_server(app) as base_url:
        with app.test_request_context():
            # The live server's own address must be what external links (canonical, JSON-LD) use.
            assert url_for("catalogue.home", _external=True) == base_url + "/"
        yield base_url, catalogue


@pytest.fixture
def open_page(browser, live_shop):
    """Return a function that opens a page in a fresh browser context (own cookies) on the live server.

    The contexts close before the server stops, so no connection is left for a server thread to wait on.
    """
    contexts = []

    def open_context(viewport=DESKTOP) -> tuple:
        context = browser.new_context(base_url=live_shop[0], viewport=viewport, locale="nb-NO")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        return page, PageWatcher(page)

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page):
    """A desktop-sized page; page.watcher.problems lists script errors, 5xx answers and missing files."""
    page, watcher = open_page()
    page.watcher = watcher
    return page


def results(page):
    return page.get_by_role("region", name="Resultater")


def result_count(page):
    return results(page).get_by_role("status")


def results_titles(page) -> list[str]:
    return [title.strip() for title in results(page).get_by_role("heading", level=3).all_inner_texts()]


def open_filters(page) -> None:
    """Unfold the filter panel if it is folded (it starts folded on a listing without filters)."""
    if not page.get_by_label("Type", exact=True).is_visible():
        page.locator("summary", has_text="Filtrer og sorter").click()
    expect(page.get_by_label("Type", exact=True)).to_be_visible()


def query_of(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_shopper_finds_bench_by_search_and_reads_its_product_page_in_both_languages(page, live_shop):
    base_url, catalogue = live_shop
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(page.get_by_role("heading", level=1)).to_have_text("Laget i fengselsverkstedene")

    banner = page.get_by_role("banner")
    banner.get_by_label("Søk etter produkter og tjenester").fill("benker")
    banner.get_by_role("button", name="Søk", exact=True).click()

    expect(page).to_have_url(re.compile(r"/sok\?q=benker$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Søk etter «benker»")
    expect(banner.get_by_label("Søk etter produkter og tjenester")).to_have_value("benker")
    expect(results(page).get_by_role("link", name="Benk i eik", exact=True)).to_be_visible()
    expect(results(page).get_by_role("link", name="Skjærebrett i bjørk")).to_have_count(0)

    results(page).get_by_role("link", name="Benk i eik", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/produkt/{catalogue.bench}$"))
    expect(page).to_have_title("Benk i eik – Verkstedbutikken")
    expect(page.get_by_role("heading", level=1)).to_have_text("Benk i eik")
    expect(page.locator("link[rel=canonical]")).to_have_attribute("href", f"{base_url}/produkt/{catalogue.bench}")
    price = page.locator(".product__price").inner_text().strip()
    assert BENCH_PRICE_NB.fullmatch(price), f"price shown as {price!r}, expected '1 299,00 kr' with no-break spaces"
    expect(page.locator(".product__availability")).to_contain_text("På lager")
    expect(page.get_by_text("Solid benk i massiv eik, 120 cm lang.")).to_be_visible()

    photo = page.get_by_role("img", name="Benk i eik sett fra siden, på et lyst gulv")
    expect(photo).to_be_visible()
    expect(photo).to_have_attribute("srcset", re.compile(r"\.jpg 320w, .*\.jpg 800w"))
    expect(page.locator("picture source[type='image/webp']").first).to_have_attribute("srcset", re.compile(r"\.webp 320w"))
    # The browser really fetched a variant (the WebP one, Chromium reads WebP), and it decoded.
    photo.evaluate("img => img.decode()")
    loaded = photo.evaluate("img => ({complete: img.complete, width: img.naturalWidth, src: img.currentSrc})")
    assert loaded["complete"] and loaded["width"] > 0, loaded
    assert loaded["src"].endswith(".webp"), loaded

    banner.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(rf"/produkt/{catalogue.bench}$"))
    expect(page.locator(".product__availability")).to_contain_text("In stock")
    expect(page.get_by_role("heading", name="About the product")).to_be_visible()
    expect(page.locator(".product__price")).to_contain_text("1,299.00")
    expect(banner.get_by_label("Search for products and services")).to_be_visible()

    banner.get_by_role("link", name="Norsk").click()
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(page).to_have_url(re.compile(rf"/produkt/{catalogue.bench}$"))
    expect(page.locator(".product__availability")).to_contain_text("På lager")
    expect(banner.get_by_role("link", name="English")).to_be_visible()
    assert page.watcher.problems == []


def test_filter_form_puts_the_filters_in_the_url_and_narrows_the_results(page, live_shop):
    _, catalogue = live_shop
    page.goto("/")
    page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Produkter").click()
    expect(page).to_have_url(re.compile(r"/produkter$"))
    expect(result_count(page)).to_have_text("10 produkter")

    open_filters(page)
    page.get_by_label("Type", exact=True).select_option(label="Tjeneste")
    page.get_by_role("button", name="Vis resultater").click()
    expect(result_count(page)).to_have_text("1 produkt")
    assert urlsplit(page.url).path == "/produkter"
    assert query_of(page)["kind"] == ["service"]
    assert results_titles(page) == ["Trykk av visittkort"]
    expect(page.get_by_label("Type", exact=True)).to_have_value("service")

    page.get_by_role("navigation", name="Kategorier").get_by_role("link", name="Møbler").click()
    expect(page).to_have_url(re.compile(rf"/kategori/{catalogue.furniture}$"))
    expect(result_count(page)).to_have_text("5 produkter")
    assert "Spisebord i eik" in results_titles(page)

    open_filters(page)
    page.get_by_label("Pris til (kr)").fill("1500")
    page.get_by_label("Sorter etter").select_option(label="Pris, lavest først")
    page.get_by_role("button", name="Vis resultater").click()
    expect(result_count(page)).to_have_text("2 produkter")
    assert urlsplit(page.url).path == f"/kategori/{catalogue.furniture}"
    query = query_of(page)
    assert query["max_price"] == ["1500"] and query["sort"] == ["price_asc"], page.url
    assert results_titles(page) == ["Krakk i bjørk", "Benk i eik"]
    # The filtered page opens with its filters unfolded and filled in, so they can be adjusted.
    expect(page.get_by_label("Pris til (kr)")).to_be_visible()
    expect(page.get_by_label("Pris til (kr)")).to_have_value("1500")

    page.get_by_label("Pris fra (kr)").fill("2000")
    with page.expect_response(lambda r: "/kategori/" in r.url) as answer:
        page.get_by_role("button", name="Vis resultater").click()
    assert answer.value.status == 400
    expect(page.get_by_role("alert")).to_be_visible()
    highest = page.get_by_label("Pris til (kr)")
    expect(highest).to_have_attribute("aria-invalid", "true")
    expect(highest).to_have_accessible_description(re.compile("Høyeste pris må være minst"))
    expect(page.get_by_label("Pris fra (kr)")).to_have_value("2000")
    assert page.watcher.problems == []


def test_keyboard_user_skips_to_main_content_and_searches_without_a_mouse(page, live_shop):
    page.goto("/")
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Hopp til hovedinnholdet")
    expect(skip_link).to_be_focused()
    box = skip_link.bounding_box()
    assert box and box["width"] > 1 and box["height"] > 1 and box["y"] >= 0, f"focused skip link is not visible: {box}"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    page.goto("/")
    field = page.get_by_role("banner").get_by_label("Søk etter produkter og tjenester")
    for presses in range(1, 6):
        page.keyboard.press("Tab")
        if field.evaluate("el => el === document.activeElement"):
            break
    expect(field).to_be_focused()
    assert presses <= 3, f"the header search took {presses} Tab presses (skip link, logo, field expected)"
    page.keyboard.type("benk")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/sok\?q=benk$"))

    bench_link = results(page).get_by_role("link", name="Benk i eik", exact=True)
    for _ in range(40):
        page.keyboard.press("Tab")
        if bench_link.evaluate("el => el === document.activeElement"):
            break
    expect(bench_link).to_be_focused()
    outline = bench_link.evaluate("el => getComputedStyle(el.closest('.product-card')).outlineStyle")
    assert outline != "none", "the focused product card shows no focus ring"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Benk i eik")
    assert page.watcher.problems == []


OVERFLOWING = """() => [...document.querySelectorAll('body *')]
    .filter(el => el.clientWidth > 1 && el.scrollWidth > el.clientWidth + 1)
    .map(el => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${[...el.classList].join('.')}`
               + ` (content ${el.scrollWidth}px in ${el.clientWidth}px)`)"""


def test_home_category_and_product_pages_fit_a_360px_phone_without_sideways_scrolling(open_page, live_shop, tmp_path):
    _, catalogue = live_shop
    page, watcher = open_page(PHONE)
    failures = []
    for name, path in [("home", "/"), ("category", f"/kategori/{catalogue.furniture}"),
                       ("product", f"/produkt/{catalogue.bench}"), ("units", "/enheter"),
                       ("unit", f"/enhet/{catalogue.unit}")]:
        page.goto(path)
        page.screenshot(path=tmp_path / f"phone-{name}.png", full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            failures.append(f"{path}: page is {width}px wide; overflowing: {page.evaluate(OVERFLOWING)}")
        # A card that clips its content hides facts such as the lead time, even when the page itself fits.
        clipped = page.locator(".product-card").evaluate_all(
            "cards => cards.filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.innerText.split('\\n')[0])"
        )
        if clipped:
            failures.append(f"{path}: product cards cut off their content: {clipped}")
    assert not failures, "\n".join(failures)
    assert watcher.problems == []


def test_every_storefront_page_passes_axe_without_serious_or_critical_violations(page, live_shop, tmp_path):
    _, catalogue = live_shop
    pages = [
        ("home", "/"),
        ("search results", "/sok?q=benker"),
        ("category with filters", f"/kategori/{catalogue.furniture}?max_price=1500&sort=price_asc"),
        ("category with a filter error", f"/kategori/{catalogue.furniture}?min_price=abc"),
        ("product", f"/produkt/{catalogue.bench}"),
        ("made-to-order product", f"/produkt/{catalogue.dining_table}"),
        ("units", "/enheter"),
        ("unit", f"/enhet/{catalogue.unit}"),
        ("404", "/finnes-ikke"),
        ("English home", "/sprak/en?next=/"),
    ]
    report = []
    for name, path in pages:
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        page.screenshot(path=tmp_path / f"{name}.png", full_page=True)
        serious = blocking(axe_violations(page))
        if serious:
            report.append(f"{name} ({path}):\n{describe_violations(serious)}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert not report, "axe-core found serious or critical violations:\n" + "\n".join(report)
    assert page.watcher.problems == []
