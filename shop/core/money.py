"""Money: integer øre everywhere, prices including MVA, and the MVA they contain."""
from __future__ import annotations


def vat_included(gross_ore: int, rate_bp: int) -> int:
    """Return the VAT contained in a gross amount, rounded half up to whole øre.

    rate_bp is the rate in basis points: 2500 is 25 %.
    """
    return (gross_ore * rate_bp * 2 + (10000 + rate_bp)) // (2 * (10000 + rate_bp))


def net_of_vat(gross_ore: int, rate_bp: int) -> int:
    """Return a gross amount without the VAT it contains."""
    return gross_ore - vat_included(gross_ore, rate_bp)
