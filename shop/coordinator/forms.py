"""Coordinator forms: finding orders, refunding and cancelling; units, people, the audit log’s filters; legal pages."""
from __future__ import annotations

import secrets
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    SearchField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from catalogue.models import REGIONS
from catalogue.units import MAX_TRADE_LENGTH, MAX_TRADES, UnitInput
from shop.accounts.forms import email_address
from shop.core.forms import IntegerField, KronerField, kroner_and_ore, quantity_field
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


# Units

def _optional_id(value):
    """A select's value as an id, or None for the empty choice ("All", "No unit")."""
    if value in (None, "", "None"):
        return None
    return int(value)


def _trade_lines(form, field) -> None:
    lines = split_trades(field.data or "")
    if len(lines) > MAX_TRADES:
        raise StopValidation(_l("At most %(count)s trades.", count=MAX_TRADES))
    if any(len(line) > MAX_TRADE_LENGTH for line in lines):
        raise StopValidation(_l("Keep each trade under %(count)s characters.", count=MAX_TRADE_LENGTH))


def split_trades(text: str) -> list[str]:
    """The trades typed one per line (or separated by commas), blank ones left out."""
    return [t.strip() for line in text.splitlines() for t in line.split(",") if t.strip()]


def _at_most(characters: int) -> Length:
    return Length(max=characters, message=_l("Use at most %(max)d characters."))


class UnitForm(FlaskForm):
    """A unit's fields as the coordinator types them; .unit() turns them into the service's input."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Give the unit a name.")), _at_most(200)],
                       render_kw={"autocomplete": "organization"})
    region = SelectField(_l("Region"), choices=[SelectChoice(value, label) for value, label in REGIONS.items()],
                         validators=[InputRequired(_l("Choose a region."))])
    description = TextAreaField(_l("Description"), validators=[Optional(), _at_most(5000)], render_kw={"rows": 6})
    trades = TextAreaField(_l("Trades practised (one per line)"), validators=[Optional(), _at_most(2000), _trade_lines],
                           render_kw={"rows": 4})
    contact_name = StringField(_l("Contact person"), validators=[Optional(), _at_most(200)],
                               render_kw={"autocomplete": "off"})
    contact_phone = TelField(_l("Contact phone"), validators=[Optional(), _at_most(40)],
                             render_kw={"autocomplete": "off", "inputmode": "tel"})
    contact_email = EmailField(_l("Contact e-mail"), validators=[Optional(), _at_most(254), email_address],
                               render_kw={"autocomplete": "off", "spellcheck": "false"})
    postal_address = TextAreaField(_l("Postal address"), validators=[Optional(), _at_most(500)], render_kw={"rows": 3})
    visiting_address = TextAreaField(_l("Visiting address"), validators=[Optional(), _at_most(500)],
                                     render_kw={"rows": 3})
    opening_hours = TextAreaField(_l("Opening hours for pickup"), validators=[Optional(), _at_most(500)],
                                  render_kw={"rows": 3})
    active = BooleanField(_l("Active: the unit's published products are on sale"), default=True)

    def fill(self, data: UnitInput) -> None:
        """Show a unit's data (on a GET; a re-rendered POST keeps what was typed)."""
        for name in ("name", "region", "description", "contact_name", "contact_phone", "contact_email",
                     "postal_address", "visiting_address", "opening_hours", "active"):
            getattr(self, name).data = getattr(data, name)
        self.trades.data = "\n".join(data.trades)

    def unit(self) -> UnitInput:
        """The validated form as the service's input."""
        text = {name: (getattr(self, name).data or "").strip()
                for name in ("name", "description", "contact_name", "contact_phone", "contact_email", "postal_address",
                             "visiting_address", "opening_hours")}
        return UnitInput(**text, region=self.region.data, trades=tuple(split_trades(self.trades.data or "")),
                         active=bool(self.active.data))


class UnitFilterForm(FlaskForm):
    """Find units: GET only, so no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField(_l("Name or contact"), validators=[Optional(), Length(max=100)])
    region = SelectField(_l("Region"), choices=[SelectChoice("", _l("All"))]
                         + [SelectChoice(value, label) for value, label in REGIONS.items()], validators=[Optional()])
    status = SelectField(_l("Status"), choices=[SelectChoice("", _l("All")), SelectChoice("active", _l("Active")),
                                                SelectChoice("inactive", _l("Inactive"))], validators=[Optional()])


# People

def unit_choices(units, *, empty_label) -> list[SelectChoice]:
    """Units as a select's choices ((id, name, active) from catalogue.units.choices), inactive ones marked."""
    return [SelectChoice("", empty_label)] + [
        SelectChoice(unit_id, name if active else _l("%(name)s (inactive)", name=name))
        for unit_id, name, active in units]


class InviteForm(FlaskForm):
    """A new staff, coordinator or admin account: the person gets a link to choose their own password."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the person's name.")), _at_most(200)],
                       render_kw={"autocomplete": "off"})
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter the person's e-mail address.")),
                                                 _at_most(254), email_address],
                       render_kw={"autocomplete": "off", "spellcheck": "false"})
    role = SelectField(_l("Role"), validators=[InputRequired(_l("Choose a role."))])
    unit_id = SelectField(_l("Unit"), coerce=_optional_id)

    def set_choices(self, roles: dict[str, str], units) -> None:
        self.role.choices = [SelectChoice(value, label) for value, label in roles.items()]
        self.unit_id.choices = unit_choices(units, empty_label=_l("No unit (coordinators and admins)"))

    def validate_unit_id(self, field) -> None:
        if self.role.data == "staff" and field.data is None:
            raise StopValidation(_l("Workshop staff always belong to a unit. Choose one."))


class PersonForm(FlaskForm):
    """Rename an account, or move it to another unit."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the person's name.")), _at_most(200)],
                       render_kw={"autocomplete": "off"})
    unit_id = SelectField(_l("Unit"), coerce=_optional_id)

    def set_choices(self, units, *, staff: bool) -> None:
        self.unit_id.choices = unit_choices(units, empty_label=_l("Choose a unit") if staff else _l("No unit"))
        self._staff = staff

    def validate_unit_id(self, field) -> None:
        if getattr(self, "_staff", False) and field.data is None:
            raise StopValidation(_l("Workshop staff always belong to a unit. Choose one."))


class PeopleFilterForm(FlaskForm):
    """Find people: GET only, so no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField(_l("Name or e-mail"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Role"), validators=[Optional()])
    unit = SelectField(_l("Unit"), coerce=_optional_id, validators=[Optional()])
    status = SelectField(_l("Status"), choices=[SelectChoice("", _l("All")), SelectChoice("active", _l("Active")),
                                                SelectChoice("invited", _l("Invited, not yet accepted")),
                                                SelectChoice("inactive", _l("Deactivated"))], validators=[Optional()])

    def set_choices(self, roles: dict[str, str], units) -> None:
        self.role.choices = [SelectChoice("", _l("All"))] + [SelectChoice(v, label) for v, label in roles.items()]
        self.unit.choices = unit_choices(units, empty_label=_l("All"))


# The audit log

def _plausible_day(form, field) -> None:
    if field.data is not None and not 2000 <= field.data.year <= 2999:
        raise StopValidation(_l("Enter a date between the years 2000 and 2999."))


def _until_not_before_since(form, field) -> None:
    if field.data is not None and form.since.data is not None and field.data < form.since.data:
        raise StopValidation(_l("The last day cannot be before the first."))


class AuditFilterForm(FlaskForm):
    """Filter the audit log: GET only, so no CSRF token. Dates are Oslo calendar days, both included."""

    class Meta:
        csrf = False

    unit = SelectField(_l("Unit"), coerce=_optional_id, validators=[Optional()])
    person = SelectField(_l("Who"), coerce=_optional_id, validators=[Optional()])
    action = SelectField(_l("What"), validators=[Optional()])
    object_type = SelectField(_l("Kind of object"), validators=[Optional()])
    object_id = IntegerField(_l("Object id"), render_kw={"inputmode": "numeric"},
                             validators=[Optional(), NumberRange(min=1, message=_l("Enter a whole number above zero."))])
    since = DateField(_l("From (date)"), validators=[Optional(), _plausible_day],
                      render_kw={"autocomplete": "off"})
    until = DateField(_l("To (date)"), validators=[Optional(), _plausible_day, _until_not_before_since],
                      render_kw={"autocomplete": "off"})

    def set_choices(self, *, units, people, actions: list[tuple[str, str]], object_types: list[tuple[str, str]]) -> None:
        self.unit.choices = unit_choices(units, empty_label=_l("All units"))
        self.person.choices = [SelectChoice("", _l("Everyone"))] + [SelectChoice(i, label) for i, label in people]
        self.action.choices = [SelectChoice("", _l("Every action"))] + [SelectChoice(c, label) for c, label in actions]
        self.object_type.choices = [SelectChoice("", _l("Every kind"))] + [
            SelectChoice(c, label) for c, label in object_types]


class LegalPageForm(FlaskForm):
    """A legal page's text in one language, in Markdown."""

    body = TextAreaField(_l("Text"), render_kw={"rows": 24, "spellcheck": "true"},
                         validators=[DataRequired(_l("Write the page’s text, or reset it to the shipped text.")),
                                     Length(max=50_000, message=_l("The text can be at most %(max)d characters."))])


class CreditNoteForm(FlaskForm):
    """A credit note against an invoice: how many of each line (fields line-<order line id>, added per invoice),
    the shipping, and why."""

    shipping = BooleanField(_l("Credit the shipping"))
    reason = StringField(_l("Reason (printed on the credit note)"),
                         validators=[DataRequired(_l("Say why the amount is credited.")), Length(max=500)])
    # One credit note per form shown: a second click finds the first.
    request_key = HiddenField(validators=[Length(max=64)])


class InvoiceFilterForm(FlaskForm):
    """Which invoices to list: GET only, so no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField(_l("Show"), choices=[SelectChoice("", _l("All")), SelectChoice("issued", _l("Issued, not sent")),
                                              SelectChoice("sent", _l("Sent, not paid")),
                                              SelectChoice("overdue", _l("Overdue")), SelectChoice("paid", _l("Paid"))],
                         default="", validate_choice=True)


def credit_note_form(lines: list[tuple[int, str, int]], formdata=None) -> CreditNoteForm:
    """The credit note form for an invoice's lines [(order line id, title, items left to credit)]: one whole-number
    field per line, named line_<id>, from 0 to what is left."""

    class Form(CreditNoteForm):
        pass

    for line_id, title, left in lines:
        setattr(Form, f"line_{line_id}", quantity_field(_l("%(title)s: items to credit (at most %(left)d)", title=title, left=left), left))
    return Form(request_key=secrets.token_urlsafe(24)) if formdata is None else Form(formdata=formdata)
