"""The national coordinator's pages (/coordinator): one parent blueprint with ONE guard (coordinators
and administrators), one child blueprint per area. A route added to any child is guarded without a
decorator."""
from __future__ import annotations

from importlib import import_module

from flask import Blueprint

from shop.accounts.guards import guard_audience

AUDIENCE = ("coordinator", "admin")
# One module per area, each with a blueprint `bp`: shop/coordinator/<area>.py.
AREAS = ("home", "orders", "reviews", "collections", "overview", "reports", "units", "people", "audit", "development", "pages", "invoices", "returns")


def blueprint() -> Blueprint:
    """The /coordinator blueprint with its areas nested in it."""
    parent = Blueprint("coordinator", __name__, url_prefix="/coordinator")
    guard_audience(parent, AUDIENCE)
    for area in AREAS:
        parent.register_blueprint(import_module(f"shop.coordinator.{area}").bp)
    return parent
