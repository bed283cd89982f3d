"""The cheap hit: a kept page served to a shopper who is not logged in, before Flask dispatches the request.

A hit costs what its parts cost: finding the page in the store, and the visitor's menu. Through Flask it
also paid for the request and app contexts, the session's proxies, the before- and after-request hooks
of every extension and the teardown of the database session, three times what a bare Flask app spends
on a whole request. This layer sits in front of the app (inside ProxyFix) and answers itself when all of
this holds, and otherwise hands the request to Flask, which answers as before (a hit or a render):

- a GET or HEAD of a storefront page, whose address holds no control characters, on a trusted host;
- the visitor is not logged in and has no message waiting (a guest, with or without a cart);
- the page is kept, and this process has already made the guest menu for its language, page and count.

The answer is the one Flask gives for the same hit: the same body with the same holes filled, the same
headers (the security headers, ``Vary: Cookie``, ``X-Cache: hit``). tests/test_pagecache.py compares them.
"""
from __future__ import annotations

import time
from urllib.parse import unquote_plus

from flask import Flask
from itsdangerous import BadSignature
from werkzeug.wsgi import get_host

from shop.i18n import LANGUAGE_COOKIE
from shop.security import SECURITY_HEADERS, has_control_characters


class EdgeCache:
    """WSGI middleware serving kept storefront pages to guests; everything else goes to the app."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        answer = self.kept_answer(environ)
        if answer is None:
            return self.wsgi_app(environ, start_response)
        body, headers = answer
        start_response("200 OK", headers)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def kept_answer(self, environ) -> tuple[bytes, list[tuple[str, str]]] | None:
        """The kept page with this guest's parts, and its headers; None to let the app answer."""
        from shop import pagecache

        app = self.app
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or not pagecache.lifetime(app, "PAGE_CACHE_SECONDS"):
            return None
        request = app.request_class(environ)
        if _unreadable(environ) or not _trusted(environ, app):
            return None
        endpoint = _endpoint(app, request)
        if endpoint not in pagecache.CACHEABLE_ENDPOINTS or len(request.full_path) > pagecache.MAX_PATH:
            return None
        in_cart = _guest_cart(app, request)
        if in_cart is None:
            return None
        chosen = request.cookies.get(LANGUAGE_COOKIE)  # as shop.i18n.select_locale chooses
        locale = chosen if chosen in app.config["LANGUAGES"] else app.config["BABEL_DEFAULT_LOCALE"]
        menu = app.extensions.setdefault("guest_menus", {}).get((locale, endpoint, in_cart))
        if menu is None:
            return None
        body = pagecache.page_store(app).get_page(pagecache.key_for(app, request.host, locale, request.full_path))
        if body is None:
            return None
        body = body.replace(pagecache.MARKERS["nav"], menu.encode()).replace(pagecache.MARKERS["flashes"], b"")
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))),
                   ("X-Cache", "hit"), ("Vary", "Cookie"), *SECURITY_HEADERS.items()]
        return body, headers


ENDPOINTS_KEPT = 10_000  # addresses whose endpoint this process remembers (then it starts again)


def _endpoint(app: Flask, request) -> str | None:
    """The endpoint of a GET of this path (None: a redirect, 404 or 405, which the app answers), matched once
    per path and process: the shop's routes depend on the path alone (no host or subdomain rules)."""
    endpoints = app.extensions.setdefault("edge_endpoints", {})
    path = request.path
    if path in endpoints:
        return endpoints[path]
    try:
        rule, _ = app.create_url_adapter(request).match(return_rule=True)
    except Exception:  # noqa: BLE001
        endpoint = None
    else:
        endpoint = rule.endpoint
    if len(endpoints) >= ENDPOINTS_KEPT:
        endpoints.clear()
    endpoints[path] = endpoint
    return endpoint


def _unreadable(environ) -> bool:
    """Control characters in the address (the app refuses them with its own 400 page)."""
    path, query = environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")
    if "%" in query or "+" in query:
        query = unquote_plus(query)
    return has_control_characters(path) or has_control_characters(query)


def _trusted(environ, app: Flask) -> bool:
    trusted = app.config.get("TRUSTED_HOSTS")
    if not trusted:
        return True
    try:
        get_host(environ, trusted_hosts=trusted)
    except Exception:  # noqa: BLE001 (werkzeug's SecurityError: the app answers 400)
        return False
    return True


VERIFIED_KEPT = 10_000  # session cookies whose verification this process remembers (then it starts again)


def _guest_cart(app: Flask, request) -> int | None:
    """How many items a guest has in the cart, from the session cookie; None for a visitor the app must see
    (logged in, a message waiting, a session that must be refreshed, a cookie that does not verify).

    A shopper sends the same cookie on every page until the session changes, so what a cookie says is worked
    out once (checking its signature costs more than the rest of a hit) and remembered until it expires: the
    cookie itself is the key, so only a cookie that verified, byte for byte, is ever taken as one."""
    cookie = request.cookies.get(app.config["SESSION_COOKIE_NAME"])
    if not cookie:
        return 0
    verified = app.extensions.setdefault("verified_sessions", {})
    known = verified.get(cookie)
    if known is not None and known[1] > time.time():
        return known[0]
    serializer = app.session_interface.get_signing_serializer(app)
    if serializer is None:
        return None
    max_age = int(app.permanent_session_lifetime.total_seconds())
    try:
        data, signed_at = serializer.loads(cookie, max_age=max_age, return_timestamp=True)
    except BadSignature:
        return None
    if not isinstance(data, dict) or "_user_id" in data or "_flashes" in data or data.get("_permanent"):
        count = None
    else:
        count = app.extensions["cart_count_in"](data)
    if len(verified) >= VERIFIED_KEPT:
        verified.clear()
    verified[cookie] = (count, signed_at.timestamp() + max_age)
    return count
