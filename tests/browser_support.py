"""Helpers for the browser tests: a small demo catalogue, a live server thread, Chromium and axe-core."""
from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium, never a downloaded one; the flags keep it from phoning home during a test run.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
BLOCKING_IMPACTS = {"serious", "critical"}


def launch_chromium(playwright):
    """Start the system Chromium through Playwright's sync API."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@dataclass(frozen=True)
class Catalogue:
    """The slugs a journey needs to find its way around the demo data."""

    bench: str
    cutting_board: str
    dining_table: str
    printing: str
    furniture: str
    benches: str
    unit: str


def draw_jpeg(colour: tuple[int, int, int], *, size: tuple[int, int] = (1000, 750)) -> bytes:
    """Draw a simple 'product photo' (a plank on a floor) as JPEG bytes."""
    from PIL import Image, ImageDraw

    width, height = size
    image = Image.new("RGB", size, (236, 232, 224))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 3 // 4, width, height), fill=(200, 190, 175))
    draw.rectangle((width // 8, height // 3, width * 7 // 8, height // 2), fill=colour)
    for x in (width // 6, width * 5 // 6 - width // 20):
        draw.rectangle((x, height // 2, x + width // 20, height * 4 // 5), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def build_catalogue(session, *, media_root: str, make_unit, make_category, make_product) -> Catalogue:
    """Fill the database with three units, a small category tree and ten published listings, with photos."""
    from catalogue.services import add_image

    ila = make_unit(session, name="Ila fengsel", region="ost", trades=["snekker", "tekstil"],
                    description="Snekkerverksted og tekstilverksted i Bærum.\n\nVerkstedet lærer opp til fagbrev.",
                    contact_email="verksted.ila-forvaring@kriminalomsorg.example")
    bergen = make_unit(session, name="Bergen fengsel", region="vest", trades=["trykk", "snekker"])
    tromso = make_unit(session, name="Tromsø fengsel", region="nord", trades=["metall"])
    furniture = make_category(session, name="Møbler", description="Møbler laget for å vare.")
    benches = make_category(session, name="Benker og bord", parent=furniture)
    kitchen = make_category(session, name="Kjøkken")
    services = make_category(session, name="Tjenester", position=9)

    bench = make_product(
        session, unit=ila, category=benches, title="Benk i eik", price_ore=129900, featured=True, stock=5,
        summary="Solid benk i massiv eik, 120 cm lang.",
        description="Benken er laget av norsk eik og behandlet med hardvoksolje.\n\nDen tåler daglig bruk i gang og kjøkken.",
        attributes={"Materiale": "Eik", "Lengde": "120 cm"},
        training_value="Arbeidet gir opplæring mot fagbrev i snekkerfaget.",
    )
    board = make_product(session, unit=bergen, category=kitchen, title="Skjærebrett i bjørk", price_ore=34900,
                         featured=True, stock=12, summary="Skjærebrett i limt bjørk.")
    make_product(session, unit=tromso, category=benches, title="Hagebenk i furu", price_ore=249900, stock=0)
    table = make_product(session, unit=ila, category=furniture, title="Spisebord i eik", price_ore=899900, stock=0,
                         made_to_order=True, lead_time_days=21, summary="Spisebord for seks, laget på bestilling.")
    printing = make_product(session, unit=bergen, category=services, title="Trykk av visittkort", kind="service",
                            price_ore=150000, lead_time_days=10, summary="Visittkort i offset, 500 stk.")
    make_product(session, unit=ila, category=kitchen, title="Forkle i lin", price_ore=39900, stock=2, featured=True)
    make_product(session, unit=tromso, category=kitchen, title="Smørkniv i eik", price_ore=14900, stock=30)
    make_product(session, unit=bergen, category=furniture, title="Krakk i bjørk", price_ore=79900, stock=0)
    make_product(session, unit=ila, category=furniture, title="Bokhylle i furu", price_ore=349900, stock=3)
    make_product(session, unit=tromso, category=kitchen, title="Grillrist i stål", price_ore=59900, stock=7, featured=True)
    make_product(session, unit=ila, category=furniture, title="Kladd til stol", price_ore=10000, status="draft")

    photos = [
        (bench, (120, 84, 48), "Benk i eik sett fra siden, på et lyst gulv"),
        (bench, (140, 100, 60), "Benk i eik sett ovenfra"),
        (board, (214, 186, 140), "Skjærebrett i bjørk på kjøkkenbenken"),
        (table, (110, 75, 40), "Spisebord i eik med seks stoler"),
    ]
    for product, colour, alt_text in photos:
        add_image(session, product, draw_jpeg(colour), alt_text=alt_text, media_root=media_root)
    session.commit()
    return Catalogue(
        bench=bench.slug, cutting_board=board.slug, dining_table=table.slug, printing=printing.slug,
        furniture=furniture.slug, benches=benches.slug, unit=ila.slug,
    )


class QuietRequestHandler(WSGIRequestHandler):
    """Log errors only, so a failing test's output is not buried under one line per request."""

    def log_request(self, code="-", size="-") -> None:
        pass


@contextmanager
def live_server(app) -> Iterator[str]:
    """Serve the app on a free local port in a thread; yield its base URL and stop it cleanly afterwards."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    host = f"127.0.0.1:{server.server_port}"
    # Links built with _external=True (canonical, JSON-LD, sitemap) must point at this server, not the test host.
    old_server_name = app.config.get("SERVER_NAME")
    app.config["SERVER_NAME"] = host
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://{host}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        app.config["SERVER_NAME"] = old_server_name


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page as it is now and return all its violations."""
    from axe_playwright_python.sync_playwright import Axe

    return Axe().run(page).response["violations"]


def describe_violations(violations: list[dict]) -> str:
    """Format violations as rule id, impact, help text, link and the selectors of the failing nodes."""
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            target = " > ".join(str(t) for t in node["target"])
            summary = "; ".join(line.strip() for line in node.get("failureSummary", "").splitlines()[1:])
            lines.append(f"    {target}: {summary}")
    return "\n".join(lines)


def blocking(violations: list[dict]) -> list[dict]:
    """Keep the violations serious or critical enough to fail a test."""
    return [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]


class PageWatcher:
    """Collect what a visitor would not see but a broken page shows: script errors, CSP blocks, 5xx, missing files."""

    def __init__(self, page) -> None:
        self.problems: list[str] = []
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("console", self._console)
        page.on("response", self._response)
        page.on("requestfailed", self._failed)

    def _console(self, message) -> None:
        # A 404 page logs "Failed to load resource" for itself; bad subresources are caught by _response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console error on {message.location.get('url')}: {message.text}")

    def _response(self, response) -> None:
        if response.status >= 500 or (response.status >= 400 and response.request.resource_type != "document"):
            self.problems.append(f"{response.status} for {response.request.resource_type} {response.url}")

    def _failed(self, request) -> None:
        # Leaving a page cancels its lazy images; that is not a fault.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"{request.failure} for {request.resource_type} {request.url}")
