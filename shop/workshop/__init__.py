"""Workshop staff pages (/workshop): one parent blueprint with ONE guard (staff of a unit), one child
blueprint per area. A route added to any child is guarded without a decorator."""
from __future__ import annotations

from importlib import import_module

from flask import Blueprint

from shop.accounts.guards import guard_audience

AUDIENCE = ("staff",)
# One module per area, each with a blueprint `bp`: shop/workshop/<area>.py.
AREAS = ("home", "packing", "stock", "listings", "stock_csv", "development", "returns")


def blueprint() -> Blueprint:
    """The /workshop blueprint with its areas nested in it."""
    parent = Blueprint("workshop", __name__, url_prefix="/workshop")
    guard_audience(parent, AUDIENCE, unit_required=True)
    for area in AREAS:
        parent.register_blueprint(import_module(f"shop.workshop.{area}").bp)
    return parent
