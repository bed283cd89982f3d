"""The project's flask commands: demo and benchmark data, search index, stock ledger check, users."""
from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from shop.extensions import db


@click.command("seed-demo")
@click.option("--once", is_flag=True, help="Do nothing if the demo data is already there.")
@with_appcontext
def seed_demo_command(once: bool) -> None:
    """Load the demo units, categories, products, stock, images and logins (idempotent)."""
    from shop.demo.seed import DEMO_LOGINS, seed_demo

    created = seed_demo(db.session, media_root=current_app.config["MEDIA_ROOT"])
    db.session.commit()
    if created:
        click.echo(f"Demo data loaded: {created}.")
    elif not once:
        click.echo("Demo data was already loaded; nothing changed.")
    click.echo("Demo logins (e-mail / password):")
    for role, (email, password, what) in DEMO_LOGINS.items():
        click.echo(f"  {role:<12} {email:<34} {password:<14} {what}")


@click.command("seed-bench")
@click.option("--products", default=20000, show_default=True, help="How many published products to make.")
@with_appcontext
def seed_bench_command(products: int) -> None:
    """Make a large published catalogue for benchmarks (on top of the demo units and categories)."""
    from shop.demo.bench import seed_bench

    made = seed_bench(db.session, products=products, media_root=current_app.config["MEDIA_ROOT"])
    db.session.commit()
    click.echo(f"Benchmark catalogue ready: {made} products added.")


@click.command("search-reindex")
@with_appcontext
def search_reindex_command() -> None:
    """Rebuild the full-text search index of every product."""
    from catalogue.search import index_products

    count = index_products(db.session)
    db.session.commit()
    click.echo(f"Indexed {count} products.")


@click.command("page-cache-clear")
@with_appcontext
def page_cache_clear_command() -> None:
    """Drop every kept page and product card (after changing data outside the app, say)."""
    from catalogue.changes import SITE

    current_app.extensions["page_store"].invalidate([SITE])
    click.echo("Every kept page and card is gone; each is made again on its next visit.")


inventory_cli = click.Group("inventory", help="Stock housekeeping.")


@inventory_cli.command("check")
@with_appcontext
def inventory_check_command() -> None:
    """Verify every stock record: on_hand equals the sum of its movements, reserved equals its held reservations."""
    _check_stock()


@click.command("stock-check")
@with_appcontext
def stock_check_command() -> None:
    """The same as `flask inventory check` (kept for scripts that call it by this name)."""
    _check_stock()


def _check_stock() -> None:
    from inventory.services import ledger_mismatches
    from inventory.stocktake import reservation_mismatches

    ledger = ledger_mismatches(db.session)
    for record_id, on_hand, total in ledger:
        click.echo(f"stock record {record_id}: on_hand {on_hand} but movements sum to {total}", err=True)
    held = reservation_mismatches(db.session)
    for record_id, reserved, total in held:
        click.echo(f"stock record {record_id}: reserved {reserved} but held reservations sum to {total}", err=True)
    if ledger or held:
        raise SystemExit(1)
    click.echo("Stock ledger OK: every record matches its movements and its held reservations.")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(["customer", "staff", "coordinator", "admin"]), default="customer")
@click.option("--unit", "unit_slug", help="Slug of the unit (required for staff).")
@click.option("--name", default="")
@click.password_option()
@with_appcontext
def create_user_command(email: str, role: str, unit_slug: str | None, name: str, password: str) -> None:
    """Create a user account."""
    from sqlalchemy import select

    from catalogue.models import Unit
    from shop.accounts.services import create_user

    unit_id = None
    if unit_slug:
        unit_id = db.session.scalar(select(Unit.id).where(Unit.slug == unit_slug))
        if unit_id is None:
            raise click.BadParameter(f"no unit with slug {unit_slug!r}", param_hint="--unit")
    try:
        create_user(db.session, email=email, password=password, name=name, role=role, unit_id=unit_id)
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    db.session.commit()
    click.echo(f"Created {role} {email}.")


orders_cli = click.Group("orders", help="Order housekeeping.")


@orders_cli.command("expire")
@with_appcontext
def expire_orders_command() -> None:
    """Expire unpaid card orders past the payment window and release held stock (idempotent; cron-safe).

    First asks Stripe about each of them, so a payment whose webhook was lost is recorded, not expired.
    """
    from shop.core.time import utcnow
    from shop.payments.expiry import expire_due_orders

    if not current_app.config.get("SERVER_NAME"):
        click.echo("Warning: SITE_URL is not set, so e-mails from this job cannot link to the shop.", err=True)
    paid, expired = expire_due_orders(db.session, now=utcnow())
    if paid:
        click.echo(f"Recorded {paid} card payments whose webhook had not arrived.")
    click.echo(f"Expired {expired} unpaid orders.")


@orders_cli.command("summarize")
@click.option("--months", default=61, show_default=True, help="How many months back from this one.")
@with_appcontext
def summarize_sales_command(months: int) -> None:
    """Make the monthly sales summaries the reports read, for the months that have ended (cron-safe, nightly).

    A report page makes any it needs itself; this only saves its first visitor after a month ends the wait.
    """
    from shop.core.time import OSLO, utcnow
    from shop.orders.sales import MAX_MONTHS, Period, summarize

    period = Period.last_months(utcnow().astimezone(OSLO).date(), min(max(months, 1), MAX_MONTHS))
    made = summarize(db.session, period, now=utcnow())
    click.echo(f"Summarized {made} months.")


@click.command("mail-send")
@with_appcontext
def mail_send_command() -> None:
    """Send queued e-mails by SMTP (MAIL_SERVER); without it they stay in the outbox."""
    from shop.core.time import utcnow
    from shop.mail import send_pending

    if not current_app.config.get("MAIL_SERVER"):
        click.echo("MAIL_SERVER is not set: e-mails stay in the outbox (see /dev/epost with DEV_MAILBOX=1).")
        return
    sent, failed = send_pending(db.session, current_app.config, now=utcnow())
    click.echo(f"Sent {sent} e-mails, {failed} failed.")


@click.command("run-demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--stripe-port", default=8420, show_default=True)
@with_appcontext
def run_demo_command(host: str, port: int, stripe_port: int) -> None:
    """Serve the shop for the offline demo: localstripe for payments, e-mails at /dev/epost."""
    import secrets
    import threading

    from werkzeug.serving import run_simple

    from shop.config import apply_site_url
    from shop.core.time import utcnow
    from shop.demo import localstripe as devstripe
    from shop.payments.expiry import expire_due_orders

    app = current_app._get_current_object()
    if app.config.get("STRIPE_SECRET_KEY"):
        click.echo("STRIPE_SECRET_KEY is set: talking to Stripe itself, not the offline stand-in.")
    else:
        base = f"http://127.0.0.1:{stripe_port}"
        try:
            stripe_process = devstripe.start(stripe_port)
        except RuntimeError as error:
            raise click.ClickException(f"Could not start the offline payment service: {error}") from error
        secret = "whsec_" + secrets.token_hex(16)
        devstripe.register_webhook(base, f"http://127.0.0.1:{port}/stripe/webhook", secret, name=f"shop-{port}")
        app.config.update(
            STRIPE_SECRET_KEY=devstripe.DEMO_SECRET_KEY, STRIPE_PUBLISHABLE_KEY=devstripe.DEMO_PUBLISHABLE_KEY,
            STRIPE_WEBHOOK_SECRET=secret, STRIPE_API_BASE=base, STRIPE_JS_URL=f"{base}/js.stripe.com/v3/",
            STRIPE_DEMO=True,
        )
        import atexit
        import signal

        atexit.register(stripe_process.terminate)
        # `kill` (SIGTERM) does not run atexit handlers: stop localstripe with the server either way.
        signal.signal(signal.SIGTERM, lambda *_: (stripe_process.terminate(), sys.exit(0)))
        click.echo(f"Offline payments: localstripe at {base} (no real money moves). Card: 4242424242424242.")
    if not app.config.get("SITE_URL"):  # links in the demo's e-mails point at this server
        apply_site_url(app.config, f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}")
    app.config["DEV_MAILBOX"] = True
    app.config["SESSION_COOKIE_SECURE"] = False  # the demo is served over plain HTTP on this machine

    def expire_loop() -> None:  # the demo's stand-in for a cron job running `flask orders expire`
        while True:
            threading.Event().wait(60)
            with app.app_context():
                expire_due_orders(db.session, now=utcnow())

    threading.Thread(target=expire_loop, daemon=True).start()
    click.echo(f"Serving Verkstedbutikken at http://{host}:{port}  (e-mails: http://{host}:{port}/dev/epost)")
    run_simple(host, port, app, threaded=True, use_reloader=False)


def register(app: Flask) -> None:
    for command in (seed_demo_command, seed_bench_command, search_reindex_command, page_cache_clear_command,
                    stock_check_command, inventory_cli,
                    create_user_command, orders_cli, mail_send_command, run_demo_command):
        app.cli.add_command(command)
