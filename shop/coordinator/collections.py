"""Coordinator area 'collections' (being built)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("collections", __name__)
