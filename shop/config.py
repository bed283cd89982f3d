"""Configuration: defaults in code, secrets and deployment settings from the environment."""
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "BABEL_DEFAULT_LOCALE": "nb",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Oslo",
    "LANGUAGES": ("nb", "en"),
    "PRODUCTS_PER_PAGE": 24,
    "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Production is HTTPS only; the local demo server (flask run-demo) turns this off for plain HTTP.
    "SESSION_COOKIE_SECURE": True,
    "WTF_CSRF_TIME_LIMIT": None,
    "SITE_NAME": "Verkstedbutikken",
    # The unit that runs the national shop; coordinators belong to it.
    "OPERATOR_UNIT_SLUG": "ila-fengsel",
    # Where uploaded and generated images live, and the URL prefix they are served under.
    "MEDIA_URL": "/media/",
    # Show queued e-mails at /dev/epost (turned on by `make run`; never in production).
    "DEV_MAILBOX": False,
    "MAIL_FROM": "Verkstedbutikken <ikke-svar@verkstedbutikken.no>",
    "MAIL_PORT": 587,
    "MAIL_USE_TLS": True,
    # Login attempts per e-mail address and per client address (Flask-Limiter notation).
    "LOGIN_RATE_LIMIT": "10 per 5 minutes",
    "PASSWORD_RESET_MAX_AGE": 3600,
    "PASSWORD_RESET_RATE_LIMIT": "5 per 15 minutes",
    "REGISTER_RATE_LIMIT": "10 per hour",
    # Card payment attempts per order and per client address; orders placed per client address.
    "CARD_ATTEMPT_RATE_LIMIT": "10 per 10 minutes",
    "ORDER_RATE_LIMIT": "30 per hour",
    "RATELIMIT_STORAGE_URI": "memory://",
    # Storefront pages, and the product cards on them, are kept this long (0 turns it off); every change
    # to what they show deletes them at once (shop/pagecache). Without Redis (REDIS_URL) each process keeps
    # its own for at most PAGE_CACHE_LOCAL_SECONDS, since other processes' changes cannot reach it.
    "PAGE_CACHE_SECONDS": 6 * 3600,
    "FRAGMENT_CACHE_SECONDS": 6 * 3600,
    "PAGE_CACHE_LOCAL_SECONDS": 1,
    # With Redis: how long a process uses its own near copy of a page or part (another node's change waits as long).
    "PAGE_CACHE_NEAR_SECONDS": 0.5,
    "PAGE_CACHE_PREFIX": "vb:",
    # Card orders hold their stock this long while the customer pays.
    "PAYMENT_WINDOW_MINUTES": 15,
    "SHIPPING_ORE": 14900,
    "FREE_SHIPPING_FROM_ORE": 150000,
    # Stripe: real keys in production; `make run` points these at localstripe when no key is set.
    "STRIPE_API_BASE": None,
    "STRIPE_JS_URL": "https://js.stripe.com/v3/",
    "STRIPE_DEMO": False,
    # Stock not counted or confirmed for this many days is stale: the national shop's stock status depends on it.
    "STOCK_STALE_DAYS": 14,
    # The staff start page lists made-to-order lines promised within this many days.
    "MADE_TO_ORDER_DUE_DAYS": 7,
    # The coordinator's start page lists parts of orders that have not moved for this many days.
    "FULFILMENT_STUCK_DAYS": 5,
    # How long an invitation link to a new staff or coordinator account works, in seconds.
    "INVITATION_MAX_AGE": 72 * 3600,
    # Who sells (ehandelsloven § 8): shown in every page's footer, every customer e-mail, the order page and
    # every invoice. These defaults are demo values, marked as such on every page until SELLER_* are set.
    "SELLER_DEMO": True,
    "SELLER_NAME": "Kriminalomsorgen – Verkstedbutikken",
    "SELLER_ORG_NUMBER": "999999999",
    "SELLER_VAT_REGISTERED": True,
    "SELLER_ADDRESS_LINE": "Postboks 1234 Sentrum",
    "SELLER_POSTCODE": "0106",
    "SELLER_CITY": "Oslo",
    "SELLER_EMAIL": "kundeservice@verkstedbutikken.no",
    "SELLER_PHONE": "+47 00 00 00 00",
    "SELLER_OPERATOR_UNIT": "Ila fengsel og forvaringsanstalt",
    "SELLER_PARENT_AGENCY": "Kriminalomsorgsdirektoratet",
    # Invoices: the account customers pay into, and how many days they have.
    "INVOICE_BANK_ACCOUNT": "12345678903",
    "INVOICE_DUE_DAYS": 14,
}

# The seller's identity, each settable from the environment under its own name; setting any of them
# ends the demo marking (SELLER_DEMO=1 keeps it).
SELLER_SETTINGS = ("SELLER_NAME", "SELLER_ORG_NUMBER", "SELLER_ADDRESS_LINE", "SELLER_POSTCODE", "SELLER_CITY",
                   "SELLER_EMAIL", "SELLER_PHONE", "SELLER_OPERATOR_UNIT", "SELLER_PARENT_AGENCY")

_TRUE = {"1", "true", "yes"}

# Settings read from the environment when set: variable -> (config key or keys, parser).
ENVIRONMENT = {
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    # The shop's public address: every absolute link (e-mails, sitemap, canonical) is built from it.
    "SITE_URL": ("SITE_URL", str),
    "SECRET_KEY": ("SECRET_KEY", str),
    "MEDIA_ROOT": ("MEDIA_ROOT", str),
    "MEDIA_URL": ("MEDIA_URL", str),
    # Images in an S3-compatible bucket instead of MEDIA_ROOT (credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY).
    "MEDIA_S3_BUCKET": ("MEDIA_S3_BUCKET", str),
    "MEDIA_S3_ENDPOINT_URL": ("MEDIA_S3_ENDPOINT_URL", str),
    "MEDIA_S3_REGION": ("MEDIA_S3_REGION", str),
    "PREFERRED_URL_SCHEME": ("PREFERRED_URL_SCHEME", str),
    "SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", lambda v: v.lower() in {"1", "true", "yes"}),
    "OPERATOR_UNIT_SLUG": ("OPERATOR_UNIT_SLUG", str),
    "DEV_MAILBOX": ("DEV_MAILBOX", lambda v: v.lower() in {"1", "true", "yes"}),
    "MAIL_SERVER": ("MAIL_SERVER", str),
    "MAIL_PORT": ("MAIL_PORT", int),
    "MAIL_USERNAME": ("MAIL_USERNAME", str),
    "MAIL_PASSWORD": ("MAIL_PASSWORD", str),
    "MAIL_FROM": ("MAIL_FROM", str),
    # One Redis for everything shared between web nodes: the login rate limits and the page cache.
    "REDIS_URL": (("RATELIMIT_STORAGE_URI", "CACHE_REDIS_URL"), str),
    "PAGE_CACHE_SECONDS": ("PAGE_CACHE_SECONDS", int),
    "FRAGMENT_CACHE_SECONDS": ("FRAGMENT_CACHE_SECONDS", int),
    "PAGE_CACHE_LOCAL_SECONDS": ("PAGE_CACHE_LOCAL_SECONDS", int),
    "PAGE_CACHE_PREFIX": ("PAGE_CACHE_PREFIX", str),
    "PAGE_CACHE_NEAR_SECONDS": ("PAGE_CACHE_NEAR_SECONDS", float),
    "STRIPE_SECRET_KEY": ("STRIPE_SECRET_KEY", str),
    "STRIPE_PUBLISHABLE_KEY": ("STRIPE_PUBLISHABLE_KEY", str),
    "STRIPE_WEBHOOK_SECRET": ("STRIPE_WEBHOOK_SECRET", str),
    "STRIPE_API_BASE": ("STRIPE_API_BASE", str),
    "STRIPE_JS_URL": ("STRIPE_JS_URL", str),
    "PAYMENT_WINDOW_MINUTES": ("PAYMENT_WINDOW_MINUTES", int),
    "SHIPPING_ORE": ("SHIPPING_ORE", int),
    "FREE_SHIPPING_FROM_ORE": ("FREE_SHIPPING_FROM_ORE", int),
    # Behind a load balancer: the host names we answer to, and how many proxies set X-Forwarded-*.
    "TRUSTED_HOSTS": ("TRUSTED_HOSTS", lambda v: [h.strip() for h in v.split(",") if h.strip()]),
    "PROXY_COUNT": ("PROXY_COUNT", int),
    "STOCK_STALE_DAYS": ("STOCK_STALE_DAYS", int),
    "FULFILMENT_STUCK_DAYS": ("FULFILMENT_STUCK_DAYS", int),
    "INVITATION_MAX_AGE": ("INVITATION_MAX_AGE", int),
    "SELLER_VAT_REGISTERED": ("SELLER_VAT_REGISTERED", lambda v: v.lower() in _TRUE),
    "INVOICE_BANK_ACCOUNT": ("INVOICE_BANK_ACCOUNT", str),
    "INVOICE_DUE_DAYS": ("INVOICE_DUE_DAYS", int),
}


# Every rate limit (LOGIN_RATE_LIMIT, ORDER_RATE_LIMIT, ...) can be set from the environment under its
# own name, in Flask-Limiter's notation ("30 per hour", "100/day;10/minute"): the buyers of a
# municipality may all come from one address.
RATE_LIMITS = tuple(key for key in DEFAULTS if key.endswith("_RATE_LIMIT"))


def load_config(app, test_config=None) -> None:
    """Fill app.config from defaults, the environment and (in tests) a mapping.

    Raises:
        ValueError: a setting from the environment or the mapping is malformed (SITE_URL, a rate limit).
    """
    instance = Path(app.instance_path)
    app.config.update(DEFAULTS)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'verkstedbutikken.sqlite'}"
    app.config["MEDIA_ROOT"] = str(instance / "media")
    for env_name, (keys, parse) in ENVIRONMENT.items():
        if os.environ.get(env_name):
            for key in (keys,) if isinstance(keys, str) else keys:
                app.config[key] = parse(os.environ[env_name])
    for name in RATE_LIMITS:
        if os.environ.get(name):
            app.config[name] = os.environ[name].strip()
    for name in SELLER_SETTINGS:
        if os.environ.get(name):
            app.config[name] = os.environ[name].strip()
            app.config["SELLER_DEMO"] = False
    if os.environ.get("SELLER_DEMO"):
        app.config["SELLER_DEMO"] = os.environ["SELLER_DEMO"].lower() in _TRUE
    if test_config:
        app.config.update(test_config)
    for name in RATE_LIMITS:
        check_rate_limit(name, app.config[name])
    check_seller(app.config)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config.get("SITE_URL"):
        apply_site_url(app.config, app.config["SITE_URL"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith(f"sqlite:///{instance}"):
        instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _development_secret_key(instance)


def check_rate_limit(name: str, value: str) -> None:
    """Refuse a rate limit Flask-Limiter cannot read, at start-up rather than at the first request.

    Raises:
        ValueError: value is not in Flask-Limiter's notation.
    """
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError as error:
        raise ValueError(f"{name} must look like '30 per hour' or '10/minute', not {value!r}") from error


def check_seller(config) -> None:
    """Refuse a seller identity that would put a wrong number on an invoice, at start-up.

    Raises:
        ValueError: the organisation number, postcode or bank account fails its check, the due days are not 1–365,
            or a real (not demo) seller still has the demo's organisation number or bank account.
    """
    from shop.core.norway import valid_bank_account, valid_org_number, valid_postcode

    if not valid_org_number(config["SELLER_ORG_NUMBER"]):
        raise ValueError(f"SELLER_ORG_NUMBER must be nine digits with a valid check digit, not {config['SELLER_ORG_NUMBER']!r}")
    if not valid_postcode(config["SELLER_POSTCODE"]):
        raise ValueError(f"SELLER_POSTCODE must be four digits, not {config['SELLER_POSTCODE']!r}")
    if not valid_bank_account(config["INVOICE_BANK_ACCOUNT"]):
        raise ValueError(f"INVOICE_BANK_ACCOUNT must be eleven digits with a valid check digit, "
                         f"not {config['INVOICE_BANK_ACCOUNT']!r}")
    if not 1 <= config["INVOICE_DUE_DAYS"] <= 365:
        raise ValueError(f"INVOICE_DUE_DAYS must be between 1 and 365, not {config['INVOICE_DUE_DAYS']!r}")
    if not config["SELLER_DEMO"]:
        # A real seller must not send invoices with the demo's organisation number or bank account.
        for key in ("SELLER_ORG_NUMBER", "INVOICE_BANK_ACCOUNT"):
            if config[key] == DEFAULTS[key]:
                raise ValueError(f"{key} still has its demo value; set it (or SELLER_DEMO=1 for a demo)")


def apply_site_url(config, site_url: str) -> None:
    """Build absolute links from the shop's own address, never from the request's Host header.

    Flask builds external URLs from SERVER_NAME (inside and outside requests; since Flask 3.1 it
    no longer refuses requests for other hosts), so a forged Host cannot put its name into a
    password-reset link, and jobs without a request (the expiry job's e-mails) can build links.

    Raises:
        ValueError: site_url is not an absolute http(s) URL.
    """
    parts = urlsplit(site_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"SITE_URL must look like https://verkstedbutikken.no, not {site_url!r}")
    config["SITE_URL"] = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    config["SERVER_NAME"] = parts.netloc
    config["PREFERRED_URL_SCHEME"] = parts.scheme
    config["APPLICATION_ROOT"] = parts.path.rstrip("/") or "/"


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the common short forms."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _development_secret_key(instance: Path) -> str:
    """Generate a secret key once into instance/ so sessions survive restarts in development."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
