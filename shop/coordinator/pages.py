"""The coordinator's legal pages (/coordinator/sider): terms, withdrawal, privacy, accessibility, contact and
about, in both languages, edited in Markdown and reset to the shipped text."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from shop.coordinator.forms import LegalPageForm
from shop.core.actor import Actor
from shop.core.http import abort_with_message
from shop.extensions import db
from shop.legal import services as legal
from shop.legal.views import placeholder_values

bp = Blueprint("pages", __name__, url_prefix="/sider")
LANGUAGE_NAMES = {"nb": _l("Norwegian bokmål"), "en": _l("English")}


def _known(slug: str, locale: str) -> None:
    if slug not in legal.PAGES or locale not in legal.LOCALES:
        abort_with_message(404, _("There is no such page."))


@bp.get("", endpoint="index")
def index():
    return render_template("coordinator/pages/index.html", pages=legal.PAGES, texts=legal.texts(db.session),
                           locales=legal.LOCALES, language_names=LANGUAGE_NAMES)


@bp.route("/<slug>/<locale>", methods=["GET", "POST"])
def edit(slug: str, locale: str):
    _known(slug, locale)
    shown = legal.text(db.session, slug, locale)
    form = LegalPageForm(data={"body": shown.body})
    previewing = request.form.get("action") == "preview"
    if previewing:
        form.validate_on_submit()  # the message by the field, and nothing saved
    elif form.validate_on_submit():
        try:
            legal.save(db.session, Actor.of(current_user), slug, locale, form.body.data)
            db.session.commit()
        except IntegrityError:  # another coordinator saved the page's first own text at the same moment
            db.session.rollback()
            legal.save(db.session, Actor.of(current_user), slug, locale, form.body.data)
            db.session.commit()
        flash(_("The page is saved."), "success")
        return redirect(url_for("coordinator.pages.edit", slug=slug, locale=locale), 303)
    preview = legal.render(form.body.data or "", placeholder_values())
    return render_template("coordinator/pages/edit.html", form=form, slug=slug, locale=locale, shown=shown,
                           title=legal.PAGES[slug], language=LANGUAGE_NAMES[locale], preview=preview,
                           placeholders=legal.PLACEHOLDERS, previewing=previewing), 400 if form.errors else 200


@bp.post("/<slug>/<locale>/tilbakestill")
def reset(slug: str, locale: str):
    _known(slug, locale)  # CSRFProtect has checked the token of every POST
    if legal.reset(db.session, Actor.of(current_user), slug, locale):
        db.session.commit()
        flash(_("The page has the shipped text again."), "success")
    else:
        flash(_("The page already has the shipped text."), "info")
    return redirect(url_for("coordinator.pages.edit", slug=slug, locale=locale), 303)
