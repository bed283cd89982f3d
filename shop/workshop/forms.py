"""Workshop staff forms: a listing, its pictures, and finding the unit's listings."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, MultipleFileField, RadioField, SearchField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, StopValidation

from catalogue.listings import MAX_LEAD_TIME_DAYS, STATUS_LABELS, ListingInput
from catalogue.models import KINDS, PRODUCT_STATUSES
from shop.core.forms import IntegerField, KronerField, kroner_and_ore

VAT_CHOICES = [SelectChoice(2500, _l("25 %")), SelectChoice(1500, _l("15 % (food)")), SelectChoice(1200, _l("12 %")),
               SelectChoice(0, _l("0 %"))]
MAX_ATTRIBUTES = 30


def parse_attributes(text: str) -> dict[str, str]:
    """Read "name: value" lines into a dict; blank lines are skipped.

    Raises:
        ValueError: a line without a name, a colon or a value, or too many or too long lines.
    """
    attributes: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        name, value = name.strip(), value.strip()
        if not colon or not name or not value:
            raise ValueError(str(_l('Write each property on its own line as "name: value", for example "Material: eik".')))
        if len(name) > 60 or len(value) > 200:
            raise ValueError(str(_l("Keep each name under 60 and each value under 200 characters.")))
        attributes[name] = value
    if len(attributes) > MAX_ATTRIBUTES:
        raise ValueError(str(_l("At most %(count)s properties.", count=MAX_ATTRIBUTES)))
    return attributes


def _attributes_readable(form, field) -> None:
    try:
        parse_attributes(field.data or "")
    except ValueError as error:
        raise StopValidation(str(error)) from error


def _lead_time_when_made_to_order(form, field) -> None:
    if form.made_to_order.data and field.data is None:
        raise StopValidation(_l("Say about how many days it takes to make."))


class ListingForm(FlaskForm):
    """A listing's fields, as staff type them; .listing() turns them into the service's input."""

    category_id = SelectField(_l("Category"), coerce=int, validators=[InputRequired(_l("Choose a category."))])
    kind = RadioField(_l("Goods or service"), choices=[SelectChoice(value, label) for value, label in KINDS.items()], default="goods",
                      validators=[InputRequired(_l("Choose goods or service."))])
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the listing a title.")), Length(max=200)])
    summary = StringField(_l("Summary (one sentence)"), validators=[Optional(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10000)],
                                render_kw={"rows": 6})
    price = KronerField(_l("Price including VAT (kr)"), places=2,
                        render_kw={"inputmode": "decimal", "autocomplete": "off"},
                        validators=[InputRequired(_l("Enter a price.")), kroner_and_ore,
                                    NumberRange(min=Decimal(0), message=_l("The price cannot be negative."))])
    vat_rate_bp = SelectField(_l("VAT rate (MVA)"), coerce=int, choices=VAT_CHOICES, default=2500)
    attributes = TextAreaField(_l("Properties"), validators=[Optional(), Length(max=8000), _attributes_readable],
                               render_kw={"rows": 4})
    made_to_order = BooleanField(_l("Made to order when not in stock"))
    lead_time_days = IntegerField(_l("Lead time (days)"), render_kw={"inputmode": "numeric"},
                                  validators=[_lead_time_when_made_to_order, Optional(),
                                              NumberRange(min=0, max=MAX_LEAD_TIME_DAYS,
                                                          message=_l("Enter a number of days from 0 to 365."))])
    training_value = TextAreaField(_l("What the work trains"), validators=[Optional(), Length(max=2000)],
                                   render_kw={"rows": 3})

    def set_categories(self, tree) -> None:
        """Offer the category tree ([(top, children)]) as choices, children named under their parent."""
        choices = []
        for top, children in tree:
            choices.append(SelectChoice(top.id, top.name))
            choices.extend(SelectChoice(child.id, f"{top.name} › {child.name}") for child in children)
        self.category_id.choices = choices

    def fill(self, data: ListingInput) -> None:
        """Show a listing's data (on a GET; a re-rendered POST keeps what was typed)."""
        for name in ("category_id", "kind", "title", "summary", "description", "vat_rate_bp", "made_to_order",
                     "lead_time_days", "training_value"):
            getattr(self, name).data = getattr(data, name)
        self.price.data = Decimal(data.price_ore) / 100
        self.attributes.data = "\n".join(f"{name}: {value}" for name, value in data.attributes.items())

    def listing(self) -> ListingInput:
        """The validated form as the service's input."""
        return ListingInput(
            category_id=self.category_id.data, kind=self.kind.data, title=self.title.data.strip(),
            summary=(self.summary.data or "").strip(), description=(self.description.data or "").strip(),
            price_ore=self.price.ore, vat_rate_bp=self.vat_rate_bp.data,
            attributes=parse_attributes(self.attributes.data or ""), made_to_order=bool(self.made_to_order.data),
            lead_time_days=self.lead_time_days.data, training_value=(self.training_value.data or "").strip(),
        )


def _files_chosen(form, field) -> None:
    if not chosen_files(field):
        raise StopValidation(_l("Choose one or more pictures."))


def _alt_text_unless_decorative(form, field) -> None:
    if not form.decorative.data and not (field.data or "").strip():
        raise StopValidation(_l("Describe what the picture shows, or mark it as decorative."))


def chosen_files(field) -> list:
    """The files actually chosen in a file field (a browser sends an empty part when none is)."""
    return [f for f in (field.data or []) if getattr(f, "filename", "")]


class PicturesForm(FlaskForm):
    """Upload one or more pictures with one alt text (changed per picture afterwards)."""

    pictures = MultipleFileField(_l("Pictures (JPEG, PNG, WebP or HEIC)"), validators=[_files_chosen],
                                 render_kw={"accept": "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"})
    alt_text = StringField(_l("Alt text: what the picture shows"),
                           validators=[_alt_text_unless_decorative, Length(max=300)])
    decorative = BooleanField(_l("Decorative picture (shows nothing a description would add)"))


class NewListingForm(ListingForm):
    """The listing's fields with optional first pictures."""

    pictures = MultipleFileField(_l("Pictures (JPEG, PNG, WebP or HEIC), optional"),
                                 render_kw={"accept": "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"})
    alt_text = StringField(_l("Alt text: what the pictures show"), validators=[Length(max=300)])
    decorative = BooleanField(_l("Decorative pictures (show nothing a description would add)"))

    def validate_alt_text(self, field) -> None:
        if chosen_files(self.pictures):
            _alt_text_unless_decorative(self, field)


class AltTextForm(FlaskForm):
    """One picture's alt text; made with prefix="bilde-<id>" so each picture's fields have their own names.

    The app-wide CSRFProtect checks the page's plain csrf_token before the view runs; the form's own
    token would be named after the prefix, so it is off here.
    """

    class Meta:
        csrf = False

    alt_text = StringField(_l("Alt text"), validators=[_alt_text_unless_decorative, Length(max=300)])
    decorative = BooleanField(_l("Decorative"))


class ListingFilterForm(FlaskForm):
    """Find the unit's listings: GET only, so no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField(_l("Title or item number"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Status"),
                         choices=[SelectChoice("", _l("All")), SelectChoice("changes", _l("Changes waiting for review"))]
                         + [SelectChoice(value, STATUS_LABELS[value]) for value in PRODUCT_STATUSES],
                         validators=[Optional()])
