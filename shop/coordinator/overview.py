"""Coordinator area 'overview' (being built)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("overview", __name__)
