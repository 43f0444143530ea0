"""Risk rules (data a school edits), each student's risk status per dimension, its history, and
the interventions the school records against a flag."""

from __future__ import annotations

import uuid

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q

from schools.models import EducationArea, School
from students.models import Student

from . import rules


class Dimension(models.TextChoices):
    ACADEMIC = "academic", rules.DIMENSIONS["academic"]
    ATTENDANCE = "attendance", rules.DIMENSIONS["attendance"]
    HEALTH = "health", rules.DIMENSIONS["health"]
    ECONOMIC = "economic", rules.DIMENSIONS["economic"]
    FAMILY = "family", rules.DIMENSIONS["family"]
    STATUS = "status", rules.DIMENSIONS["status"]


class Level(models.TextChoices):
    NORMAL = rules.NORMAL, rules.STATUS_LABELS[rules.NORMAL]
    AT_RISK = rules.AT_RISK, rules.STATUS_LABELS[rules.AT_RISK]
    PROBLEM = rules.PROBLEM, rules.STATUS_LABELS[rules.PROBLEM]


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class RiskRule(models.Model):
    """One risk rule in one scope: the install's default (no school, no area), an area's, or a
    school's. A school's rule replaces the area's and the default with the same key."""

    class Comparison(models.TextChoices):
        LT = "lt", "น้อยกว่า (<)"
        LE = "le", "ไม่เกิน (≤)"
        GT = "gt", "มากกว่า (>)"
        GE = "ge", "ตั้งแต่ (≥)"
        EQ = "eq", "เท่ากับ (=)"

    school = models.ForeignKey(
        School, verbose_name="โรงเรียน", null=True, blank=True, on_delete=models.CASCADE, related_name="risk_rules"
    )
    area = models.ForeignKey(
        EducationArea, verbose_name="เขตพื้นที่", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField("รหัสเกณฑ์", max_length=40)
    indicator = models.CharField("ตัวชี้วัด", max_length=40)
    comparison = models.CharField("การเปรียบเทียบ", max_length=2, choices=Comparison.choices)
    threshold = models.DecimalField("เกณฑ์", max_digits=7, decimal_places=2)
    severity = models.CharField(
        "ระดับ", max_length=10, choices=[(Level.AT_RISK, Level.AT_RISK.label), (Level.PROBLEM, Level.PROBLEM.label)]
    )
    dimension = models.CharField("ด้าน", max_length=12, choices=Dimension.choices)
    template = models.CharField("ข้อความเหตุผล", max_length=300)
    enabled = models.BooleanField("ใช้งาน", default=True)
    version = models.PositiveIntegerField("ฉบับที่", default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["dimension", "key"]
        verbose_name = "เกณฑ์ความเสี่ยง"
        verbose_name_plural = "เกณฑ์ความเสี่ยง"
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=Q(school__isnull=True, area__isnull=True), name="risk_rule_default_unique"
            ),
            models.UniqueConstraint(
                fields=["area", "key"], condition=Q(area__isnull=False), name="risk_rule_area_unique"
            ),
            models.UniqueConstraint(
                fields=["school", "key"], condition=Q(school__isnull=False), name="risk_rule_school_unique"
            ),
            models.CheckConstraint(condition=Q(school__isnull=True) | Q(area__isnull=True), name="risk_rule_one_scope"),
            models.CheckConstraint(condition=Q(severity__in=["at_risk", "problem"]), name="risk_rule_severity"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.school_id or self.area_id or 'ค่าเริ่มต้น'})"

    @property
    def indicator_label(self) -> str:
        from .indicators import label

        return label(self.indicator)

    def as_rule(self) -> rules.Rule:
        return rules.Rule(
            key=self.key,
            indicator=self.indicator,
            comparison=self.comparison,
            threshold=self.threshold,
            severity=self.severity,
            dimension=self.dimension,
            template=self.template,
            enabled=self.enabled,
        )


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class RiskStatus(models.Model):
    """A student's standing in one dimension, while it is not ปกติ (no row means ปกติ): the
    status, the reasons with their figures, since when. Derived: written only by the recompute."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="risk_statuses")
    dimension = models.CharField("ด้าน", max_length=12, choices=Dimension.choices)
    status = models.CharField("สถานะ", max_length=10, choices=Level.choices)
    reasons = models.JSONField("เหตุผล", default=list)
    computed_at = models.DateTimeField("คำนวณเมื่อ")
    since = models.DateTimeField("ตั้งแต่")

    class Meta:
        verbose_name = "สถานะความเสี่ยง"
        verbose_name_plural = "สถานะความเสี่ยง"
        constraints = [
            models.UniqueConstraint(fields=["student", "dimension"], name="risk_status_one_per_dimension"),
            models.CheckConstraint(condition=~Q(status="normal"), name="risk_status_not_normal"),
        ]
        indexes = [models.Index(fields=["school", "dimension", "status"], name="risk_status_school")]

    def __str__(self) -> str:
        return f"{self.student_id} {self.dimension}: {self.status}"


class RiskStatusChange(models.Model):
    """When a student's status in a dimension changed: became เสี่ยง/มีปัญหา, or cleared."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="risk_changes")
    dimension = models.CharField("ด้าน", max_length=12, choices=Dimension.choices)
    from_status = models.CharField("จาก", max_length=10, choices=Level.choices)
    to_status = models.CharField("เป็น", max_length=10, choices=Level.choices)
    reasons = models.JSONField("เหตุผล", default=list)
    at = models.DateTimeField("เมื่อ")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "ประวัติสถานะความเสี่ยง"
        verbose_name_plural = "ประวัติสถานะความเสี่ยง"
        indexes = [models.Index(fields=["student", "at"], name="risk_change_student")]

    def __str__(self) -> str:
        return f"{self.student_id} {self.dimension}: {self.from_status} → {self.to_status}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Intervention(models.Model):
    """What the school did about one flag of one student (การช่วยเหลือ): a home visit, counselling,
    a meeting with the parents, remedial teaching, a referral to a named service, or other; who
    owns it, since when, and the outcome it was closed with. Entered by people: never deleted
    with the student or the flag (the flag's row goes when it clears; the change that raised it
    stays in the history)."""

    class Kind(models.TextChoices):
        HOME_VISIT = "home_visit", "เยี่ยมบ้าน"
        COUNSELLING = "counselling", "ให้คำปรึกษา"
        PARENT_MEETING = "parent_meeting", "ประชุมผู้ปกครอง"
        REMEDIAL = "remedial", "สอนซ่อมเสริม"
        REFERRAL = "referral", "ส่งต่อ"
        OTHER = "other", "อื่น ๆ"

    class State(models.TextChoices):
        OPEN = "open", "กำลังช่วยเหลือ"
        CLOSED = "closed", "ปิดแล้ว"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.PROTECT, related_name="+")
    student = models.ForeignKey(Student, verbose_name="นักเรียน", on_delete=models.PROTECT, related_name="interventions")
    dimension = models.CharField("ด้าน", max_length=12, choices=Dimension.choices)
    flag_status = models.CharField("สถานะเมื่อเริ่มช่วยเหลือ", max_length=10, choices=Level.choices)
    risk_change = models.ForeignKey(
        RiskStatusChange,
        verbose_name="การเปลี่ยนสถานะที่ตอบสนอง",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interventions",
    )
    kind = models.CharField("วิธีการช่วยเหลือ", max_length=20, choices=Kind.choices)
    referred_to = models.CharField("หน่วยงานที่ส่งต่อ", max_length=200, blank=True)
    note = models.TextField("รายละเอียด", max_length=2000, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้รับผิดชอบ", on_delete=models.PROTECT, related_name="+"
    )
    opened_on = models.DateField("วันที่เริ่มช่วยเหลือ")
    status = models.CharField("สถานะ", max_length=10, choices=State.choices, default=State.OPEN)
    outcome = models.TextField("ผลการช่วยเหลือ", max_length=2000, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="ผู้ปิดการช่วยเหลือ",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField("ปิดเมื่อ", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_on", "-created_at"]
        verbose_name = "การช่วยเหลือนักเรียน"
        verbose_name_plural = "การช่วยเหลือนักเรียน"
        indexes = [models.Index(fields=["school", "student", "dimension"], name="intervention_flag")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="referral") | ~Q(referred_to=""), name="intervention_referral_names_service"
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True, closed_by__isnull=True)
                | (Q(status="closed", closed_at__isnull=False) & ~Q(outcome="")),
                name="intervention_closed_with_outcome",
            ),
            models.CheckConstraint(condition=~Q(flag_status="normal"), name="intervention_answers_a_flag"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.student_id} {self.dimension}"

    @property
    def is_open(self) -> bool:
        return self.status == self.State.OPEN
