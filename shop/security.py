"""Protection every route gets from the plumbing: protective headers, same-site checks for links and
forms, and input that would break a page refused before it reaches a view or a query.

- Ids in paths (``<int:...>``) that do not fit the database's integer columns are not found (404).
- NUL and other control characters in the path, the query string or a form get 400 with a message
  (PostgreSQL refuses NUL in text; the others are never typed by a person). Tab, line feed and
  carriage return are allowed in query and form values.
- Cookies with such characters are ignored, as if they had not been sent.
"""
import re
from urllib.parse import urlsplit

from flask import Flask, Request, Response, request
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property

from shop.core.forms import DB_INT_MAX
from shop.core.http import abort_with_message

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def safe_next(target: str | None) -> str | None:
    """Return target if it is a path on this site, else None (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def same_origin(request) -> bool:
    """True unless the browser says the request came from another site (Origin, else Referer).

    Used where a page must be cacheable and so cannot carry a per-visitor CSRF token. The session
    cookie is SameSite=Lax as well, so a cross-site POST never carries the visitor's session.
    """
    ours = urlsplit(request.host_url)
    for header in ("Origin", "Referer"):
        value = request.headers.get(header)
        if value:
            try:
                theirs = urlsplit(value)
            except ValueError:  # not an address at all ("http://[::1"): not ours either
                return False
            return (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc)
    return True


def with_stripe(policy: str, *, js_url: str, api_base: str | None) -> str:
    """Widen the policy for the card page: Stripe.js, its API and its frames."""

    def origin(url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"

    js = origin(js_url)
    api = origin(api_base) if api_base else "https://api.stripe.com"
    return (policy.replace("script-src 'self'", f"script-src 'self' {js}")
            + f"; connect-src 'self' {api} {js}; frame-src {js} https://hooks.stripe.com")


# Control characters (Unicode category Cc): C0, DEL and C1. Values may keep tab, line feed and return.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_VALUE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control_characters(text: str, *, in_value: bool = False) -> bool:
    """True when text holds NUL or another control character (tab and newlines allowed in values)."""
    return bool((_CONTROL_IN_VALUE if in_value else _CONTROL).search(text))


class BoundedIntegerConverter(IntegerConverter):
    """``<int:...>`` in a route: a whole number from 0 up to the largest id the database can hold.

    A bigger one matches no route (404): it could never name a row, and PostgreSQL would refuse it
    as a parameter for an integer column.
    """

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,  # noqa: A002
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=DB_INT_MAX if max is None else max,
                         signed=signed)


class ShopRequest(Request):
    """The request, with cookies that hold control characters left out (a browser never sends them)."""

    @cached_property
    def cookies(self) -> ImmutableMultiDict:
        jar = super().cookies
        if not any(has_control_characters(k) or has_control_characters(v) for k, v in jar.items(multi=True)):
            return jar
        return ImmutableMultiDict([(k, v) for k, v in jar.items(multi=True)
                                   if not has_control_characters(k) and not has_control_characters(v)])


def _unreadable_input() -> bool:
    if has_control_characters(request.path):
        return True
    for source in (request.args, request.form):
        for key, value in source.items(multi=True):
            if has_control_characters(key) or has_control_characters(value, in_value=True):
                return True
    return any(has_control_characters(f.filename or "") for f in request.files.values())


def protect_inputs(app: Flask) -> None:
    """Install the bounded id converter and the control-character check (before any other hook runs)."""
    app.request_class = ShopRequest
    app.url_map.converters["int"] = BoundedIntegerConverter

    def refuse_control_characters():
        if _unreadable_input():
            abort_with_message(400, _("The address or the form held characters we cannot read (control "
                                      "characters). Type it again without them."))

    # First of all before_request hooks: nothing (CSRF, rate limits, the page cache, a view) reads
    # the input before it is checked.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_control_characters)


# Sent with every response (a page may set its own Content-Security-Policy first: the card payment page).
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def register(app: Flask) -> None:
    """Add the headers in an after_request hook."""

    @app.after_request
    def add_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
