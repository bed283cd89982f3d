"""Who may see a page: one guard per audience blueprint, and a decorator for the odd route outside one."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort
from flask_login import current_user

from shop.extensions import login_manager


def refusal(roles: tuple[str, ...], *, unit_required: bool = False):
    """The answer for a visitor who is not one of roles (None when they are): log in, or 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in roles:
        abort(403)
    if unit_required and current_user.unit_id is None:
        abort(403)
    return None


def guard_audience(blueprint: Blueprint, roles: tuple[str, ...], *, unit_required: bool = False) -> None:
    """Admit only these roles to every route of blueprint and of the blueprints nested in it.

    Registered once on an audience's parent blueprint, so a route added under it is guarded without
    any decorator (tests/test_audiences.py takes every such route from the URL map).
    """

    @blueprint.before_request
    def admit_only_the_audience():
        return refusal(roles, unit_required=unit_required)


def role_required(*roles: str):
    """Allow the view only to logged-in users with one of these roles (admins always pass)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            answer = refusal((*roles, "admin"))
            return answer if answer is not None else view(*args, **kwargs)

        return wrapped

    return decorator
