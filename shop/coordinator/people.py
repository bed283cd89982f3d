"""Coordinator area 'people' (being built)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("people", __name__)
