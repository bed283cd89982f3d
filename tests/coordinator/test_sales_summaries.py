"""The monthly summaries of sales the reports read for the months that have ended: the same numbers as the orders
give, made again after every change to a sale of the month (a refund, a cancellation, an order placed in it, a
product changing kind, a unit changing region), never for a month that has not ended or is only partly in the
period, made once however many ask at the same time, and a constant number of SQL statements."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import test_concurrency
import test_reports
from sqlalchemy import func, select

from conftest import ON_POSTGRES
from shop.orders import reports, sales
from shop.orders import services as orders
from shop.orders.models import SalesMonth, SalesMonthLines, SalesMonthOrders, SalesMonthProducts

# The reports' country of orders and the concurrency tests' engine, as fixtures here too.
country = test_reports.country
engine = test_concurrency.engine
YEAR_2026, _place, _refund, _statements = test_reports.YEAR_2026, test_reports._place, test_reports._refund, \
    test_reports._statements
run_together = test_concurrency.run_together

AFTER_2026 = datetime(2027, 2, 1, tzinfo=UTC)  # every month of 2026 has ended, long ago
REPORTS = (reports.month_report, reports.unit_report, reports.category_report)


def _all(session, period=YEAR_2026) -> tuple:
    return tuple(fn(session, period) for fn in REPORTS)


def _from_the_orders(session, period=YEAR_2026) -> tuple:
    """The reports with every summary out of date, so all of it is read from the orders (then put back)."""
    sales.changed(session, every_month=True)
    session.flush()
    assert not sales.plan(session, period).summarized
    try:
        return _all(session, period)
    finally:
        session.rollback()


def _summarized(session, period=YEAR_2026) -> list[str]:
    return [m.key for m in sales.plan(session, period).summarized]


def test_the_summaries_give_the_same_numbers_as_the_orders(session, country):
    from_orders = _all(session)
    assert not _summarized(session)

    made = reports.summarize(session, YEAR_2026, now=AFTER_2026)

    assert made == 12 and _summarized(session) == [f"2026-{n:02d}" for n in range(1, 13)]
    assert _all(session) == from_orders
    assert from_orders[0].total.gross_ore > 0 and from_orders[2].products  # there was something to add up
    assert reports.summarize(session, YEAR_2026, now=AFTER_2026) == 0  # up to date: nothing to make again
    assert session.scalar(select(func.count()).select_from(SalesMonthLines)) > 0
    assert session.scalar(select(func.count()).select_from(SalesMonthProducts)) > 0


def _refund_in_march(session, country):
    card = country["orders"]["card"]  # placed 12 March
    _refund(session, card, 1000, datetime(2026, 11, 1, tzinfo=UTC))


def _cancel_in_march(session, country):
    orders.cancel(session, country["orders"]["invoice"], actor_user_id=None, now=datetime(2026, 11, 1, tzinfo=UTC))


def _order_placed_in_march(session, country):
    _place(session, {country["products"]["jam"]: 4}, when=datetime(2026, 3, 20, 10, 0, tzinfo=UTC))


@pytest.mark.parametrize("change", [_refund_in_march, _cancel_in_march, _order_placed_in_march],
                         ids=["refund", "cancellation", "new order"])
def test_a_change_to_a_sale_puts_its_month_out_of_date_and_the_report_follows_it(session, country, change):
    reports.summarize(session, YEAR_2026, now=AFTER_2026)
    before = _all(session)

    change(session, country)
    session.commit()

    assert "2026-03" not in _summarized(session) and len(_summarized(session)) == 11  # only March
    after = _all(session)
    assert after != before and after == _from_the_orders(session)
    assert reports.summarize(session, YEAR_2026, now=AFTER_2026) == 1
    assert _all(session) == after


def test_a_change_that_is_rolled_back_leaves_the_summary_in_use(session, country):
    reports.summarize(session, YEAR_2026, now=AFTER_2026)
    _refund_in_march(session, country)
    session.flush()
    session.rollback()

    assert len(_summarized(session)) == 12


def test_a_product_that_changes_kind_or_a_unit_that_moves_region_puts_every_month_out_of_date(session, country):
    reports.summarize(session, YEAR_2026, now=AFTER_2026)
    country["products"]["jam"].kind = "service"
    session.commit()
    assert _summarized(session) == []
    assert _all(session) == _from_the_orders(session)
    assert _all(session)[0].kinds[1].sales.gross_ore > 0

    reports.summarize(session, YEAR_2026, now=AFTER_2026)
    country["units"]["bergen"].region = "ost"
    session.commit()
    assert _summarized(session) == []
    assert _all(session) == _from_the_orders(session)


def test_a_month_not_over_or_only_partly_in_the_period_is_read_from_the_orders(session, country):
    in_march = datetime(2026, 3, 15, tzinfo=UTC)
    assert reports.summarize(session, YEAR_2026, now=in_march) == 2  # January and February
    assert _summarized(session) == ["2026-01", "2026-02"]

    from_february_2 = reports.Period(date(2026, 2, 2), date(2026, 12, 31))
    assert reports.summarize(session, from_february_2, now=AFTER_2026) == 10  # March to December, not February
    assert "2026-02" not in _summarized(session, from_february_2)
    assert _all(session, from_february_2) == _from_the_orders(session, from_february_2)


def test_a_month_is_summarized_only_an_hour_after_it_ended_in_oslo(session, country):
    march_ended = sales.month_end(date(2026, 3, 1))  # 1 April 00:00 in Oslo, 22:00 UTC on 31 March
    assert march_ended == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
    march = reports.Period(date(2026, 3, 1), date(2026, 3, 31))

    assert reports.summarize(session, march, now=march_ended + sales.SUMMARY_GRACE / 2) == 0
    assert reports.summarize(session, march, now=march_ended + sales.SUMMARY_GRACE) == 1


def test_orders_of_a_month_that_has_not_ended_raise_no_version(session, country, monkeypatch):
    march = date(2026, 3, 1)
    version = session.scalar(select(SalesMonth.version).where(SalesMonth.month == march))
    monkeypatch.setattr(sales, "utcnow", lambda: datetime(2026, 3, 20, tzinfo=UTC))
    _order_placed_in_march(session, country)
    session.commit()

    # Nothing is locked while the shop is busy with a month; an order placed in a month long over counts.
    assert session.scalar(select(SalesMonth.version).where(SalesMonth.month == march)) == version
    monkeypatch.setattr(sales, "utcnow", lambda: datetime(2026, 4, 1, tzinfo=UTC))  # two hours after March ended in Oslo
    _order_placed_in_march(session, country)
    session.commit()
    assert session.scalar(select(SalesMonth.version).where(SalesMonth.month == march)) == version + 1


@pytest.mark.parametrize("fn", REPORTS, ids=lambda fn: fn.__name__)
def test_a_report_takes_the_same_number_of_statements_whether_its_months_are_summarized_or_not(session, country, fn):
    session.expire_all()
    from_orders = _statements(session, fn)
    reports.summarize(session, YEAR_2026, now=datetime(2026, 12, 15, tzinfo=UTC))  # December is read from the orders
    session.expire_all()
    mixed = _statements(session, fn)
    reports.summarize(session, YEAR_2026, now=AFTER_2026)
    session.expire_all()
    summarized = _statements(session, fn)

    expected = {"month_report": (3, 5, 3), "unit_report": (4, 6, 4), "category_report": (4, 4, 4)}[fn.__name__]
    assert (from_orders, mixed, summarized) == expected


def test_the_report_page_summarizes_the_months_that_have_ended(client, login_as, session, country, monkeypatch):
    monkeypatch.setattr("shop.coordinator.reports.utcnow", lambda: datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    login_as("coordinator")

    response = client.get("/coordinator/rapporter?fra=2026-01-01&til=2026-12-31")

    assert response.status_code == 200
    assert _summarized(session) == [f"2026-{n:02d}" for n in range(1, 12)]  # December has not ended
    assert session.scalar(select(func.count()).select_from(SalesMonthOrders)) > 0


# On PostgreSQL, with other processes at the same time.

postgres_only = [pytest.mark.postgres, pytest.mark.skipif(not ON_POSTGRES, reason="concurrency is proven on PostgreSQL")]


@pytest.mark.parametrize("_", [pytest.param(None, marks=postgres_only)])
def test_many_reports_at_once_make_each_summary_once(app, engine, session, country, _):
    from_orders = _all(session)
    session.commit()

    outcomes = run_together(app, engine, [lambda s: reports.summarize(s, YEAR_2026, now=AFTER_2026)] * 6)

    assert [kind for kind, _made in outcomes] == ["ok"] * 6, outcomes
    assert sum(made for _kind, made in outcomes) == 12  # each month once, by one of them
    session.expire_all()
    assert len(_summarized(session)) == 12 and _all(session) == from_orders


@pytest.mark.parametrize("_", [pytest.param(None, marks=postgres_only)])
def test_a_refund_while_its_month_is_summarized_is_never_lost(app, engine, session, country, _):
    from shop.orders.models import Order

    card_id = country["orders"]["card"].id
    session.commit()

    def refund(s, n):
        order = s.get(Order, card_id)
        payment = orders.start_refund(s, order, 100 + n, request_key=f"together-{n}", actor_user_id=None)
        orders.finish_refund(s, payment, refund_id=f"re_together_{n}", now=AFTER_2026, notify=False)

    for n in range(4):
        jobs = [lambda s: reports.summarize(s, YEAR_2026, now=AFTER_2026), lambda s, n=n: refund(s, n)]
        outcomes = run_together(app, engine, jobs if n % 2 else jobs[::-1])
        assert [kind for kind, _result in outcomes] == ["ok", "ok"], outcomes
        session.expire_all()
        reports.summarize(session, YEAR_2026, now=AFTER_2026)
        assert len(_summarized(session)) == 12
        assert _all(session) == _from_the_orders(session)
    assert session.get(Order, card_id).refunded_ore == 100 + 101 + 102 + 103


def test_the_nightly_command_summarizes_the_months_that_have_ended(app, session, country, monkeypatch):
    monkeypatch.setattr("shop.core.time.utcnow", lambda: datetime(2026, 8, 15, tzinfo=UTC))

    result = app.test_cli_runner().invoke(args=["orders", "summarize", "--months", "12"])

    assert result.exit_code == 0, result.output
    assert "Summarized 11 months." in result.output  # September 2025 to July 2026; August has not ended
    assert _summarized(session, reports.Period(date(2025, 9, 1), date(2026, 8, 31))) == [
        *(f"2025-{n:02d}" for n in range(9, 13)), *(f"2026-{n:02d}" for n in range(1, 8))]
