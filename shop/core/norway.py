"""Norwegian identifiers: organisation numbers (mod-11), postcodes, KID numbers (mod-10) and bank accounts."""
import re

ORG_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def normalise_org_number(value: str) -> str:
    """Drop spaces, dots and a trailing "MVA" that people type around the nine digits."""
    return re.sub(r"[\s.]|MVA$", "", value.strip().upper())


def valid_org_number(value: str) -> bool:
    """Return True for nine digits whose last is the mod-11 check digit of the first eight."""
    return bool(re.fullmatch(r"\d{9}", value)) and _mod11_ok(value, ORG_WEIGHTS)


def _mod11_ok(digits: str, weights: tuple[int, ...]) -> bool:
    """The last digit is the mod-11 check digit of the others with these weights (a remainder of 1 is never valid)."""
    remainder = sum(int(d) * w for d, w in zip(digits[:-1], weights, strict=True)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    return check != 10 and check == int(digits[-1])


def valid_postcode(value: str) -> bool:
    return bool(re.fullmatch(r"\d{4}", value)) and value != "0000"


def mod10_digit(digits: str) -> str:
    """The Luhn (mod-10) check digit of a string of digits, as banks compute it for KID numbers."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def kid_number(invoice_number: int, length: int = 10) -> str:
    """A KID for an invoice: the invoice number zero-padded to length - 1 digits and a mod-10 check digit.

    Raises:
        ValueError: the number is negative or does not fit in the length.
    """
    body = str(invoice_number).zfill(length - 1)
    if invoice_number < 0 or len(body) != length - 1:
        raise ValueError(f"invoice number {invoice_number} does not fit a KID of {length} digits")
    return body + mod10_digit(body)


def valid_kid(value: str) -> bool:
    """Return True for 2–25 digits whose last is the mod-10 check digit of the others."""
    return bool(re.fullmatch(r"\d{2,25}", value)) and mod10_digit(value[:-1]) == value[-1]


ACCOUNT_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def valid_bank_account(value: str) -> bool:
    """Return True for a Norwegian bank account number: eleven digits, the last a mod-11 check digit."""
    digits = re.sub(r"[\s.]", "", value)
    return bool(re.fullmatch(r"\d{11}", digits)) and _mod11_ok(digits, ACCOUNT_WEIGHTS)


def format_bank_account(value: str) -> str:
    """Write an account number the way Norwegians read it: 1234.56.78903."""
    digits = re.sub(r"[\s.]", "", value)
    return f"{digits[:4]}.{digits[4:6]}.{digits[6:]}" if len(digits) == 11 else value


def format_org_number(value: str) -> str:
    """Write an organisation number in groups of three: 999 999 999."""
    return f"{value[:3]} {value[3:6]} {value[6:]}" if len(value) == 9 else value
