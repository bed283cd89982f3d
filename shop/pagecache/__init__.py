"""Whole storefront pages from the cache for every visitor, with the visitor's own parts filled in.

A storefront page is the same for everyone but for a few parts: the header's menu (cart count, account
links, the staff and coordinator links, the log-out form's token) and the flash messages. Those parts are
holes: the page is rendered, and kept, with a marker in their place (``templates/_holes/``), and each
response fills the markers in for its own visitor, on the server. So a visitor with a cart or a login gets
the cached page too, and nothing of one visitor is ever kept for another.

Pages are kept for hours (PAGE_CACHE_SECONDS) under the tags of what they show (``catalogue.changes``);
every committed change to those (stock, a listing, a unit, a category, a collection, a review decision)
deletes them at once, and a page whose availability changes by itself (a hold expiring) is kept no longer
than that. The store is Redis when REDIS_URL is set (shared by every web node, so an invalidation on one
reaches all), and this process's memory otherwise, where entries live at most PAGE_CACHE_LOCAL_SECONDS
because other processes' changes cannot reach it. With Redis, each process keeps a near copy of what it
reads (pages, cards, parts) for PAGE_CACHE_NEAR_SECONDS (half a second): a hot page costs no round trip,
and a change made on another node reaches it within that time (one made on this node, at once); nothing
made from a near copy is kept if what it shows changed after the copy was read (since, read_as_of).
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from flask import Flask, Response, current_app, g, has_app_context, render_template, request, session
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.middleware.proxy_fix import ProxyFix

from catalogue import changes
from shop.core.time import OSLO, utcnow
from shop.extensions import limiter
from shop.pagecache.edge import EdgeCache
from shop.pagecache.store import MemoryStore, RedisStore

CACHEABLE_ENDPOINTS = frozenset({
    "catalogue.home", "catalogue.products", "catalogue.category", "catalogue.search", "catalogue.product",
    "catalogue.units", "catalogue.unit", "catalogue.collection",
})
HOLES = ("nav", "flashes")
MAX_PATH = 1000  # longer addresses (absurd query strings) are rendered, never kept


@limiter.request_filter
def _kept_pages_have_no_rate_limit() -> bool:
    """A kept page's hit is answered before the rate limiter (edge.py, serve_cached), so these pages have no
    limit of their own, and the limiter need not work out on each render that they have none."""
    return request.method in ("GET", "HEAD") and request.endpoint in CACHEABLE_ENDPOINTS


def marker(name: str) -> Markup:
    """What stands in a kept page for the visitor's own part (a comment: a page's text is escaped, so it
    cannot contain one)."""
    return Markup(f"<!--hole:{name}-->")


MARKERS = {name: marker(name).encode() for name in HOLES}


def holes_open() -> bool:
    """Is this page rendered with holes (for the cache) rather than with the visitor's parts in place?"""
    return g.get("page_holes", False)


def fill(body: bytes) -> bytes:
    """Put this visitor's menu and messages into a page kept with holes."""
    for name, mark in MARKERS.items():
        if mark in body:
            body = body.replace(mark, _hole(name).encode())
    return body


def _hole(name: str) -> str:
    if name == "flashes":
        return render_template("_holes/flashes.html") if session.get("_flashes") else ""
    if "_user_id" in session and current_user.is_authenticated:  # a guest's hit never loads a user
        return render_template("_holes/nav.html")
    # A guest's menu depends only on the language, the page and the cart count: render it once per
    # combination and process (it has no token: only the logged-in menu has a form).
    from_cart = current_app.extensions.get("cart_count", lambda: 0)()
    key = (str(get_locale()), request.endpoint, from_cart)
    menus = current_app.extensions.setdefault("guest_menus", {})
    menu = menus.get(key)
    if menu is None:
        menu = render_template("_holes/nav.html")
        if len(menus) < 1000:
            menus[key] = menu
    return menu


def key_for(app: Flask, host: str, locale: str, full_path: str) -> str:
    """Where a page is kept. The host is part of it: pages carry absolute links (canonical, OpenGraph) built
    from it when SITE_URL is not set; the Oslo date, because collections start and end by the day."""
    today = utcnow().astimezone(OSLO).date().isoformat()
    return f"page:{app.extensions['page_version']}:{host}:{locale}:{today}:{full_path}"


def _key() -> str:
    return key_for(current_app, request.host, str(get_locale()), request.full_path)


def _cacheable() -> bool:
    return (request.method in ("GET", "HEAD") and request.endpoint in CACHEABLE_ENDPOINTS
            and len(request.full_path) <= MAX_PATH)


def page_store(app: Flask):
    return app.extensions.get("page_store")


def lifetime(app: Flask, setting: str) -> int:
    """How long to keep a page or fragment (0: not at all), capped in a store only this process sees."""
    seconds = int(app.config.get(setting) or 0)
    if isinstance(page_store(app), MemoryStore):
        seconds = min(seconds, int(app.config["PAGE_CACHE_LOCAL_SECONDS"]))
    return max(0, seconds)


def since() -> int | None:
    """The store's invalidation count when this request started reading (once per request), or the count that
    the oldest near copy it read was current at, if lower (read_as_of): what this request makes is kept only
    if none of its tags was invalidated after that."""
    if "page_since" not in g:
        store = page_store(current_app)
        g.page_since = store.since() if store is not None else None
    read_at = g.get("page_read_as_of")
    if read_at is not None and g.page_since is not None and read_at < g.page_since:
        return read_at
    return g.page_since


def read_as_of(count: int | None) -> None:
    """This request read parts that were current at the store's invalidation count (RedisStore.get_parts)."""
    if count is not None:
        earlier = g.get("page_read_as_of")
        g.page_read_as_of = count if earlier is None else min(earlier, count)


def version(app: Flask) -> str:
    """A fingerprint of the code, templates, translations and settings that make the pages: a new release
    (or other settings) never serves pages that the old one kept."""
    digest = hashlib.sha1(_source_fingerprint().encode())
    for key in ("SITE_NAME", "SITE_URL", "MEDIA_URL", "PRODUCTS_PER_PAGE", "LANGUAGES", "SHIPPING_ORE",
                "FREE_SHIPPING_FROM_ORE", "STRIPE_DEMO", "DEV_MAILBOX"):
        digest.update(repr((key, app.config.get(key))).encode())
    digest.update(repr(sorted((k, str(v)) for k, v in app.config.items() if k.startswith("SELLER_"))).encode())
    return digest.hexdigest()[:10]


@functools.cache
def _source_fingerprint() -> str:
    """The contents of the templates, the Python code and the compiled translations (read once per process)."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha1()
    for folder, pattern in (("templates", "**/*.html"), ("catalogue", "*.py"), ("shop", "**/*.py"),
                            ("shop/translations", "**/*.mo")):
        for path in sorted((root / folder).glob(pattern)):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@event.listens_for(Session, "after_commit")
def _invalidate(session: Session) -> None:
    """Once a change is committed, delete every page and fragment that showed what it changed."""
    tags = changes.take_pending(session)
    if tags and has_app_context():
        store = page_store(current_app)
        if store is not None:
            store.invalidate(tags)


def register(app: Flask) -> None:
    """Serve kept pages before anything else reads the request, keep fresh ones, and invalidate on commit."""
    url = app.config.get("CACHE_REDIS_URL")
    store = (RedisStore(url, prefix=app.config["PAGE_CACHE_PREFIX"], near_seconds=app.config["PAGE_CACHE_NEAR_SECONDS"])
             if url else MemoryStore())
    app.extensions["page_store"] = store
    app.extensions["page_version"] = version(app)
    app.extensions["page_lifetime"] = lambda setting: lifetime(app, setting)
    app.extensions["page_since"] = since
    app.extensions["page_read_as_of"] = read_as_of

    @app.context_processor
    def inject_holes():
        return {"holes_open": holes_open(), "hole": marker}

    def serve_cached():
        if not _cacheable():
            return None
        g.page_holes = True
        if not lifetime(app, "PAGE_CACHE_SECONDS"):
            return None
        g.page_key = _key()
        body = store.get_page(g.page_key)
        if body is None:
            since()  # before the view reads anything: a change committed after this keeps its page out
            return None
        response = Response(fill(body), content_type="text/html; charset=utf-8")
        response.headers["X-Cache"] = "hit"
        return response

    # Right after the input check (security.protect_inputs), before the rate limiter, CSRF and the rest:
    # a hit costs a cookie read, one GET from the store and the holes.
    hooks = app.before_request_funcs.setdefault(None, [])
    hooks.insert(1 if hooks else 0, serve_cached)

    # Guests' hits are answered in front of Flask (edge.py); ProxyFix, when there, stays in front of that.
    if isinstance(app.wsgi_app, ProxyFix):
        app.wsgi_app.app = EdgeCache(app, app.wsgi_app.app)
    else:
        app.wsgi_app = EdgeCache(app, app.wsgi_app)

    @app.after_request
    def keep(response: Response) -> Response:
        if not holes_open() or response.headers.get("X-Cache") == "hit":
            return response
        if response.direct_passthrough or response.is_streamed:
            return response
        body = response.get_data()
        key = g.get("page_key")
        if key and response.status_code == 200 and not session.modified and "Set-Cookie" not in response.headers:
            seconds = changes.seconds_until(lifetime(app, "PAGE_CACHE_SECONDS"), g.get("page_changes_at"))
            tags = changes.page_tags() | {changes.SITE}
            if store.put(key, body, tags=tags, seconds=seconds, since=since()):
                response.headers["X-Cache"] = "miss"
        response.set_data(fill(body))
        return response
