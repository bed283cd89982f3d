"""Protective HTTP headers sent with every response."""
from flask import Flask, Response

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


def same_origin(request) -> bool:
    """True unless the browser says the request came from another site (Origin, else Referer).

    Used where a page must be cacheable and so cannot carry a per-visitor CSRF token. The session
    cookie is SameSite=Lax as well, so a cross-site POST never carries the visitor's session.
    """
    from urllib.parse import urlsplit

    ours = urlsplit(request.host_url)
    for header in ("Origin", "Referer"):
        value = request.headers.get(header)
        if value:
            theirs = urlsplit(value)
            return (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc)
    return True


def with_stripe(policy: str, *, js_url: str, api_base: str | None) -> str:
    """Widen the policy for the card page: Stripe.js, its API and its frames."""
    from urllib.parse import urlsplit

    def origin(url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"

    js = origin(js_url)
    api = origin(api_base) if api_base else "https://api.stripe.com"
    return (policy.replace("script-src 'self'", f"script-src 'self' {js}")
            + f"; connect-src 'self' {api} {js}; frame-src {js} https://hooks.stripe.com")


def register(app: Flask) -> None:
    """Add the headers in an after_request hook."""

    @app.after_request
    def add_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response
