"""Absolute links: built from the shop's own address (SITE_URL), never from the request's Host header."""
from __future__ import annotations

from flask import current_app, has_request_context, request, url_for


def site_url(endpoint: str, **values) -> str:
    """An absolute link to an endpoint, for e-mails, the sitemap, canonical and OpenGraph links.

    With SITE_URL set, the link is SITE_URL and the path, whatever host or scheme the request came
    with (a forged Host header, or plain HTTP behind a TLS proxy). Without it (a development
    machine) the request's own address is used.
    """
    return absolute(url_for(endpoint, **values))


def absolute(path: str) -> str:
    """Turn a path built by url_for (or the request's path) into an absolute link (see site_url)."""
    base = current_app.config.get("SITE_URL")
    if not base:
        if has_request_context():
            return request.host_url.rstrip("/") + path
        return path
    if has_request_context():
        root = request.script_root
    else:
        root = current_app.config.get("APPLICATION_ROOT") or ""
    root = root.rstrip("/")
    if root and path.startswith(root):
        path = path[len(root):]
    return base + path
