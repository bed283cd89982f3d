"""Coordinator area 'reports' (being built)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reports", __name__)
