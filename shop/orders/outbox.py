"""The outgoing side of EHF: one function, send(document), that hands a checked document on.

Today it exports to a folder (EHF_OUTBOX, default instance/ehf-utboks) that an access point's client or a person
picks up from; a Peppol access point is a later implementation of the same function.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app


@dataclass(frozen=True)
class OutgoingDocument:
    """A checked EHF document: its number (the file's name), what it is, and its XML."""

    number: str
    kind: str  # invoice or credit_note
    xml: bytes


def outbox_folder() -> Path:
    folder = current_app.config.get("EHF_OUTBOX") or os.path.join(current_app.instance_path, "ehf-utboks")
    return Path(folder)


def send(document: OutgoingDocument) -> Path:
    """Hand the document on: write it to the outbox folder as <kind>-<number>.xml, whole or not at all."""
    folder = outbox_folder()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{'kreditnota' if document.kind == 'credit_note' else 'faktura'}-{document.number}.xml"
    # Written beside the target and renamed, so a reader of the folder never sees half a file.
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(document.xml)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
