"""Every route under /workshop and /coordinator, taken from the URL map, refuses everyone but its audience.

The guard sits once on each audience's parent blueprint (shop.accounts.guards.guard_audience), so a
route added later is covered here without being named.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from factories import make_unit
from shop import create_app

AUDIENCES = {
    "/workshop": {"admitted": ("staff",), "refused": ("customer", "coordinator", "admin")},
    "/coordinator": {"admitted": ("coordinator", "admin"), "refused": ("customer", "staff")},
}


def _routes() -> list[tuple[str, str, str]]:
    """(audience prefix, method, path) for every route of both audiences, with ids filled in."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    routes = []
    for rule in app.url_map.iter_rules():
        prefix = next((p for p in AUDIENCES if rule.rule == p or rule.rule.startswith(p + "/")), None)
        if prefix is None:
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<int:{argument}>", "1").replace(f"<{argument}>", "x")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((prefix, method, path))
    return routes


ROUTES = _routes()


def test_both_audiences_have_routes():
    assert {prefix for prefix, _m, _p in ROUTES} == set(AUDIENCES)


def _table_counts(session) -> dict[str, int]:
    from shop.extensions import db

    return {table.name: session.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables}


@pytest.mark.parametrize(("prefix", "method", "path"), ROUTES, ids=[f"{m} {p}" for _a, m, p in ROUTES])
def test_anonymous_visitors_are_sent_to_log_in(client, session, prefix, method, path):
    before = _table_counts(session)

    response = client.open(path, method=method)

    assert response.status_code == 302 and "/logg-inn" in response.headers["Location"]
    assert _table_counts(session) == before


@pytest.mark.parametrize(("prefix", "method", "path"), ROUTES, ids=[f"{m} {p}" for _a, m, p in ROUTES])
@pytest.mark.parametrize("role", ["customer", "staff", "coordinator", "admin"])
def test_only_the_audience_gets_in(client, session, login_as, prefix, method, path, role):
    login_as(role, unit=make_unit(session) if role == "staff" else None)
    session.commit()
    before = _table_counts(session)

    response = client.open(path, method=method)

    if role in AUDIENCES[prefix]["refused"]:
        assert response.status_code == 403, f"{role} reached {method} {path}"
        assert _table_counts(session) == before
    else:
        assert response.status_code != 403, f"{role} was refused {method} {path}"

