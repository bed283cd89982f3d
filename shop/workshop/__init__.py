"""Workshop staff pages (/workshop): one parent blueprint with ONE guard (staff of a unit), one child
blueprint per area. A route added to any child is guarded without a decorator."""
from __future__ import annotations

from flask import Blueprint

from shop.accounts.guards import guard_audience

AUDIENCE = ("staff",)


def blueprint() -> Blueprint:
    """The /workshop blueprint with its areas nested in it."""
    from shop.workshop import packing

    parent = Blueprint("workshop", __name__, url_prefix="/workshop")
    guard_audience(parent, AUDIENCE, unit_required=True)
    parent.register_blueprint(packing.bp)
    return parent
