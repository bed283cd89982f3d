"""Verkstedbutikken: the national webshop and product catalogue for prison workshops."""
from flask import Flask


def create_app(test_config=None) -> Flask:
    """Build the application: config, extensions, input checks, blueprints, error pages, template helpers, CLI."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    from shop.config import load_config

    load_config(app, test_config)
    trust_proxies(app)
    init_extensions(app)
    protect_inputs(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_page_cache(app)
    register_cli(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Behind PROXY_COUNT load balancers, take the client address and scheme from X-Forwarded-*."""
    count = app.config.get("PROXY_COUNT")
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def init_extensions(app: Flask) -> None:
    """Bind db, migrations, login, CSRF and Babel to the app."""
    from pathlib import Path

    from flask_babel import lazy_gettext as _l

    from shop import i18n
    from shop.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.login_message = _l("Log in to see this page.")
    login_manager.localize_callback = str
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).parent / "translations"))
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.install_template_gettext(app)
    import_models()
    # The storefront (catalogue) asks about stock through this; it does not import inventory,
    # which depends on it (DESIGN.md: inventory → catalogue, shop → both).
    import inventory.queries

    app.extensions["stock_source"] = inventory.queries


def import_models() -> None:
    """Import every model module, so the metadata (and so the migrations) know all tables."""
    import catalogue.changes  # noqa: F401  (notes what changed, for the page cache)
    import catalogue.development  # noqa: F401
    import catalogue.models  # noqa: F401
    import inventory.changes  # noqa: F401  (notes which products' stock changed)
    import inventory.models  # noqa: F401
    import shop.accounts.models  # noqa: F401
    import shop.accounts.sessions  # noqa: F401  (registers the user loader)
    import shop.cart.models  # noqa: F401
    import shop.core.audit  # noqa: F401
    import shop.legal.models  # noqa: F401
    import shop.mail  # noqa: F401
    import shop.orders.models  # noqa: F401
    import shop.orders.sales  # noqa: F401  (keeps the sales summaries up to date)
    import shop.payments.models  # noqa: F401


def protect_inputs(app: Flask) -> None:
    """Refuse input that would break a page (NUL and control characters, ids that fit no column) for every route."""
    from shop.security import protect_inputs as protect

    protect(app)


def register_blueprints(app: Flask) -> None:
    """Attach the storefront, the buying pages, and one parent blueprint per audience."""
    from catalogue.views import bp as catalogue_bp
    from shop import coordinator, workshop
    from shop.accounts.views import account_bp
    from shop.accounts.views import bp as auth_bp
    from shop.cart.views import bp as cart_bp
    from shop.checkout.views import bp as checkout_bp
    from shop.legal.views import bp as legal_bp
    from shop.mail import bp as mail_bp
    from shop.orders.views import bp as orders_bp
    from shop.payments.views import bp as webhooks_bp
    from shop.site import bp as site_bp

    for blueprint in (site_bp, catalogue_bp, auth_bp, account_bp, cart_bp, checkout_bp, orders_bp, webhooks_bp, legal_bp,
                      coordinator.blueprint(), workshop.blueprint(), mail_bp):
        app.register_blueprint(blueprint)


def register_error_handlers(app: Flask) -> None:
    """Render 400/403/404/405/500 as pages in the shop's look."""
    from shop.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    """Add the money, date and URL helpers that templates use."""
    from shop.templating import register

    register(app)


def register_security_headers(app: Flask) -> None:
    """Send the same protective headers with every response."""
    from shop.security import register

    register(app)


def register_page_cache(app: Flask) -> None:
    """Serve storefront pages from the cache to every visitor, invalidated by what changes."""
    from shop.pagecache import register

    register(app)


def register_cli(app: Flask) -> None:
    """Add the project's flask commands."""
    from shop.cli import register

    register(app)
