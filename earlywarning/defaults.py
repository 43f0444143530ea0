"""The rules an install starts with (DOMAIN.md §0, §7), as data: a school edits its own copy.

Each row: key, dimension, indicator, comparison, threshold, severity, Thai reason template (named
figures in braces), enabled. Sources: Q-Info's reported outcomes (GPAX < 1.5, more than three 0
grades in a year — Phuket City); AIR EWIMS (GPA ≤ 2.0, a failed course); Balfanz et al. 2007
(chronic absence ≥ 10 % of days); ร/มส not resolved within the next semester (DOMAIN.md §1,
"Changing a result"), counted from the day after that semester ends plus the school's grace
days. The run of absences (3 days) and over-age (2 years) are [U] defaults, kept editable.
Health, economic and family rules name the figures of the care records (earlywarning.indicators:
the latest measurement, poverty screening, home visit and SDQ forms of the year); shipped
disabled at first, enabled by the migration 0005_enable_care_rules.
"""

from __future__ import annotations

from decimal import Decimal

from .rules import AT_RISK, PROBLEM, Rule

D = Decimal

# ร/มส still standing after the next semester (plus the school's grace days): figures.overdue_results.
UNRESOLVED_TEMPLATE = "ติด ร/มส เกินกำหนดแก้ {unresolved} รายวิชา ({unresolved_courses})"

DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("gpax_low", "gpax", "lt", D("1.5"), PROBLEM, "academic", "ผลการเรียนเฉลี่ยสะสม {gpax}", True),
    Rule("zeros_in_year", "zeros_in_year", "gt", D("3"), PROBLEM, "academic",
         "ได้ผลการเรียน 0 จำนวน {zeros_in_year} วิชาในปีการศึกษา {year}", True),
    Rule("unresolved", "unresolved", "ge", D("1"), AT_RISK, "academic",
         UNRESOLVED_TEMPLATE, True),
    Rule("term_gpa_low", "term_gpa", "le", D("2.0"), AT_RISK, "academic",
         "ผลการเรียนเฉลี่ยภาคเรียนที่ {term_label} {term_gpa}", True),
    Rule("chronic_absence", "missed_percent", "ge", D("10"), AT_RISK, "attendance",
         "ขาดเรียน {missed_days} จาก {school_days} วันเรียน ({missed_percent}%)", True),
    Rule("absence_streak", "absence_streak", "ge", D("3"), AT_RISK, "attendance",
         "ขาดเรียนติดต่อกัน {absence_streak} วัน", True),
    Rule("ms_course", "ms_courses", "ge", D("1"), PROBLEM, "attendance",
         "มีผล มส (เวลาเรียนไม่ถึงร้อยละ 80) {ms_courses} วิชาในปีการศึกษา {year}", True),
    Rule("over_age", "years_over_age", "ge", D("2"), AT_RISK, "status",
         "อายุ {age} ปี สูงกว่าเกณฑ์ของชั้น {grade} ({years_over_age} ปี)", True),
    Rule("transfer_out_pending", "transfer_out_pending", "ge", D("1"), AT_RISK, "status",
         "มีคำขอย้ายออกไปโรงเรียนอื่นรออนุมัติ", True),
    # From the care records (measurements, the EEF screen, home visits, SDQ). The reasons of the
    # economic and family rules come from care records: rules.CARE_INDICATORS.
    Rule("thin", "nutrition_thin", "ge", D("1"), AT_RISK, "health", "ภาวะโภชนาการ: ผอม", True),
    Rule("short", "nutrition_short", "ge", D("1"), AT_RISK, "health", "ภาวะโภชนาการ: เตี้ย", True),
    Rule("obese", "nutrition_obese", "ge", D("1"), AT_RISK, "health", "ภาวะโภชนาการ: อ้วน", True),
    Rule("poverty_eligible", "poverty_eligible", "ge", D("1"), AT_RISK, "economic",
         "ผ่านเกณฑ์คัดกรองนักเรียนยากจน (กสศ.01)", True),
    Rule("home_visit_risk", "home_visit_risks", "ge", D("1"), AT_RISK, "family",
         "การเยี่ยมบ้านพบความเสี่ยง {home_visit_risks} ด้าน", True),
    Rule("sdq_risk", "sdq_band", "ge", D("1"), AT_RISK, "family", "ผลประเมิน SDQ อยู่ในกลุ่มเสี่ยง", True),
    Rule("sdq_problem", "sdq_band", "ge", D("2"), PROBLEM, "family", "ผลประเมิน SDQ อยู่ในกลุ่มมีปัญหา", True),
)  # fmt: skip
