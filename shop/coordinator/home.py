"""The coordinator's start page (/coordinator): the day's work across the country, most urgent first."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from catalogue import listings
from inventory import stocktake
from shop.core.actor import Actor
from shop.core.time import OSLO, utcnow
from shop.extensions import db
from shop.orders import fulfilment, invoices, returns
from shop.orders import services as orders

bp = Blueprint("home", __name__)


@bp.get("", endpoint="index")
def index():
    actor, now = Actor.of(current_user), utcnow()
    stale_days, stuck_days = current_app.config["STOCK_STALE_DAYS"], current_app.config["FULFILMENT_STUCK_DAYS"]
    return render_template(
        "coordinator/home/index.html", now=now,
        reviews=listings.review_summary(db.session, actor),
        orders=orders.coordinator_counts(db.session),
        stale=stocktake.stale_units(db.session, before=now - timedelta(days=stale_days)), stale_days=stale_days,
        overdue=fulfilment.overdue_made_to_order(db.session, actor, today=now.astimezone(OSLO).date()),
        stuck=fulfilment.stuck(db.session, actor, before=now - timedelta(days=stuck_days)), stuck_days=stuck_days,
        overdue_invoices=invoices.overdue_count(db.session, now.astimezone(OSLO).date()),
        open_returns=returns.open_count(db.session),
    )
