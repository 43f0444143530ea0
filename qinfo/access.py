"""The access core: one way to fetch an object a user may see, and the user's scope.

Each app's access.py builds its `<entity>_visible_to(user)` querysets from the scope and
fetches single objects with `get_visible_or_404`, so that a missing object and a forbidden
one look exactly the same from outside (404), on pages and in the API alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404

M = TypeVar("M", bound=Model)
T = TypeVar("T")


def get_visible_or_404(queryset: QuerySet[M], **lookup: Any) -> M:
    """Fetch one object from a queryset already limited to what the user may see."""
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValidationError, ValueError):
        raise Http404("ไม่พบข้อมูล") from None


def cached_on_user(user: Any, key: str, compute: Callable[[], T]) -> T:
    """Memoise a per-user value on the user object, which lives for one request."""
    cache = user.__dict__.setdefault("_qinfo_access_cache", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def forget_cached_access(user: Any) -> None:
    user.__dict__.pop("_qinfo_access_cache", None)


@dataclass(frozen=True)
class Scope:
    """What a signed-in user holds, as plain ids: computed once per request."""

    user_id: int | None
    is_admin: bool = False
    # school id -> the roles held in that school
    school_roles: dict[int, frozenset[str]] = field(default_factory=dict)
    # schools overseen through area or grouping memberships (sub-areas included)
    overseen_school_ids: frozenset[int] = frozenset()
    area_ids: frozenset[int] = frozenset()

    def school_ids_with(self, *roles: str) -> frozenset[int]:
        wanted = set(roles)
        return frozenset(school for school, held in self.school_roles.items() if held & wanted)

    def has_role_in(self, school_id: int, *roles: str) -> bool:
        return bool(self.school_roles.get(school_id, frozenset()) & set(roles))

    @property
    def is_staff_anywhere(self) -> bool:
        return self.is_admin or bool(self.school_roles) or bool(self.area_ids)
