"""Risk rules (data a school edits), each student's risk status per dimension, its history, and
the interventions the school records against a flag."""

from __future__ import annotations

import uuid

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
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

    def clean(self) -> None:
        # The recompute writes reasons in SQL (earlywarning.evaluation): figures as {name} only,
        # and only the figures of the rule's indicator's source (indicators.template_figures).
        from .indicators import template_figures

        try:
            parts = rules.template_parts(self.template or "")
        except ValueError:
            raise ValidationError(
                {"template": "ข้อความเหตุผลใส่ตัวเลขได้เฉพาะในรูป {ชื่อตัวชี้วัด} เช่น {gpax} และวงเล็บปีกกาต้องครบคู่"}
            ) from None
        allowed = template_figures(self.indicator or "")
        unknown = list(dict.fromkeys(name for _literal, name in parts if name is not None and name not in allowed))
        if unknown:
            named = ", ".join(f"{{{name}}}" for name in unknown)
            usable = ", ".join(f"{{{name}}}" for name in sorted(allowed))
            raise ValidationError(
                {"template": f"ข้อความเหตุผลใช้ตัวเลข {named} ไม่ได้ เพราะไม่มีในข้อมูลของตัวชี้วัดนี้ ใช้ได้: {usable}"}
            )

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


# --- Alerts and their delivery -------------------------------------------------------------------


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Alert(models.Model):
    """One message to one person about one student: a flag raised or escalated (to the homeroom
    teachers and the principal, worded for a parent to each activated guardian), or for a parent
    an absence today or a course result of 0, ร or มส. `dedup_key` names the event, so the same
    event never reaches the same person twice.

    A notice (`NOTICE_KINDS`: documents ready or failed) tells a member of staff that work they
    asked for has finished: it names no student, links to the page it is about (`link`) and
    stays in the inbox (services.notices)."""

    class Kind(models.TextChoices):
        FLAG_NEW = "flag_new", "พบความเสี่ยงใหม่"
        FLAG_ESCALATED = "flag_escalated", "ความเสี่ยงเพิ่มขึ้น"
        PARENT_FLAG = "parent_flag", "โรงเรียนขอให้ช่วยดูแล"
        ABSENCE = "absence", "ขาดเรียนวันนี้"
        RESULT = "result", "ผลการเรียนที่ต้องแก้ไข"
        DOCUMENTS_READY = "documents_ready", "เอกสารพร้อมดาวน์โหลด"
        DOCUMENTS_FAILED = "documents_failed", "สร้างเอกสารไม่สำเร็จ"

    class Audience(models.TextChoices):
        STAFF = "staff", "บุคลากร"
        PARENT = "parent", "ผู้ปกครอง"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ผู้รับ", on_delete=models.CASCADE, related_name="alerts"
    )
    school = models.ForeignKey(School, verbose_name="โรงเรียน", on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey(
        Student, verbose_name="นักเรียน", null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    audience = models.CharField("ผู้รับกลุ่ม", max_length=10, choices=Audience.choices)
    kind = models.CharField("ประเภท", max_length=20, choices=Kind.choices)
    dimension = models.CharField("ด้าน", max_length=12, choices=Dimension.choices, blank=True)
    title = models.CharField("หัวเรื่อง", max_length=200)
    body = models.TextField("ข้อความ")
    reasons = models.JSONField("เหตุผล", default=list, blank=True)
    dedup_key = models.CharField(max_length=120)
    # A notice's page (a path on this site); empty for the alerts about a student.
    link = models.CharField("ลิงก์", max_length=300, blank=True)
    created_at = models.DateTimeField("แจ้งเมื่อ")
    read_at = models.DateTimeField("อ่านเมื่อ", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "การแจ้งเตือน"
        verbose_name_plural = "การแจ้งเตือน"
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedup_key"], name="alert_once_per_recipient"),
            models.CheckConstraint(
                condition=Q(audience="parent", kind__in=["parent_flag", "absence", "result"])
                | Q(audience="staff", kind__in=["flag_new", "flag_escalated", "documents_ready", "documents_failed"]),
                name="alert_kind_fits_audience",
            ),
            models.CheckConstraint(
                condition=Q(student__isnull=False) | Q(kind__in=["documents_ready", "documents_failed"]),
                name="alert_names_a_student_unless_notice",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="alert_inbox"),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="alert_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind}: {self.title}"

    @property
    def is_notice(self) -> bool:
        return self.kind in NOTICE_KINDS


NOTICE_KINDS = frozenset({Alert.Kind.DOCUMENTS_READY, Alert.Kind.DOCUMENTS_FAILED})


class Channel(models.TextChoices):
    EMAIL = "email", "อีเมล"
    WEBHOOK = "webhook", "Webhook ของโรงเรียน"
    LINE = "line", "LINE"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class AlertPreference(models.Model):
    """How one person wants their alerts beyond the in-app inbox: e-mail (one digest a day at
    `digest_hour`), LINE, and quiet hours (Asia/Bangkok) during which nothing is sent."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="ผู้ใช้", on_delete=models.CASCADE, related_name="alert_preference"
    )
    email_enabled = models.BooleanField("รับสรุปทางอีเมล", default=False)
    email = models.EmailField("อีเมลสำหรับการแจ้งเตือน", blank=True)
    digest_hour = models.PositiveSmallIntegerField("ส่งสรุปทางอีเมลเวลา (ชั่วโมง)", default=18)
    line_enabled = models.BooleanField("รับทาง LINE", default=False)
    line_user_id = models.CharField("LINE user ID", max_length=64, blank=True)
    quiet_start = models.TimeField("ช่วงงดส่ง เริ่ม", null=True, blank=True)
    quiet_end = models.TimeField("ช่วงงดส่ง สิ้นสุด", null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "การตั้งค่าการแจ้งเตือน"
        verbose_name_plural = "การตั้งค่าการแจ้งเตือน"
        constraints = [
            models.CheckConstraint(condition=Q(digest_hour__lte=23), name="alert_pref_digest_hour"),
            models.CheckConstraint(
                condition=Q(quiet_start__isnull=True, quiet_end__isnull=True)
                | Q(quiet_start__isnull=False, quiet_end__isnull=False),
                name="alert_pref_quiet_both_or_none",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}"

    def channels(self) -> list[str]:
        out = []
        if self.email_enabled and self.email:
            out.append(Channel.EMAIL)
        if self.line_enabled and self.line_user_id:
            out.append(Channel.LINE)
        return out


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    exclude=["webhook_secret", "line_channel_token"],
)
class SchoolAlertChannel(models.Model):
    """A school's delivery settings, set by its admin or registrar: a webhook that receives every
    alert of the school (signed with the secret), and the LINE Official Account's channel access
    token used to push to the parents and staff who gave their LINE user ID."""

    school = models.OneToOneField(
        School, verbose_name="โรงเรียน", on_delete=models.CASCADE, related_name="alert_channel"
    )
    webhook_url = models.URLField("URL ของ webhook", blank=True)
    webhook_secret = models.CharField("รหัสลับสำหรับลงลายมือชื่อ (HMAC)", max_length=200, blank=True)
    line_channel_token = models.CharField("LINE channel access token", max_length=500, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "ช่องทางการแจ้งเตือนของโรงเรียน"
        verbose_name_plural = "ช่องทางการแจ้งเตือนของโรงเรียน"

    def __str__(self) -> str:
        return f"{self.school_id}"


class Delivery(models.Model):
    """One alert sent (or to send) over one channel: retried with backoff until it is sent or
    has used its attempts (then failed, with the last error, until someone retries it)."""

    class Status(models.TextChoices):
        PENDING = "pending", "รอส่ง"
        SENT = "sent", "ส่งแล้ว"
        FAILED = "failed", "ส่งไม่สำเร็จ"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField("ช่องทาง", max_length=10, choices=Channel.choices)
    status = models.CharField("สถานะ", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("จำนวนครั้งที่ส่ง", default=0)
    next_attempt_at = models.DateTimeField("ส่งครั้งต่อไป")
    last_error = models.CharField("ข้อผิดพลาดล่าสุด", max_length=500, blank=True)
    sent_at = models.DateTimeField("ส่งเมื่อ", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "การส่งการแจ้งเตือน"
        verbose_name_plural = "การส่งการแจ้งเตือน"
        constraints = [models.UniqueConstraint(fields=["alert", "channel"], name="delivery_once_per_channel")]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="delivery_due"),
            models.Index(fields=["school", "status"], name="delivery_school_status"),
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.channel}: {self.status}"
