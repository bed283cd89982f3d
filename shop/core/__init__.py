"""The floor every package may import: actors and permissions, the audit log, paging, Norwegian
identifiers, money and time. It imports nothing from the rest of the project but shop.extensions."""
