"""Who may see and change schools, years and memberships."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from qinfo.access import Scope, cached_on_user, get_visible_or_404
from schools.models import AcademicYear, EducationArea, School, StaffMembership

Role = StaffMembership.Role

# Roles that see every student and record of their school.
SCHOOL_WIDE_ROLES = (Role.ADMIN, Role.PRINCIPAL, Role.REGISTRAR, Role.COUNSELLOR)
# Roles that manage the school's records (students, classrooms, calendar).
SCHOOL_MANAGER_ROLES = (Role.ADMIN, Role.REGISTRAR)
TEACHING_ROLES = (Role.TEACHER, Role.HOMEROOM_TEACHER)


def _descendant_area_ids(root_ids: Iterable[int]) -> frozenset[int]:
    """Areas nest; an officer of an area oversees its sub-areas too. The area table is small."""
    roots = set(root_ids)
    if not roots:
        return frozenset()
    children: dict[int | None, list[int]] = {}
    for area_id, parent_id in EducationArea.objects.values_list("id", "parent_id"):
        children.setdefault(parent_id, []).append(area_id)
    found, stack = set(), list(roots)
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, []))
    return frozenset(found)


def active_memberships(user) -> QuerySet[StaffMembership]:
    """The roles a user holds today: switched on and not past their end date."""
    today = timezone.localdate()
    return StaffMembership.objects.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today), user=user, is_active=True)


def _compute_scope(user) -> Scope:
    if not user.is_authenticated:
        return Scope(user_id=None)
    school_roles: dict[int, set[str]] = {}
    area_roots: set[int] = set()
    is_admin = bool(user.is_superuser)
    for school_id, area_id, role in active_memberships(user).values_list("school_id", "area_id", "role"):
        if school_id is not None:
            school_roles.setdefault(school_id, set()).add(role)
        elif area_id is not None:
            area_roots.add(area_id)
        elif role == Role.ADMIN:
            is_admin = True
    area_ids = _descendant_area_ids(area_roots)
    overseen: frozenset[int] = frozenset()
    if area_ids:
        overseen = frozenset(
            School.objects.filter(Q(area_id__in=area_ids) | Q(groupings__in=area_ids))
            .values_list("id", flat=True)
            .distinct()
        )
    return Scope(
        user_id=user.pk,
        is_admin=is_admin,
        school_roles={school: frozenset(roles) for school, roles in school_roles.items()},
        overseen_school_ids=overseen,
        area_ids=area_ids,
    )


def scope_for(user) -> Scope:
    return cached_on_user(user, "scope", lambda: _compute_scope(user))


def current_link(user, *, school: str = "school", year: str = "academic_year") -> Q:
    """The condition under which a link row (homeroom teacher of a classroom, teacher of a
    section) still gives access: the user holds a role at that school today, and the row
    belongs to the academic year running today. Last year's homeroom teacher of 1/1 is no
    longer the teacher of this year's 1/1, and a revoked teacher is nobody's teacher.

    `school` and `year` name the lookups from the queried model to its school and year."""
    today = timezone.localdate()
    return Q(
        **{
            f"{school}_id__in": frozenset(scope_for(user).school_roles),
            f"{year}__start_date__lte": today,
            f"{year}__end_date__gte": today,
        }
    )


def readable_school_ids(user) -> frozenset[int] | None:
    """Schools whose records the user may read in full; None means every school (admin)."""
    scope = scope_for(user)
    if scope.is_admin:
        return None
    return scope.school_ids_with(*SCHOOL_WIDE_ROLES) | scope.overseen_school_ids


def managed_school_ids(user) -> frozenset[int] | None:
    """Schools whose records the user may change; None means every school (admin)."""
    scope = scope_for(user)
    if scope.is_admin:
        return None
    return scope.school_ids_with(*SCHOOL_MANAGER_ROLES)


def _restrict(queryset: QuerySet, field: str, ids: frozenset[int] | None) -> QuerySet:
    if ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": ids})


def schools_visible_to(user) -> QuerySet[School]:
    """Schools the user works in or oversees (not the schools of a parent's children)."""
    scope = scope_for(user)
    queryset = School.objects.select_related("affiliation", "area")
    if scope.is_admin:
        return queryset
    return queryset.filter(id__in=set(scope.school_roles) | scope.overseen_school_ids)


def schools_writable_by(user) -> QuerySet[School]:
    scope = scope_for(user)
    queryset = School.objects.select_related("affiliation", "area")
    if scope.is_admin:
        return queryset
    return queryset.filter(id__in=scope.school_ids_with(Role.ADMIN, Role.PRINCIPAL))


def access_school(user, code, *, write: bool = False) -> School:
    queryset = schools_writable_by(user) if write else schools_visible_to(user)
    return get_visible_or_404(queryset, code=code)


def areas_visible_to(user) -> QuerySet[EducationArea]:
    scope = scope_for(user)
    if scope.is_admin:
        return EducationArea.objects.all()
    return EducationArea.objects.filter(id__in=scope.area_ids)


def academic_years_visible_to(user) -> QuerySet[AcademicYear]:
    scope = scope_for(user)
    queryset = AcademicYear.objects.select_related("school")
    if scope.is_admin:
        return queryset
    return queryset.filter(school_id__in=set(scope.school_roles) | scope.overseen_school_ids)


def can_manage_school(user, school_id: int) -> bool:
    ids = managed_school_ids(user)
    return ids is None or school_id in ids


def memberships_visible_to(user) -> QuerySet[StaffMembership]:
    """Memberships an admin or principal may review (their own schools' staff)."""
    scope = scope_for(user)
    queryset = StaffMembership.objects.select_related("user", "school", "area")
    if scope.is_admin:
        return queryset
    return queryset.filter(school_id__in=scope.school_ids_with(Role.ADMIN, Role.PRINCIPAL))


# The role the user is working in is kept in the session by reports.roles; pages of lower
# apps read only which school it names, to default to that school.
ACTIVE_ROLE_SESSION_KEY = "qinfo_active_role"

# reports.roles knows which role is active when the user has not picked one (its priority
# order); it registers that here so lower apps can ask without importing upward.
_active_role_resolver: Callable[[object], str | None] | None = None


def register_active_role_resolver(resolver: Callable[[object], str | None]) -> None:
    global _active_role_resolver
    _active_role_resolver = resolver


def active_role_name(request) -> str | None:
    """The role (e.g. "registrar") the user works in on this request, as the role switcher shows
    it; None when no resolver is registered or the user holds no role."""
    if _active_role_resolver is None:
        return None
    return _active_role_resolver(request)


def school_for_request(request, *, write: bool = False, code: str | None = None) -> School:
    """The school a school-level page works on: the one named by `code` (?school=...), else
    the school of the active role, else the user's first school. 404 if none is allowed."""
    if write:
        managed = managed_school_ids(request.user)
        queryset = School.objects.select_related("affiliation", "area")
        if managed is not None:
            queryset = queryset.filter(id__in=managed)
    else:
        queryset = schools_visible_to(request.user)
    code = code or request.GET.get("school") or request.POST.get("school")
    if code:
        return get_visible_or_404(queryset, code=code)
    active = request.session.get(ACTIVE_ROLE_SESSION_KEY, "")
    parts = active.split(":")
    if len(parts) == 3 and parts[1].isdigit():
        school = queryset.filter(pk=int(parts[1])).first()
        if school is not None:
            return school
    school = queryset.order_by("name").first()
    if school is None:
        raise Http404("ไม่พบโรงเรียน")
    return school
