"""Navigation for the active role: what the top bar shows on every page."""

from __future__ import annotations

from django.urls import reverse

from earlywarning.selectors import unread_alert_count
from schools.models import StaffMembership

from .roles import PARENT, active_role, available_roles

Role = StaffMembership.Role

# Per role: (label, url name) for a link, or (label, [(label, url name), ...]) for a dropdown
# group, used where a role has too many pages for one line of the top bar. Each link is a real
# page the role can use.
Entry = tuple[str, str] | tuple[str, list[tuple[str, str]]]
MENUS: dict[str, list[Entry]] = {
    Role.ADMIN: [("หน้าแรก", "home"), ("โรงเรียน", "schools:list"), ("นักเรียน", "students:list"), ("API", "api-docs")],
    Role.DISTRICT_OFFICER: [
        ("หน้าแรก", "home"),
        ("โรงเรียนในความดูแล", "schools:list"),
        ("นักเรียน", "students:list"),
        ("สรุปความเสี่ยง", "risk:summary"),
        ("ตรวจสอบผู้จบ (ปพ.3)", "reports:graduate_search"),
    ],
    Role.PRINCIPAL: [
        ("หน้าแรก", "home"),
        ("นักเรียน", "students:list"),
        ("ห้องเรียน", "students:classroom_list"),
        ("กลุ่มการเรียน", "academics:section_list"),
        ("สถานะรายวิชา", "academics:term_overview"),
        (
            "ดูแลนักเรียน",
            [
                ("การมาเรียน", "daily:school"),
                ("ภาวะโภชนาการ", "health:school"),
                ("การเยี่ยมบ้านและคัดกรอง", "care:school"),
                ("บันทึกการเข้าถึงข้อมูล", "care:log"),
            ],
        ),
        ("ความเสี่ยง", [("นักเรียนที่มีความเสี่ยง", "risk:list"), ("ติดตามการช่วยเหลือ", "risk:follow_up")]),
    ],
    Role.REGISTRAR: [
        ("หน้าแรก", "home"),
        (
            "นักเรียน",
            [
                ("นักเรียน", "students:list"),
                ("เพิ่มนักเรียน", "students:create"),
                ("รับย้ายเข้า", "status:transfer_in"),
                ("นำเข้านักเรียน", "imports:upload"),
                ("ประวัติการนำเข้า", "imports:list"),
                ("เช็คชื่อรายวัน", "daily:home"),
                ("สถิติการมาเรียน", "daily:school"),
                ("น้ำหนักส่วนสูง", "health:home"),
                ("สรุปภาวะโภชนาการ", "health:school"),
                ("นักเรียนที่มีความเสี่ยง", "risk:list"),
                ("เกณฑ์ความเสี่ยง", "risk:rules"),
                ("การส่งการแจ้งเตือน", "risk:alert_deliveries"),
            ],
        ),
        (
            "วิชาการ",
            [
                ("ห้องเรียน", "academics:classroom_manage"),
                ("รายวิชา", "academics:subject_list"),
                ("แผนการเรียน", "academics:study_plan_list"),
                ("กลุ่มการเรียน", "academics:section_list"),
                ("ตารางเรียน", "timetable:index"),
            ],
        ),
        (
            "ผลการเรียน",
            [
                ("สถานะรายวิชา", "academics:term_overview"),
                ("คำร้องแก้ไขผลการเรียน", "academics:result_changes"),
                ("เลื่อนชั้นปลายปี", "academics:promotion"),
            ],
        ),
        ("ปฏิทินโรงเรียน", "calendar:current"),
    ],
    Role.AREA_HEAD: [("หน้าแรก", "home"), ("กลุ่มการเรียน", "academics:section_list")],
    Role.COUNSELLOR: [
        ("หน้าแรก", "home"),
        ("นักเรียน", "students:list"),
        ("ห้องเรียน", "students:classroom_list"),
        (
            "ดูแลนักเรียน",
            [
                ("ห้องเรียน", "care:home"),
                ("การเยี่ยมบ้านและคัดกรอง", "care:school"),
                ("การมาเรียน", "daily:school"),
                ("ภาวะโภชนาการ", "health:school"),
            ],
        ),
        ("ความเสี่ยง", [("นักเรียนที่มีความเสี่ยง", "risk:list"), ("ติดตามการช่วยเหลือ", "risk:follow_up")]),
    ],
    Role.HOMEROOM_TEACHER: [
        ("หน้าแรก", "home"),
        ("เช็คชื่อรายวัน", "daily:home"),
        ("ดูแลนักเรียน", [("เยี่ยมบ้าน คัดกรอง SDQ", "care:home"), ("น้ำหนักส่วนสูง", "health:home")]),
        ("นักเรียนที่มีความเสี่ยง", "risk:list"),
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
    PARENT: [
        ("บุตรหลานของฉัน", "home"),
        ("แบบประเมิน SDQ", "care:parent_home"),
        ("เพิ่มบุตรหลาน", "students:guardian_link"),
    ],
}


def _current_url(path: str, urls: list[str]) -> str | None:
    """The one menu URL the path belongs to: the home page only on an exact match, otherwise
    the longest URL the path starts with (/students/new/ is เพิ่มนักเรียน, not นักเรียน)."""
    home = reverse("home")
    matches = [url for url in urls if (path == url if url == home else path.startswith(url))]
    return max(matches, key=len, default=None)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role = active_role(request)
    entries = MENUS.get(role.role if role else "", [("หน้าแรก", "home")])
    items = []
    for label, target in entries:
        if isinstance(target, str):
            items.append({"label": label, "url": reverse(target)})
        else:
            children = [{"label": child, "url": reverse(name)} for child, name in target]
            items.append({"label": label, "children": children})
    links = [link for item in items for link in item.get("children", [item])]
    current = _current_url(request.path, [link["url"] for link in links])
    for link in links:
        link["active"] = link["url"] == current
    for item in items:
        if "children" in item:
            item["active"] = any(child["active"] for child in item["children"])
    roles = available_roles(user)
    return {
        "nav_items": items,
        # The top bar's alerts link for everyone signed in: one count query.
        "unread_alerts": unread_alert_count(user),
        "active_role": role,
        "available_roles": roles,
        # The role selector names the place only when the roles are held in more than one, so the
        # usual case (every role at one school) shows a short, whole label in the top bar.
        "roles_in_several_places": len({context.place for context in roles}) > 1,
    }
