"""Workshop area 'development' (being built)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("development", __name__)
