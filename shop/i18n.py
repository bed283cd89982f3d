"""Language choice: Norwegian bokmål by default, English when the visitor picks it."""
from flask import current_app, request

LANGUAGE_COOKIE = "lang"


def select_locale() -> str:
    """Return the visitor's chosen language, or bokmål."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def install_template_gettext(app) -> None:
    """Templates' _() and ngettext() with the request's translations looked up once per template, not once per
    string (Flask-Babel finds them through the request and app proxies on every call: dozens per page)."""
    from flask_babel import get_translations
    from jinja2 import pass_context

    def translations(context):
        found = getattr(context.eval_ctx, "translations", None)
        if found is None:
            found = context.eval_ctx.translations = get_translations()
        return found

    @pass_context
    def gettext(context, string):
        return translations(context).ugettext(string)

    @pass_context
    def ngettext(context, singular, plural, n):
        return translations(context).ungettext(singular, plural, n)

    app.jinja_env.install_gettext_callables(
        gettext=gettext, ngettext=ngettext, newstyle=True,
        pgettext=lambda c, s: get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: get_translations().unpgettext(c, s, p, n),
    )
