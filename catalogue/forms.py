"""The storefront's filter form, read from the query string so a filtered list can be shared as a link."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SearchField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional, ValidationError

from catalogue.browse import Filters
from catalogue.models import KINDS, REGIONS
from shop.core.forms import IntegerField, KeptTranslations

MAX_PRICE_KR = 10_000_000


def options(pairs) -> list[SelectChoice]:
    """Turn (value, label) pairs into select options."""
    return [SelectChoice(value, label) for value, label in pairs]


def sort_choices(with_relevance: bool) -> list[tuple[str, str]]:
    choices = [("relevance", _l("Best match"))] if with_relevance else []
    return choices + [
        ("newest", _l("Newest")),
        ("price_asc", _l("Price, lowest first")),
        ("price_desc", _l("Price, highest first")),
        ("name", _l("Name, A–Z")),
    ]


class FilterForm(FlaskForm):
    """Filters for category, search and all-products pages. GET only, so no CSRF token."""

    class Meta(KeptTranslations):
        csrf = False

    q = SearchField(_l("Search"))
    unit = SelectField(_l("Made by"), validate_choice=True, validators=[Optional()])
    region = SelectField(_l("Region"), choices=options([("", _l("All regions"))] + list(REGIONS.items())), validators=[Optional()])
    kind = SelectField(_l("Type"), choices=options([("", _l("Goods and services"))] + list(KINDS.items())), validators=[Optional()])
    min_price = IntegerField(
        _l("Price from (kr)"),
        validators=[Optional(), NumberRange(min=0, max=MAX_PRICE_KR, message=_l("Enter a whole number of kroner, 0 or more."))],
    )
    max_price = IntegerField(
        _l("Price to (kr)"),
        validators=[Optional(), NumberRange(min=0, max=MAX_PRICE_KR, message=_l("Enter a whole number of kroner, 0 or more."))],
    )
    in_stock = BooleanField(_l("Only goods in stock now"), false_values=("", "0", "false"))
    sort = SelectField(_l("Sort by"), validators=[Optional()])

    def __init__(self, formdata, *, units, with_relevance: bool):
        super().__init__(formdata=formdata)
        self.unit.choices = options([("", _l("All units"))] + [(u.slug, u.name) for u in units])
        sorts = sort_choices(with_relevance)
        self.sort.choices = options(sorts)
        # An unknown sort order in a shared link is not worth an error: fall back to the default.
        if self.sort.data not in dict(sorts):
            self.sort.data = sorts[0][0]

    def filters(self, units, *, category_ids: list[int] | None) -> Filters:
        """Return the filters to apply: fields that failed validation are left out, not guessed at."""

        def valid(field):
            return None if field.errors else field.data

        unit_slug = valid(self.unit)
        return Filters(
            category_ids=category_ids,
            unit_id=next((u.id for u in units if u.slug == unit_slug), None),
            region=valid(self.region) or None,
            kind=valid(self.kind) or None,
            min_price_ore=None if valid(self.min_price) is None else self.min_price.data * 100,
            max_price_ore=None if valid(self.max_price) is None else self.max_price.data * 100,
            in_stock=bool(self.in_stock.data),
            query=(self.q.data or "").strip()[:200] or None,
            sort=self.sort.data,
        )

    def validate_max_price(self, field):
        if field.data is not None and self.min_price.data is not None and field.data < self.min_price.data:
            raise ValidationError(_l("The highest price must be at least the lowest price."))
