"""Checkout forms: contact, delivery and payment method, validated on the server."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, StringField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from shop.core.norway import normalise_org_number, valid_org_number, valid_postcode


class CheckoutForm(FlaskForm):
    """Contact, delivery and payment. Address and invoice fields are required only for their choice,
    so they carry no Optional() (which would stop the chain before the conditional check)."""

    name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter your name.")), Length(max=200)],
                       render_kw={"autocomplete": "name"})
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter your e-mail address.")),
                                                 Email(_l("Enter a valid e-mail address.")), Length(max=254)],
                       render_kw={"autocomplete": "email"})
    phone = TelField(_l("Phone (optional)"), validators=[Optional(), Length(max=40)], render_kw={"autocomplete": "tel"})
    delivery_method = RadioField(_l("Delivery"), default="shipping", validators=[InputRequired(_l("Choose how you want the goods."))],
                                 choices=[SelectChoice("shipping", _l("Send to an address in Norway")),
                                          SelectChoice("pickup", _l("Pick up at the workshop that made it"))])
    address_line = StringField(_l("Street address"), validators=[Length(max=200)],
                               render_kw={"autocomplete": "street-address"})
    postcode = StringField(_l("Postcode"), validators=[Length(max=4)],
                           render_kw={"autocomplete": "postal-code", "inputmode": "numeric", "maxlength": 4})
    city = StringField(_l("Town"), validators=[Length(max=100)], render_kw={"autocomplete": "address-level2"})
    payment_method = RadioField(_l("Payment"), default="card", validators=[InputRequired(_l("Choose how you want to pay."))],
                                choices=[SelectChoice("card", _l("Card")),
                                         SelectChoice("invoice", _l("Invoice (businesses and public agencies)"))])
    organisation_name = StringField(_l("Organisation name"), validators=[Length(max=200)],
                                    render_kw={"autocomplete": "organization"})
    org_number = StringField(_l("Organisation number"), validators=[Length(max=20)],
                             render_kw={"inputmode": "numeric"})
    buyer_reference = StringField(_l("Buyer reference or purchase order number"), validators=[Length(max=100)])
    invoice_email = EmailField(_l("E-mail for the invoice"), validators=[Optional(), Email(_l("Enter a valid e-mail address.")),
                                                                         Length(max=254)])

    def validate_address_line(self, field):
        if self.delivery_method.data == "shipping" and not (field.data or "").strip():
            raise ValidationError(_l("Enter the street address we should send to."))

    def validate_postcode(self, field):
        if self.delivery_method.data == "shipping" and not valid_postcode((field.data or "").strip()):
            raise ValidationError(_l("Enter a Norwegian postcode of four digits."))

    def validate_city(self, field):
        if self.delivery_method.data == "shipping" and not (field.data or "").strip():
            raise ValidationError(_l("Enter the town."))

    def validate_organisation_name(self, field):
        if self.payment_method.data == "invoice" and not (field.data or "").strip():
            raise ValidationError(_l("Enter the name of the business or agency to invoice."))

    def validate_org_number(self, field):
        if self.payment_method.data == "invoice":
            if not valid_org_number(normalise_org_number(field.data or "")):
                raise ValidationError(_l("Enter a valid organisation number: nine digits, as in the Brønnøysund registers."))

    def validate_buyer_reference(self, field):
        if self.payment_method.data == "invoice" and not (field.data or "").strip():
            raise ValidationError(_l("Enter your reference or purchase order number; the invoice must carry it."))

