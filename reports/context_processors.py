"""Navigation for the active role: what the top bar shows on every page."""

from __future__ import annotations

from django.urls import reverse

from schools.models import StaffMembership

from .roles import PARENT, active_role, available_roles

Role = StaffMembership.Role

# (label, url name) per role; each entry is a real page the role can use.
MENUS: dict[str, list[tuple[str, str]]] = {
    Role.ADMIN: [("หน้าแรก", "home"), ("โรงเรียน", "schools:list"), ("นักเรียน", "students:list"), ("API", "api-docs")],
    Role.DISTRICT_OFFICER: [("หน้าแรก", "home"), ("โรงเรียนในความดูแล", "schools:list"), ("นักเรียน", "students:list")],
    Role.PRINCIPAL: [
        ("หน้าแรก", "home"),
        ("นักเรียน", "students:list"),
        ("ห้องเรียน", "students:classroom_list"),
        ("กลุ่มการเรียน", "academics:section_list"),
    ],
    Role.REGISTRAR: [
        ("หน้าแรก", "home"),
        ("นักเรียน", "students:list"),
        ("เพิ่มนักเรียน", "students:create"),
        ("ปฏิทินโรงเรียน", "calendar:current"),
        ("นำเข้านักเรียน", "imports:upload"),
        ("ห้องเรียน", "academics:classroom_manage"),
        ("รายวิชา", "academics:subject_list"),
        ("กลุ่มการเรียน", "academics:section_list"),
        ("ตารางเรียน", "timetable:index"),
    ],
    Role.COUNSELLOR: [("หน้าแรก", "home"), ("นักเรียน", "students:list"), ("ห้องเรียน", "students:classroom_list")],
    Role.HOMEROOM_TEACHER: [
        ("หน้าแรก", "home"),
        ("ห้องเรียนของฉัน", "students:classroom_list"),
        ("นักเรียน", "students:list"),
        ("ตารางสอนของฉัน", "timetable:mine"),
    ],
    Role.TEACHER: [
        ("หน้าแรก", "home"),
        ("นักเรียนของฉัน", "students:list"),
        ("รายวิชาที่สอน", "academics:section_list"),
        ("ตารางสอนของฉัน", "timetable:mine"),
    ],
    PARENT: [("บุตรหลานของฉัน", "home"), ("เพิ่มบุตรหลาน", "students:guardian_link")],
}


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role = active_role(request)
    items = []
    path = request.path
    for label, name in MENUS.get(role.role if role else "", [("หน้าแรก", "home")]):
        url = reverse(name)
        active = path == url if name == "home" else path.startswith(url)
        items.append({"label": label, "url": url, "active": active})
    return {"nav_items": items, "active_role": role, "available_roles": available_roles(user)}
