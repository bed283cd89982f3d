"""Error pages in the shop's look, and JSON-free plain answers for bad requests."""
from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException, SecurityError

from shop.extensions import db


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("We could not understand the request. Check the address or the form and try again.")),
        403: (_("No access"), _("You do not have access to this page.")),
        404: (_("Page not found"), _("We could not find the page you asked for. It may have been moved or taken down.")),
        405: (_("Not allowed"), _("That action is not allowed on this address.")),
        413: (_("Too large"), _("The file you sent is too large.")),
        429: (_("Too many requests"), _("You have made too many requests. Wait a little and try again.")),
        500: (_("Something went wrong"), _("An error occurred on our side. Try again in a little while.")),
    }


def render_error(code: int, detail: str | None = None):
    """Render the error page for an HTTP status code."""
    title, text = _messages().get(code, (_("Error"), _("Something went wrong.")))
    return render_template("errors/error.html", code=code, title=title, text=detail or text), code


def register(app: Flask) -> None:
    """Install the handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(400, _("The form had expired or was sent from elsewhere. Go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if isinstance(error, SecurityError):
            # An untrusted Host header: no URLs can be built for it, so answer plainly.
            return "Bad request: unknown host name.\n", 400, {"Content-Type": "text/plain; charset=utf-8"}
        code = error.code or 500
        # Our own abort(400, description=...) carries a message meant for the visitor.
        detail = error.description if getattr(error, "user_message", False) else None
        return render_error(code, detail)

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def unstorable_value(error: Exception):
        # The last line of defence: a value the database cannot take (a number too large for its
        # column, say) that no form or converter caught. It is the request's fault, not ours; the
        # plumbing (shop.security, shop.core.forms) should have refused it earlier, so log it.
        if isinstance(error, OverflowError) and "SQLite" not in str(error):
            return server_error(error)  # an overflow in our own arithmetic is our fault
        app.logger.warning("A value the database cannot store reached a query", exc_info=error)
        db.session.rollback()
        return render_error(400, _("A value in the request is too large or cannot be stored. Check it and try again."))

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        app.logger.exception("Unhandled error")
        db.session.rollback()
        return render_error(500)
