"""The public storefront: home, categories, products, units, search, sitemap."""
from flask import Blueprint, render_template

bp = Blueprint("catalogue", __name__)


@bp.get("/")
def home():
    return render_template("catalogue/home.html")


@bp.get("/sitemap.xml")
def sitemap():
    return ""
