"""Account forms: logging in, registering, and setting or resetting a password."""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

MIN_PASSWORD_LENGTH = 10
# Long enough for any passphrase or password manager, short enough that hashing stays cheap.
MAX_PASSWORD_LENGTH = 256

# A deliberately loose check (something@something.tld without spaces): the real test of an
# address is whether mail arrives, and a strict pattern rejects valid addresses.
_EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def email_address(form, field) -> None:
    """Reject values that cannot be an e-mail address."""
    if field.data and not _EMAIL_PATTERN.fullmatch(field.data.strip()):
        raise ValidationError(_l("Enter an e-mail address like name@example.no."))


def _at_most(characters: int) -> Length:
    return Length(max=characters, message=_l("Use at most %(max)d characters."))


def _email_field() -> EmailField:
    return EmailField(
        _l("E-mail"),
        validators=[DataRequired(_l("Enter your e-mail address.")), _at_most(254), email_address],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


def _new_password_fields(label=_l("New password"), again=_l("New password again")):
    """Return a new-password field and its confirmation, checked against each other."""
    password = PasswordField(
        label,
        validators=[
            DataRequired(_l("Choose a password.")),
            Length(min=MIN_PASSWORD_LENGTH, message=_l("Use at least %(min)d characters.")),
            _at_most(MAX_PASSWORD_LENGTH),
        ],
        render_kw={"autocomplete": "new-password", "minlength": MIN_PASSWORD_LENGTH},
    )
    confirm = PasswordField(
        again,
        validators=[
            DataRequired(_l("Type the password once more.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(_l("Enter your e-mail address.")), _at_most(254)],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )


class RegisterForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter your name.")), _at_most(200)],
        render_kw={"autocomplete": "name"},
    )
    email = _email_field()
    password, confirm = _new_password_fields(_l("Password"), _l("Password again"))
    min_password_length = MIN_PASSWORD_LENGTH


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class ResetPasswordForm(FlaskForm):
    password, confirm = _new_password_fields()
    min_password_length = MIN_PASSWORD_LENGTH


class AcceptInvitationForm(FlaskForm):
    """The invited person chooses their own password (nobody else ever sets or sees it)."""

    password, confirm = _new_password_fields(_l("Password"), _l("Password again"))
    min_password_length = MIN_PASSWORD_LENGTH


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = _new_password_fields()
    min_password_length = MIN_PASSWORD_LENGTH
