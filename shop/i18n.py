"""Language choice: Norwegian bokmål by default, English when the visitor picks it."""
from flask import current_app, request

LANGUAGE_COOKIE = "lang"


def select_locale() -> str:
    """Return the visitor's chosen language, or bokmål."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]
