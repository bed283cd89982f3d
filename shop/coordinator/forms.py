"""Coordinator forms: finding orders, refunding and cancelling."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SearchField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from shop.core.forms import KronerField, kroner_and_ore
from shop.orders.models import ORDER_STATUS_LABELS


class RefundForm(FlaskForm):
    amount = KronerField(_l("Amount to refund (kr)"), places=2, render_kw={"inputmode": "decimal", "autocomplete": "off"},
                         validators=[InputRequired(_l("Enter an amount.")), kroner_and_ore,
                                     NumberRange(min=Decimal("0.01"), message=_l("Enter an amount above zero."))])
    # One refund per form shown: a second click (or a retry) reuses this key, so Stripe refunds once.
    request_key = HiddenField(validators=[DataRequired(), Length(min=16, max=64)])


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason (kept in the log)"),
                         validators=[DataRequired(_l("Say why the order is cancelled.")), Length(max=500)])


class OrderFilterForm(FlaskForm):
    """Find orders: GET only, so no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField(_l("Order number, name, organisation or e-mail"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Status"),
                         choices=[SelectChoice("", _l("All"))]
                         + [SelectChoice(value, label) for value, label in ORDER_STATUS_LABELS.items()],
                         validators=[Optional()])
    attention = BooleanField(_l("Only orders that need attention"), false_values=("", "0", "false"))
