"""The customer's withdrawal form: how many items of each line to withdraw from, and why (optional)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length, Optional

from shop.core.forms import quantity_field


class WithdrawalForm(FlaskForm):
    reason = TextAreaField(_l("Why? (optional; it helps the workshop)"), render_kw={"rows": 3},
                           validators=[Optional(), Length(max=1000)])
    # One withdrawal per form shown: a second click finds the first.
    request_key = HiddenField(validators=[Length(min=16, max=64)])


def withdrawal_form(lines: list[tuple[int, str, int]], formdata=None, **data) -> WithdrawalForm:
    """The form for the lines that may be withdrawn from [(order line id, title, items left)]: a field per line."""

    class Form(WithdrawalForm):
        pass

    for line_id, title, left in lines:
        setattr(Form, f"line_{line_id}", quantity_field(_l("%(title)s: how many to send back (at most %(left)d)", title=title, left=left), left))
    return Form(data=data) if formdata is None else Form(formdata=formdata)
