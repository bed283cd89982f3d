"""Cart forms: adding to the cart and changing a quantity."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import InputRequired, NumberRange

from shop.core.forms import IntegerField


class QuantityForm(FlaskForm):
    """Add to cart, or change a quantity in the cart."""

    product_id = IntegerField(validators=[InputRequired(), NumberRange(min=1)])
    quantity = IntegerField(_l("Quantity"), default=1,
                            validators=[InputRequired(_l("Enter a quantity.")),
                                        NumberRange(min=0, max=99, message=_l("Choose a quantity from 0 to 99."))])
