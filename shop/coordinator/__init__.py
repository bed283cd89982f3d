"""The national coordinator's pages (/coordinator): one parent blueprint with ONE guard (coordinators
and administrators), one child blueprint per area. A route added to any child is guarded without a
decorator."""
from __future__ import annotations

from flask import Blueprint

from shop.accounts.guards import guard_audience

AUDIENCE = ("coordinator", "admin")


def blueprint() -> Blueprint:
    """The /coordinator blueprint with its areas nested in it."""
    from shop.coordinator import orders

    parent = Blueprint("coordinator", __name__, url_prefix="/coordinator")
    guard_audience(parent, AUDIENCE)
    parent.register_blueprint(orders.bp)
    return parent
