"""The project's flask commands: demo and benchmark data, search index, stock ledger check, users."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from shop.extensions import db


@click.command("seed-demo")
@click.option("--once", is_flag=True, help="Do nothing if the demo data is already there.")
@with_appcontext
def seed_demo_command(once: bool) -> None:
    """Load the demo units, categories, products, stock, images and logins (idempotent)."""
    from shop.demo import DEMO_LOGINS, seed_demo

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
    from shop.demo import seed_bench

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


@click.command("stock-check")
@with_appcontext
def stock_check_command() -> None:
    """Verify that every stock record's on_hand equals the sum of its movements."""
    from inventory.services import ledger_mismatches

    mismatches = ledger_mismatches(db.session)
    for record_id, on_hand, total in mismatches:
        click.echo(f"stock record {record_id}: on_hand {on_hand} but movements sum to {total}", err=True)
    if mismatches:
        raise SystemExit(1)
    click.echo("Stock ledger OK: every record matches its movements.")


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
    from shop.accounts import create_user

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


def register(app: Flask) -> None:
    for command in (seed_demo_command, seed_bench_command, search_reindex_command, stock_check_command, create_user_command):
        app.cli.add_command(command)
