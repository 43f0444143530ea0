"""The role a signed-in user is working in, for navigation and the home page.

Access never depends on the active role (it is the union of everything the user holds);
the active role only chooses which home page and menu the user sees, so a principal who
also teaches can switch between the two.
"""

from __future__ import annotations

from dataclasses import dataclass

from qinfo.access import cached_on_user
from schools.access.organisation import ACTIVE_ROLE_SESSION_KEY, active_memberships
from schools.models import StaffMembership
from students.access import guardian_student_ids

Role = StaffMembership.Role
PARENT = "parent"
SESSION_KEY = ACTIVE_ROLE_SESSION_KEY

ROLE_LABELS = {**dict(Role.choices), PARENT: "ผู้ปกครอง"}
# The order a role is chosen in when the user has not picked one.
PRIORITY = [
    Role.ADMIN,
    Role.DISTRICT_OFFICER,
    Role.PRINCIPAL,
    Role.REGISTRAR,
    Role.COUNSELLOR,
    Role.AREA_HEAD,
    Role.HOMEROOM_TEACHER,
    Role.TEACHER,
    PARENT,
]
LOGIN_ROLE_CHOICES = [("", "อัตโนมัติ (ตามสิทธิ์ของบัญชี)")] + [(role, ROLE_LABELS[role]) for role in PRIORITY]


@dataclass(frozen=True)
class RoleContext:
    role: str
    school_id: int | None = None
    school_name: str = ""
    area_id: int | None = None
    area_name: str = ""

    @property
    def key(self) -> str:
        return f"{self.role}:{self.school_id or ''}:{self.area_id or ''}"

    @property
    def label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def place(self) -> str:
        return self.school_name or self.area_name or ("ทั้งระบบ" if self.role == Role.ADMIN else "")


def available_roles(user) -> list[RoleContext]:
    if not user.is_authenticated:
        return []

    def compute() -> list[RoleContext]:
        found: list[RoleContext] = []
        if user.is_superuser:
            found.append(RoleContext(role=Role.ADMIN))
        memberships = active_memberships(user).select_related("school", "area")
        for membership in memberships:
            context = RoleContext(
                role=membership.role,
                school_id=membership.school_id,
                school_name=membership.school.name if membership.school else "",
                area_id=membership.area_id,
                area_name=membership.area.name if membership.area else "",
            )
            if context not in found:
                found.append(context)
        if guardian_student_ids(user):
            found.append(RoleContext(role=PARENT))
        found.sort(
            key=lambda context: (PRIORITY.index(context.role) if context.role in PRIORITY else 99, context.place)
        )
        return found

    return cached_on_user(user, "roles", compute)


def roles_held(user) -> set[str]:
    return {context.role for context in available_roles(user)}


def active_role(request) -> RoleContext | None:
    roles = available_roles(request.user)
    if not roles:
        return None
    wanted = request.session.get(SESSION_KEY)
    for context in roles:
        if context.key == wanted:
            return context
    return roles[0]


def activate_role(request, key_or_role: str) -> RoleContext | None:
    """Make a role active; accepts a full key or just a role name. None if not held."""
    for context in available_roles(request.user):
        if key_or_role in (context.key, context.role):
            request.session[SESSION_KEY] = context.key
            return context
    return None
