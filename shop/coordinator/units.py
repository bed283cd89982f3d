"""Coordinator area 'units' (being built)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("units", __name__)
