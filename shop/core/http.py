"""Answering a request with an error page that tells the visitor what went wrong."""
from __future__ import annotations

from typing import NoReturn

from werkzeug.exceptions import default_exceptions


def abort_with_message(code: int, message: str) -> NoReturn:
    """Stop the request with an error page that shows this message to the visitor."""
    error = default_exceptions[code](description=message)
    error.user_message = True
    raise error
