"""The staff start page (/workshop): what needs the unit today, most urgent first."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.routing import BuildError

from catalogue.models import Product, ProductRevision
from inventory import stocktake
from shop.core.actor import Actor
from shop.core.time import OSLO, utcnow
from shop.extensions import db
from shop.orders import fulfilment, returns

bp = Blueprint("home", __name__)


@bp.get("", endpoint="index")
def index():
    unit_id, now = current_user.unit_id, utcnow()
    to_pack = fulfilment.queue(db.session, Actor.of(current_user), view="open")
    due_by = (now + timedelta(days=current_app.config["MADE_TO_ORDER_DUE_DAYS"])).astimezone(OSLO).date()
    stale_before = now - timedelta(days=current_app.config["STOCK_STALE_DAYS"])
    return render_template(
        "workshop/home/index.html",
        to_pack=[f for f in to_pack if f.status == "pending"], to_hand_over=[f for f in to_pack if f.status != "pending"],
        due=fulfilment.due_made_to_order(db.session, unit_id, until=due_by), due_by=due_by,
        stale=stocktake.stale_count(db.session, unit_id, before=stale_before),
        stale_days=current_app.config["STOCK_STALE_DAYS"],
        low=stocktake.stock_rows(db.session, unit_id, now=now, low_only=True),
        listings=_listings_needing_work(unit_id), listings_url=_url_or_none("workshop.listings.index"),
        returns_to_receive=returns.to_receive_count(db.session, unit_id),
    )


def _listings_needing_work(unit_id: int) -> dict[str, int]:
    """How many of the unit's listings were sent back, and how many wait for the coordinator."""
    counts = dict(db.session.execute(
        select(Product.status, func.count()).where(Product.unit_id == unit_id, Product.status.in_(("rejected",
                                                                                                   "submitted")))
        .group_by(Product.status)
    ).tuples().all())
    counts["revisions"] = db.session.scalar(
        select(func.count()).select_from(ProductRevision).join(Product)
        .where(Product.unit_id == unit_id, ProductRevision.state == "pending")
    ) or 0
    return counts


def _url_or_none(endpoint: str) -> str | None:
    try:
        return url_for(endpoint)
    except BuildError:
        return None
