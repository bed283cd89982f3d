"""The packages depend one way (DESIGN.md, "Packages"), and the rules below keep it so.

shop.core and shop.extensions ← catalogue ← inventory ← the domain packages of shop (accounts, cart,
orders, payments) ← the pages (checkout, workshop, coordinator, api) ← demo, cli, create_app.

Each rule is a function from {module: modules it imports} to the imports that break it, so the
tests at the bottom can show that every rule catches a planted break.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("shop", "catalogue", "inventory")
DOMAIN = ("shop.accounts", "shop.cart", "shop.orders", "shop.payments", "shop.legal")
AUDIENCES = ("shop.workshop", "shop.coordinator", "shop.api")
PAGE_PACKAGES = ("shop.checkout", *AUDIENCES)
PLUMBING = ("shop.config", "shop.extensions", "shop.errors", "shop.security", "shop.pagecache", "shop.templating",
            "shop.i18n", "shop.site", "shop.mail")
# Third-party SDKs, each behind one module of ours (CONVENTIONS.md, rule 9).
SDK_HOMES = {"stripe": ("shop.payments.gateway",), "PIL": ("catalogue.images",), "pillow_heif": ("catalogue.images",),
             "boto3": ("catalogue.storage",), "botocore": ("catalogue.storage",), "weasyprint": ("shop.orders.pdf",),
             "saxonche": ("shop.orders.peppol",), "markdown_it": ("shop.legal.services",)}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(package: str, root: Path | None = None) -> dict[str, set[str]]:
    """{file: modules it imports}, including imports inside functions; relative imports as ".name"."""
    root = root or ROOT
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        modules = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = "." * node.level + (node.module or "")
                modules.add(base)
                # "from shop import workshop" imports the module shop.workshop.
                if node.level == 0 and node.module:
                    modules.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[str(path.relative_to(root))] = modules
    return found


def project_imports(root: Path | None = None) -> dict[str, set[str]]:
    """{module: project modules it imports} over every package of the project."""
    root = root or ROOT
    result = {}
    for package in PACKAGES:
        if not (root / package).exists():
            continue
        for path, modules in imported_modules(package, root).items():
            result[module_name(root / path, root)] = modules
    return result


def within(module: str, packages) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


# The rules: each returns {module: sorted imports that break it}.

def rule_no_relative_imports(graph):
    """Every import is absolute, so the rules below see where it goes."""
    return {m: sorted(i for i in imports if i.startswith(".")) for m, imports in graph.items()}


def rule_floor_imports_only_the_floor(graph):
    """shop.core imports nothing of the project but shop.core and shop.extensions."""
    return {m: sorted(i for i in imports if within(i, PACKAGES) and not within(i, ("shop.core", "shop.extensions"))
                      and i != "shop")
            for m, imports in graph.items() if within(m, ("shop.core",))}


def rule_catalogue_and_inventory_import_only_the_floor_from_shop(graph):
    """catalogue and inventory take only shop.core and shop.extensions from shop; catalogue never imports inventory."""
    wrong = {}
    for m, imports in graph.items():
        if not within(m, ("catalogue", "inventory")):
            continue
        bad = {i for i in imports if within(i, ("shop",)) and not within(i, ("shop.core", "shop.extensions"))}
        if within(m, ("catalogue",)):
            bad |= {i for i in imports if within(i, ("inventory",))}
        wrong[m] = sorted(bad)
    return wrong


def rule_domain_packages_never_import_pages(graph):
    """accounts, cart, orders and payments never import a page package (checkout, workshop, coordinator, api)."""
    return {m: sorted(i for i in imports if within(i, PAGE_PACKAGES))
            for m, imports in graph.items() if within(m, DOMAIN + ("catalogue", "inventory"))}


def rule_audiences_never_import_each_other(graph):
    """workshop, coordinator and api never import one another."""
    wrong = {}
    for m, imports in graph.items():
        own = next((a for a in AUDIENCES if within(m, (a,))), None)
        if own:
            wrong[m] = sorted(i for i in imports if within(i, AUDIENCES) and not within(i, (own,)))
    return wrong


def rule_only_the_cli_imports_demo(graph):
    """Nothing but the CLI (and the tests, and demo itself) imports shop.demo."""
    return {m: sorted(i for i in imports if within(i, ("shop.demo",)))
            for m, imports in graph.items() if m != "shop.cli" and not within(m, ("shop.demo",))}


def rule_plumbing_never_imports_a_page(graph):
    """The plumbing (config, extensions, errors, security, pagecache, templating, i18n, site, mail) imports no page
    module: no views module, and nothing of checkout, workshop, coordinator or api."""
    return {m: sorted(i for i in imports if within(i, PAGE_PACKAGES) or i.endswith(".views"))
            for m, imports in graph.items() if m in PLUMBING}


def rule_each_sdk_sits_behind_one_module(graph):
    """stripe is imported only by shop.payments.gateway, Pillow and pillow_heif only by catalogue.images, boto3 only
    by catalogue.storage."""
    return {m: sorted(i for i in imports if any(within(i, (sdk,)) for sdk, homes in SDK_HOMES.items()
                                                 if m not in homes))
            for m, imports in graph.items()}


def rule_forms_use_the_bounded_integer_field(graph):
    """Forms take IntegerField from shop.core.forms (it refuses numbers that fit no column), never from WTForms."""
    return {m: sorted(i for i in imports if i in ("wtforms.IntegerField", "wtforms.fields.IntegerField",
                                                  "wtforms.fields.numeric.IntegerField"))
            for m, imports in graph.items() if m != "shop.core.forms"}


RULES = [rule_no_relative_imports, rule_floor_imports_only_the_floor,
         rule_catalogue_and_inventory_import_only_the_floor_from_shop, rule_domain_packages_never_import_pages,
         rule_audiences_never_import_each_other, rule_only_the_cli_imports_demo, rule_plumbing_never_imports_a_page,
         rule_each_sdk_sits_behind_one_module, rule_forms_use_the_bounded_integer_field]


def broken(rule, graph) -> dict[str, list[str]]:
    return {m: imports for m, imports in rule(graph).items() if imports}


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_the_project_keeps_the_rule(rule):
    assert broken(rule, project_imports()) == {}, rule.__doc__


# Each rule catches a break: a small tree with one planted import that breaks it.
BREAKS = {
    rule_no_relative_imports: ("shop/orders/services.py", "from .models import Order\n"),
    rule_floor_imports_only_the_floor: ("shop/core/paging.py", "from shop.orders.models import Order\n"),
    rule_catalogue_and_inventory_import_only_the_floor_from_shop: ("catalogue/browse.py",
                                                                   "from inventory.queries import totals\n"),
    rule_domain_packages_never_import_pages: ("shop/orders/services.py", "from shop.checkout.views import bp\n"),
    rule_audiences_never_import_each_other: ("shop/workshop/packing.py", "from shop import coordinator\n"),
    rule_only_the_cli_imports_demo: ("shop/orders/services.py", "def f():\n    from shop.demo.seed import seed_demo\n"),
    rule_plumbing_never_imports_a_page: ("shop/templating.py", "from shop.cart.views import cart_count\n"),
    rule_each_sdk_sits_behind_one_module: ("shop/checkout/views.py", "import stripe\n"),
    rule_forms_use_the_bounded_integer_field: ("shop/cart/forms.py", "from wtforms import IntegerField\n"),
}


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_each_rule_fails_when_it_is_broken(rule, tmp_path):
    path, source = BREAKS[rule]
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / path).write_text(source)

    assert list(broken(rule, project_imports(tmp_path))) == [module_name(tmp_path / path, tmp_path)]


def test_every_rule_has_a_planted_break():
    assert set(BREAKS) == set(RULES)


def test_the_check_sees_imports_inside_functions(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text("def f():\n    from shop.orders import place_order\n")
    assert imported_modules("pkg", tmp_path) == {"pkg/m.py": {"shop.orders", "shop.orders.place_order"}}
