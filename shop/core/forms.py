"""Form fields every package uses: whole numbers that fit the database, and amounts in kroner.

Use these instead of WTForms' IntegerField (tests/test_layout.py keeps it so): a number that does not
fit the database's integer type gets the form's message instead of reaching a query.
"""
from __future__ import annotations

import re
from decimal import Decimal

from babel import support
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import DecimalField
from wtforms import IntegerField as _WTFormsIntegerField
from wtforms.i18n import messages_path
from wtforms.validators import NumberRange, Optional, StopValidation
from wtforms.widgets import TextInput

# PostgreSQL's integer (int4), the type of every id and amount column.
DB_INT_MIN, DB_INT_MAX = -(2**31), 2**31 - 1
# The largest amount a form accepts, in kroner: far above any order, far below the integer limit in øre.
MAX_KRONER = Decimal(10000000)


_WTFORMS_TRANSLATIONS: dict[str, support.Translations] = {}


class KeptTranslations:
    """A form Meta mixin: WTForms' own messages in the visitor's language, loaded once per process and language
    (Flask-WTF reads the catalogue from disk on every request; the storefront's filter forms are on every list)."""

    def get_translations(self, form):
        locale = str(get_locale())
        if locale not in _WTFORMS_TRANSLATIONS:
            _WTFORMS_TRANSLATIONS[locale] = support.Translations.load(messages_path(), [locale], domain="wtforms")
        return _WTFORMS_TRANSLATIONS[locale]


class IntegerField(_WTFormsIntegerField):
    """A whole number that fits the database's integer columns; anything else is the field's error."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not DB_INT_MIN <= self.data <= DB_INT_MAX:
            self.data = None
            raise ValueError(str(_l("Enter a number with fewer digits.")))


def kroner_and_ore(form, field) -> None:
    """A finite amount with at most two decimals (øre), within MAX_KRONER; otherwise stop with a message."""
    value = field.data
    if value is None or not value.is_finite() or value.as_tuple().exponent < -2 or abs(value) > MAX_KRONER:
        field.errors[:] = []
        raise StopValidation(_l("Enter an amount in kroner, with at most two decimals."))


class KronerField(DecimalField):
    """An amount in kroner typed the Norwegian way ("100,50", "1 250") or with a point.

    A text box, not type=number: a browser's number box can drop a decimal comma without a word
    and turn 100,50 into 10050. Pair it with kroner_and_ore, and read .ore for the amount in øre.
    """

    widget = TextInput()

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [re.sub(r"[\s\u00a0\u202f]", "", valuelist[0]).replace(",", ".")]
        super().process_formdata(valuelist)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return super()._value().replace(".", ",") if self.data is not None else ""

    @property
    def ore(self) -> int | None:
        """The amount in øre (exact once kroner_and_ore has passed)."""
        return None if self.data is None else int(self.data * 100)


def quantity_field(label, left: int) -> IntegerField:
    """A field for how many of a line to take (credit, send back): a whole number from 0 to what is left."""
    return IntegerField(label, default=0, render_kw={"inputmode": "numeric", "autocomplete": "off"},
                        validators=[Optional(), NumberRange(min=0, max=left, message=_l("Between 0 and %(max)d."))])
