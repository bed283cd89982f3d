"""Who acts, and the error for acting where one may not."""
from __future__ import annotations

from dataclasses import dataclass

NATIONAL_ROLES = ("coordinator", "admin")


class NotPermitted(Exception):
    """The actor may not do this to that object."""


@dataclass(frozen=True)
class Actor:
    """Who acts: staff act for their own unit; coordinators and admins for every unit.

    Services take an Actor instead of reading the logged-in user, so the same rule holds for a page,
    a CSV import, the API and a command.
    """

    user_id: int | None
    role: str
    unit_id: int | None = None

    @classmethod
    def of(cls, user) -> Actor:
        """The actor for a user (anything with id, role and unit_id)."""
        return cls(user_id=user.id, role=user.role, unit_id=user.unit_id)

    @property
    def is_national(self) -> bool:
        return self.role in NATIONAL_ROLES

    def may_handle(self, unit_id: int) -> bool:
        """True when the actor may act for this unit."""
        return self.is_national or (self.role == "staff" and self.unit_id is not None and self.unit_id == unit_id)

    def require_unit(self, unit_id: int, what: str = "") -> None:
        """Raise NotPermitted unless the actor may act for this unit."""
        if not self.may_handle(unit_id):
            raise NotPermitted(what or f"unit {unit_id}")


# Jobs and commands that act on their own (the expiry job, the demo loader).
SYSTEM = Actor(user_id=None, role="system")
