"""Site-wide routes: language switch, media files, robots.txt and a health check."""
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    request,
    send_from_directory,
    url_for,
)

from catalogue.storage import stored_locally
from shop.core.urls import site_url
from shop.i18n import LANGUAGE_COOKIE
from shop.security import safe_next

bp = Blueprint("site", __name__)


@bp.get("/sprak/<code>")
def set_language(code: str):
    """Remember the chosen language in a cookie and go back to the page the visitor was on."""
    target = safe_next(request.args.get("next")) or url_for("catalogue.home")
    response = redirect(target)
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(
            LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response


@bp.get("/media/<path:filename>")
def media(filename: str):
    """Serve uploaded and generated images from MEDIA_ROOT; with S3 storage, MEDIA_URL points elsewhere and this is 404."""
    if not stored_locally(current_app.config):
        abort(404)
    return send_from_directory(current_app.config["MEDIA_ROOT"], filename, max_age=365 * 24 * 3600)


@bp.get("/robots.txt")
def robots():
    lines = [
        "User-agent: *",
        "Disallow: /logg-inn",
        "Disallow: /registrer",
        "Disallow: /glemt-passord",
        "Disallow: /nytt-passord/",
        "Disallow: /konto",
        "Disallow: /handlekurv",
        "Disallow: /kasse/",
        "Disallow: /ordre/",
        "Disallow: /sprak/",
        f"Sitemap: {site_url('catalogue.sitemap')}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}
