"""Load a demo district: areas and schools, staff of every role, students with two years of
records. Each app seeds its own part (schools.demo, students.demo, ...)."""

from __future__ import annotations

import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from academics.demo.early_childhood import seed_development
from academics.demo.grades import seed_grades
from academics.demo.structure import seed_academics
from academics.demo.timetable import build_timetable
from earlywarning.demo import seed_interventions
from earlywarning.services.status import recompute_all
from qinfo import thaidate
from qinfo.bulk import without_history
from reports.demo import seed_documents, seed_graduates_and_certificates, seed_signing_certificates
from schools.demo import DEMO_PASSWORD, seed_organisation
from schools.models import School
from schools.selectors.organisation import current_term
from students.demo import seed_care, seed_daily_attendance, seed_measurements, seed_students

# Generated rows are loaded without row-history events; the audit starts with real changes.
DEMO_HISTORY = [
    "students.Student",
    "students.Enrolment",
    "students.Guardian",
    "students.Classroom",
    "students.DailyAttendance",
    "academics.Subject",
    "academics.StudyPlan",
    "academics.CourseSection",
    "academics.Registration",
    "academics.PromotionDecision",
    "academics.TimetableSlot",
    "students.HomeVisit",
    "students.PovertyScreening",
    "students.SdqAssessment",
    "students.MeasurementRound",
    "students.Measurement",
    "earlywarning.RiskStatus",
    "earlywarning.Intervention",
]


class Command(BaseCommand):
    help = "สร้างข้อมูลตัวอย่าง (เขตพื้นที่ โรงเรียน บุคลากร นักเรียน) สำหรับทดลองใช้งานและทดสอบประสิทธิภาพ"

    def add_arguments(self, parser):
        parser.add_argument("--areas", type=int, default=2, help="จำนวนเขตพื้นที่ (เขต 1 เป็น อปท., เขต 2 เป็น สพป.)")
        parser.add_argument("--schools", type=int, default=2, help="จำนวนโรงเรียนต่อเขต")
        parser.add_argument("--students-per-school", type=int, default=375)
        parser.add_argument("--seed", type=int, default=2569)
        parser.add_argument("--if-empty", action="store_true", help="ไม่ทำอะไรถ้ามีโรงเรียนในฐานข้อมูลแล้ว")
        parser.add_argument("--quiet-logins", action="store_true", help="ไม่พิมพ์รายชื่อบัญชีทดลอง")

    def handle(self, *args, areas, schools, students_per_school, seed, if_empty, quiet_logins, **options):
        if School.objects.exists():
            if if_empty:
                self.stdout.write("มีข้อมูลอยู่แล้ว ไม่สร้างข้อมูลตัวอย่างซ้ำ")
                if not quiet_logins:
                    self.print_logins()
                return
            raise CommandError("ฐานข้อมูลมีโรงเรียนอยู่แล้ว — ใช้ฐานข้อมูลว่าง หรือใส่ --if-empty")
        if areas < 1 or schools < 1 or students_per_school < 10:
            raise CommandError("ต้องมีอย่างน้อย 1 เขต 1 โรงเรียน และ 10 นักเรียนต่อโรงเรียน")
        started = time.monotonic()
        rng = random.Random(seed)
        current_year = thaidate.academic_year_of(timezone.localdate())
        with transaction.atomic(), without_history(*DEMO_HISTORY):
            org = seed_organisation(rng, areas=areas, schools_per_area=schools, current_year=current_year)
            self.stdout.write(f"  โรงเรียน {len(org.schools)} แห่ง ใน {len(org.areas)} เขต")
            results = seed_students(rng, org, students_per_school=students_per_school)
            total = sum(result.student_count for result in results)
            self.stdout.write(f"  นักเรียน {total:,} คน")
            self.extend(rng, org, results)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(self.style.SUCCESS(f"สร้างข้อมูลตัวอย่างเสร็จใน {time.monotonic() - started:.1f} วินาที"))
        if not quiet_logins:
            self.print_logins()

    def extend(self, rng, org, results) -> None:
        """Each capability adds its demo data here, in dependency order."""
        seed_academics(rng, org, results)
        self.stdout.write("  รายวิชา แผนการเรียน และกลุ่มการเรียนทุกภาคเรียน")
        seed_grades(rng, [plan.school for plan in org.schools])
        self.stdout.write("  คะแนน เวลาเรียน ผลการเรียนที่อนุมัติแล้ว และผลการประเมินของภาคเรียนที่ผ่านมา")
        cells = seed_development(rng, [plan.school for plan in org.schools])
        self.stdout.write(f"  ผลการประเมินพัฒนาการชั้นอนุบาล {cells:,} ช่อง")
        slots = 0
        for plan in org.schools:
            term = current_term(plan.school)
            if term is not None:
                slots += build_timetable(plan.school, term, rng)
        self.stdout.write(f"  ตารางเรียน/ตารางสอนภาคเรียนปัจจุบัน {slots:,} คาบ")
        marks = seed_daily_attendance(rng, [plan.school for plan in org.schools], today=timezone.localdate())
        self.stdout.write(f"  การมาเรียนรายวันตั้งแต่ต้นปีการศึกษา {marks:,} รายการ")
        visits, screenings, forms = seed_care(rng, results)
        self.stdout.write(f"  เยี่ยมบ้าน {visits:,} ครั้ง คัดกรองนักเรียนยากจน {screenings:,} คน แบบประเมิน SDQ {forms:,} ฉบับ")
        measured = seed_measurements(rng, [plan.school for plan in org.schools])
        self.stdout.write(f"  น้ำหนักส่วนสูงสองรอบ {measured:,} รายการ")
        root = seed_signing_certificates(org)
        self.stdout.write(f"  ใบรับรองตัวอย่างสำหรับลงนามเอกสารของทุกโรงเรียน (ใบรับรองหลักตัวอย่าง: {root})")
        # Last: the risk status reads the GPAs, results, rolls, measurements and care records above, as
        # the nightly run does. The planner's statistics first: autovacuum cannot see the rows of this
        # still-open transaction, and with the empty tables' figures one statement over 100,000
        # students took more than 20 minutes on nested loops (ANALYZE here samples this
        # transaction's own rows).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        risk = recompute_all()
        self.stdout.write(f"  สถานะความเสี่ยงของนักเรียน {risk.written:,} รายการ (ทุกด้าน จากข้อมูลข้างต้น)")
        documents = seed_documents([plan.school for plan in org.schools])
        self.stdout.write(f"  ปพ.6 ที่ออกแล้ว {documents:,} ฉบับ (ห้องละหนึ่งคน และบุตรหลานของบัญชีผู้ปกครองทดลอง)")
        graduates, certificates = seed_graduates_and_certificates([plan.school for plan in org.schools])
        self.stdout.write(f"  ปพ.3 ที่ออกแล้ว {graduates:,} ฉบับ ปพ.7 {certificates:,} ฉบับ")
        made, overdue = seed_interventions(rng)
        self.stdout.write(f"  การช่วยเหลือนักเรียนที่มีความเสี่ยง {made:,} รายการ (ยังไม่มีการช่วยเหลือเกินกำหนด {overdue:,} รายการ)")
        from earlywarning.models import Alert

        self.stdout.write(f"  การแจ้งเตือนถึงครูประจำชั้น ผู้อำนวยการ และผู้ปกครอง {Alert.objects.count():,} รายการ")

    def print_logins(self) -> None:
        from schools.models import StaffMembership, User

        def first(prefix: str) -> str | None:
            return (
                User.objects.filter(username__startswith=prefix)
                .order_by("id")
                .values_list("username", flat=True)
                .first()
            )

        homeroom = (
            StaffMembership.objects.filter(
                role="homeroom_teacher", school__isnull=False, user__username__startswith="teacher1_"
            )
            .order_by("user_id")
            .values_list("user__username", flat=True)
            .first()
        )
        area_head = (
            StaffMembership.objects.filter(role="area_head", user__username__startswith="teacher1_")
            .exclude(user__username=homeroom)
            .order_by("user_id")
            .values_list("user__username", flat=True)
            .first()
        )
        rows = [
            ("ผู้ดูแลระบบ", "admin"),
            ("เจ้าหน้าที่เขตพื้นที่ (เขต 1: อปท.)", "officer1"),
            ("เจ้าหน้าที่เขตพื้นที่ (เขต 2: สพป.)", first("officer2")),
            ("ผู้อำนวยการ", "principal1"),
            ("งานทะเบียน-วัดผล", "registrar1"),
            ("ครูแนะแนว", "counsellor1"),
            ("หัวหน้ากลุ่มสาระ", area_head),
            ("ครูประจำชั้น/ครูผู้สอน", homeroom),
            ("ผู้ปกครอง (บุตร 2 คน)", "parent1_1"),
        ]
        self.stdout.write("")
        self.stdout.write(f"บัญชีทดลอง (รหัสผ่านทุกบัญชี: {DEMO_PASSWORD})")
        for label, username in rows:
            if username:
                self.stdout.write(f"  {label:<36} {username}")
