"""Norwegian identifiers: organisation numbers (mod-11) and postcodes."""
import re

ORG_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def normalise_org_number(value: str) -> str:
    """Drop spaces, dots and a trailing "MVA" that people type around the nine digits."""
    return re.sub(r"[\s.]|MVA$", "", value.strip().upper())


def valid_org_number(value: str) -> bool:
    """Return True for nine digits whose last is the mod-11 check digit of the first eight."""
    if not re.fullmatch(r"\d{9}", value):
        return False
    remainder = sum(int(d) * w for d, w in zip(value[:8], ORG_WEIGHTS, strict=True)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    return check != 10 and check == int(value[8])


def valid_postcode(value: str) -> bool:
    return bool(re.fullmatch(r"\d{4}", value)) and value != "0000"
