"""A school's grading settings: School.policy (JSON) over the national defaults.

Keys a school may set (all optional): in_term_ratio, attendance_threshold, restudy_threshold,
remedial_cap, remedial_attempts, special_exam_cap, labels {grade: label}, graduation
{"M3": [total, basic, additional], "M6": [...]}, repeat_gpa_below, primary_results ("year", the
default: a primary year course has one result for the year; "term": a result each term, each
term's section carrying its share of the hours); and for kindergarten
kindergarten_attendance_threshold (per cent of school days, default 80 [U]; read by
academics.judge.judge_kindergarten).
"""

from __future__ import annotations

from decimal import Decimal

from schools.models import School

from .grading import DEFAULT_LABELS, PER_TERM, PER_YEAR, Policy

_DECIMALS = ("attendance_threshold", "restudy_threshold", "repeat_gpa_below")


def policy_for(school: School) -> Policy:
    settings = dict(school.policy or {})
    defaults = Policy()
    values = {}
    for key in ("in_term_ratio", "remedial_attempts"):
        if key in settings:
            values[key] = int(settings[key])
    for key in _DECIMALS:
        if key in settings:
            values[key] = Decimal(str(settings[key]))
    for key in ("remedial_cap", "special_exam_cap"):
        if key in settings:
            values[key] = str(settings[key])
    if "labels" in settings:
        values["labels"] = {**DEFAULT_LABELS, **{str(k): str(v) for k, v in settings["labels"].items()}}
    if "graduation" in settings:
        values["graduation"] = {
            **defaults.graduation,
            **{stage: tuple(Decimal(str(n)) for n in numbers) for stage, numbers in settings["graduation"].items()},
        }
    if settings.get("primary_results") in (PER_YEAR, PER_TERM):
        values["primary_results"] = settings["primary_results"]
    return Policy(**values)
