"""Tests for the demo and benchmark loaders: a complete, consistent catalogue that is loaded only once."""
from __future__ import annotations

from pathlib import Path

from PIL import Image
from sqlalchemy import func, select, text

from catalogue.browse import Filters, browse
from catalogue.models import REGIONS, Category, Product, ProductImage, Unit
from inventory.models import StockMovement, StockRecord
from inventory.services import ledger_mismatches
from shop.accounts.models import User
from shop.accounts.services import authenticate
from shop.demo import seed as demo
from shop.demo.bench import seed_bench
from shop.demo.seed import DEMO_LOGINS, seed_demo

COUNTED = (Unit, Category, Product, ProductImage, StockRecord, StockMovement, User)


def _counts(session) -> dict[str, int]:
    counts = {model.__name__: session.scalar(select(func.count()).select_from(model)) for model in COUNTED}
    counts["product_search"] = session.scalar(text("SELECT count(*) FROM product_search"))
    return counts


def _assert_pictures_stored_without_exif(media_root: Path, images: list[ProductImage]) -> None:
    for key, widths in {(i.storage_key, tuple(i.widths)) for i in images}:
        names = ["original.jpg"] + [f"{w}.{ext}" for w in widths for ext in ("webp", "jpg")]
        for name in names:
            with Image.open(media_root / key / name) as picture:
                assert not picture.getexif() and "exif" not in picture.info, f"{key}/{name} has EXIF"


def test_seed_demo_loads_a_complete_consistent_catalogue_only_once(app, session):
    media_root = Path(app.config["MEDIA_ROOT"])

    summary = seed_demo(session, media_root=media_root)
    session.commit()

    assert "units" in summary and "logins" in summary
    units = session.scalars(select(Unit)).all()
    assert len(units) >= 15
    assert {unit.region for unit in units} == set(REGIONS)
    assert all(u.description and u.trades and u.postal_address for u in units)
    assert all(u.contact_email.endswith(".example") for u in units)
    operator = session.scalar(select(Unit).where(Unit.slug == app.config["OPERATOR_UNIT_SLUG"]))
    assert operator is not None and operator.name == "Ila fengsel og forvaringsanstalt"

    categories = session.scalars(select(Category)).all()
    top_level = {c.id for c in categories if c.parent_id is None}
    assert len(categories) >= 30 and 5 <= len(top_level) < len(categories)
    assert all(c.parent_id is None or c.parent_id in top_level for c in categories)  # two levels, no deeper

    products = session.scalars(select(Product)).all()
    assert all(p.status == "published" and p.published_at is not None for p in products)
    goods = [p for p in products if p.kind == "goods"]
    services = [p for p in products if p.kind == "service"]
    assert len(goods) >= 150 and len(services) >= 15
    assert 8 <= sum(p.featured for p in products) <= 12
    assert any(p.made_to_order and p.lead_time_days for p in goods)
    assert any(p.vat_rate_bp == 1500 for p in goods)
    assert all(p.summary and p.description and p.training_value for p in products)
    assert len({p.published_at.date() for p in products}) > 30  # spread out, so "newest" means something

    bench = session.scalar(select(Product).where(Product.title == "Benk i eik"))
    assert bench is not None and bench.kind == "goods"
    hits = browse(session, Filters(query="benker", sort="relevance"), per_page=100).items
    assert bench.id in {card.id for card in hits}
    assert browse(session, Filters(query="skjærebrett"), per_page=5).total > 0

    images = session.scalars(select(ProductImage)).all()
    assert {i.product_id for i in images} == {p.id for p in products}
    assert all(i.alt_text.strip() for i in images)
    _assert_pictures_stored_without_exif(media_root, images)

    records = session.scalars(select(StockRecord)).all()
    assert {r.product_id for r in records} == {p.id for p in goods}
    by_product = {p.id: p for p in goods}
    assert any(r.on_hand == 0 and not by_product[r.product_id].made_to_order for r in records)
    assert any(r.on_hand in (1, 2) and r.low_stock_threshold == 3 for r in records)
    assert sum(r.on_hand >= 5 for r in records) > len(records) / 2
    assert len(records) > len({r.product_id for r in records})  # some national designs stocked at two units
    assert ledger_mismatches(session) == []

    for role, (email, password, _what) in DEMO_LOGINS.items():
        user = authenticate(session, email, password)
        assert user is not None and user.role == role
    staff = authenticate(session, *DEMO_LOGINS["staff"][:2])
    coordinator = authenticate(session, *DEMO_LOGINS["coordinator"][:2])
    assert staff.unit is not None and staff.unit.name in DEMO_LOGINS["staff"][2]
    assert coordinator.unit_id == operator.id

    before = _counts(session)
    assert seed_demo(session, media_root=media_root) == ""
    assert _counts(session) == before


def test_seed_bench_adds_published_products_with_stock_pictures_and_search(app, session, monkeypatch):
    # The demo test covers the picture pipeline; one shared picture here keeps this test quick.
    monkeypatch.setattr(demo, "_picture_key", lambda listing: ("all", "all"))
    media_root = Path(app.config["MEDIA_ROOT"])

    assert seed_bench(session, products=200, media_root=media_root) == 200
    session.commit()

    demo_products = len(demo.demo_listings())
    bench = session.scalars(select(Product).where(Product.sku.like("BENCH-%"))).all()
    assert len(bench) == 200
    assert session.scalar(select(func.count()).select_from(Product)) == demo_products + 200
    assert all(p.status == "published" and p.published_at and p.kind == "goods" for p in bench)
    assert len({p.title for p in bench}) > 150
    assert not {p.title for p in bench} & {listing.title for listing in demo.demo_listings()}
    assert len({p.unit_id for p in bench}) > 5 and len({p.category_id for p in bench}) > 10

    bench_ids = {p.id for p in bench}
    records = session.scalars(select(StockRecord).where(StockRecord.product_id.in_(bench_ids))).all()
    assert {r.product_id for r in records} == bench_ids and all(r.on_hand >= 1 for r in records)
    produced = session.scalars(
        select(StockMovement.stock_record_id).where(
            StockMovement.stock_record_id.in_([r.id for r in records]), StockMovement.reason == "produced")
    ).all()
    assert sorted(produced) == sorted(r.id for r in records)
    images = session.scalars(select(ProductImage).where(ProductImage.product_id.in_(bench_ids))).all()
    assert {i.product_id for i in images} == bench_ids
    assert all(i.alt_text and (media_root / i.storage_key / f"{i.widths[0]}.webp").exists() for i in images)
    assert session.scalar(text("SELECT count(*) FROM product_search")) == demo_products + 200
    assert ledger_mismatches(session) == []

    assert seed_bench(session, products=30, media_root=media_root) == 30
    session.commit()
    skus = session.scalars(select(Product.sku).where(Product.sku.like("BENCH-%"))).all()
    assert len(skus) == len(set(skus)) == 230
    assert ledger_mismatches(session) == []
