"""Whole-page cache for anonymous visitors to the storefront.

Catalogue pages are the same for every visitor without a session (no cart, not logged in, no
messages), so their HTML is kept for PAGE_CACHE_SECONDS (Redis in production, shared by every web
node; in process on one machine). A visitor with a session cookie always gets a fresh page. Stock
shown on a cached page can be that many seconds old; the cart and checkout always check live stock.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_babel import get_locale

from shop.extensions import cache

CACHEABLE_ENDPOINTS = frozenset({
    "catalogue.home", "catalogue.products", "catalogue.category", "catalogue.search", "catalogue.product",
    "catalogue.units", "catalogue.unit",
})
KEY_PREFIX = "page:v1:"


def _key() -> str | None:
    """Return the cache key for this request, or None when it must not be cached."""
    if not current_app.config.get("PAGE_CACHE_SECONDS"):
        return None
    if request.method not in ("GET", "HEAD") or request.endpoint not in CACHEABLE_ENDPOINTS:
        return None
    if request.cookies.get(current_app.config["SESSION_COOKIE_NAME"]):
        return None
    # The host is part of the key: pages carry absolute links (canonical, OpenGraph) built from it.
    return f"{KEY_PREFIX}{request.host}:{get_locale()}:{request.full_path}"


def register(app: Flask) -> None:
    """Serve cached pages before the view runs, and store fresh ones after it."""

    @app.before_request
    def serve_cached():
        key = _key()
        if key is None:
            return None
        cached = cache.get(key)
        if cached is None:
            return None
        body, content_type = cached
        response = Response(body, content_type=content_type)
        response.headers["X-Cache"] = "hit"
        return response

    @app.after_request
    def store(response: Response) -> Response:
        if "X-Cache" in response.headers:
            return response
        key = _key()
        if (key is None or response.status_code != 200 or response.direct_passthrough or response.is_streamed
                or "Set-Cookie" in response.headers):
            return response
        cache.set(key, (response.get_data(), response.content_type), timeout=current_app.config["PAGE_CACHE_SECONDS"])
        response.headers["X-Cache"] = "miss"
        return response
