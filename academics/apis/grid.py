"""API of the grade grid: the grid of a section, one cell, a small block of cells (paste),
a cell's history, the section's assessment plan and its components.

Reads are open to whoever may see the section; every write fetches the section through
`access_section_for_grading` again (the section's teachers, the registrar/admin), so a
read-only viewer and a stranger get the same 404 on a save as on a section that does not
exist.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from academics.access import access_section_for_grading
from academics.grid import (
    GradingContext,
    RowSummary,
    cell_history,
    grading_context,
    grid_items,
    locked_reason,
    open_grid,
    row_summaries,
    row_summary_of,
    section_grid,
)
from academics.locking import db_clock, is_editable
from academics.models import AssessmentItem, CourseSection
from academics.results import plan_for
from academics.services import assessment as services
from qinfo import thaidate
from qinfo.access import get_visible_or_404
from qinfo.api import INTEGER_MAX, bounded_integer
from students.models import Student

# --- Shared shapes -------------------------------------------------------------------------------


class GridErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


class GridCellOutputSerializer(serializers.Serializer):
    """A stored cell: its value or mark, version, and who changed it last and when."""

    item = serializers.UUIDField()
    student = serializers.UUIDField()
    value = serializers.CharField(allow_null=True, help_text="คะแนน (ทศนิยมไม่เกิน 2 ตำแหน่ง) หรือ null")
    mark = serializers.CharField(help_text="ร, มส หรือว่าง")
    display = serializers.CharField(help_text="สิ่งที่แสดงในตาราง")
    version = serializers.IntegerField(help_text="0 = ยังไม่เคยบันทึก")
    updated_by = serializers.CharField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)
    updated_at_display = serializers.CharField(help_text="วันเวลาแบบ พ.ศ.")


class GridWantedSerializer(serializers.Serializer):
    value = serializers.CharField(allow_null=True)
    mark = serializers.CharField()
    display = serializers.CharField()


class GridRowDisplaySerializer(serializers.Serializer):
    """The row's figures as the page shows them (academics.grid.RowSummary.display)."""

    in_term = serializers.CharField()
    final = serializers.CharField()
    total = serializers.CharField()
    attendance = serializers.CharField(help_text="เช่น 88.8 %")
    result = serializers.CharField(help_text="ผลการเรียน หรือ “ยังไม่ครบ” ระหว่างกรอกคะแนน")


class GridRowOutputSerializer(serializers.Serializer):
    """The live totals of a student's row (not stored until the results are recomputed)."""

    student = serializers.UUIDField()
    in_term = serializers.CharField(allow_null=True)
    final = serializers.CharField(allow_null=True)
    total = serializers.CharField(allow_null=True)
    attendance = serializers.CharField(allow_null=True, help_text="ร้อยละเวลาเรียน")
    attendance_low = serializers.BooleanField(help_text="ต่ำกว่าเกณฑ์ (มส)")
    result = serializers.CharField(help_text="ผลการเรียน 0–4, ร, มส หรือว่างระหว่างกรอกคะแนน")
    result_label = serializers.CharField()
    display = GridRowDisplaySerializer()
    read_at = serializers.IntegerField(
        allow_null=True,
        required=False,
        help_text="นาฬิกาของฐานข้อมูล (ไมโครวินาที) เมื่ออ่านแถวนี้หลังบันทึก: หน้าจอเก็บแถวที่ใหม่ที่สุดไว้ แม้คำตอบจะมาถึงสลับลำดับกัน",
    )


class GridConflictSerializer(serializers.Serializer):
    theirs = GridCellOutputSerializer()
    yours = GridWantedSerializer()


def cell_json(cell: services.StoredCell) -> dict:
    when = cell.updated_at
    return {
        "item": cell.item.code,
        "student": cell.student.code,
        "value": None if cell.value is None else f"{cell.value:.2f}",
        "mark": cell.mark,
        "display": cell.content.display,
        "version": cell.version,
        "updated_by": cell.updated_by.display_name if cell.updated_by is not None else None,
        "updated_at": when,
        "updated_at_display": thaidate.format_datetime(_local(when)) if when else "",
    }


_DATETIME = serializers.DateTimeField()


def plain_json(body):
    """What the output serializer would give for a body that is already in its shape (dicts,
    lists, strings, numbers, booleans, UUIDs and datetimes): UUIDs as text and datetimes as DRF
    writes them, in the current time zone. The one-cell save answers with it; building the
    serializer's tree of fields took a millisecond of every save. Its OutputSerializer still
    describes the answer in the schema, and a test holds the two equal."""
    if isinstance(body, dict):
        return {key: plain_json(value) for key, value in body.items()}
    if isinstance(body, list):
        return [plain_json(value) for value in body]
    if isinstance(body, datetime):
        return _DATETIME.to_representation(body)
    if isinstance(body, UUID):
        return str(body)
    return body


def wanted_json(value: services.CellValue) -> dict:
    return {
        "value": None if value.value is None else f"{value.value:.2f}",
        "mark": value.mark,
        "display": value.display,
    }


def row_json(student, summary: RowSummary, read_at: int | None = None) -> dict:
    return {"student": student.code, **summary.as_json(), "read_at": read_at}


def _local(when):
    return timezone.localtime(when)


def _item(section: CourseSection, code) -> AssessmentItem:
    return get_visible_or_404(AssessmentItem.objects.filter(section_id=section.pk), code=code)


def _student(section: CourseSection, code) -> Student:
    return get_visible_or_404(Student.objects.filter(registrations__section_id=section.pk), code=code)


CONFLICT_DETAIL = "มีผู้อื่นแก้ไขช่องนี้ก่อนคุณ กรุณาเลือกค่าที่ต้องการเก็บไว้"


# --- The grid ------------------------------------------------------------------------------------


class GridOutputSerializer(serializers.Serializer):
    class SectionSerializer(serializers.Serializer):
        code = serializers.UUIDField()
        subject_code = serializers.CharField()
        subject_name = serializers.CharField()
        label = serializers.CharField()
        term = serializers.CharField()
        result_status = serializers.CharField()
        writable = serializers.BooleanField(help_text="ผู้ใช้บันทึกคะแนนได้ และผลการเรียนยังไม่ถูกส่ง")
        locked_reason = serializers.CharField()
        in_term_ratio = serializers.IntegerField()

    class ItemSerializer(serializers.Serializer):
        code = serializers.UUIDField()
        name = serializers.CharField()
        kind = serializers.ChoiceField(choices=AssessmentItem.Kind.choices)
        max_score = serializers.DecimalField(max_digits=5, decimal_places=2)
        is_final = serializers.BooleanField()
        order = serializers.IntegerField()

    class RowSerializer(serializers.Serializer):
        class CellSerializer(serializers.Serializer):
            display = serializers.CharField()
            version = serializers.IntegerField()

        student = serializers.UUIDField()
        student_number = serializers.CharField()
        name = serializers.CharField()
        number = serializers.IntegerField(allow_null=True)
        classroom = serializers.CharField()
        cells = CellSerializer(many=True, help_text="ตามลำดับของ items")
        summary = GridRowOutputSerializer()

    section = SectionSerializer()
    items = ItemSerializer(many=True)
    rows = RowSerializer(many=True)
    warnings = serializers.ListField(child=serializers.CharField())


class SectionGridApi(APIView):
    @extend_schema(responses={200: GridOutputSerializer}, summary="ตารางคะแนนของกลุ่มการเรียน")
    def get(self, request, code):
        section, writable = open_grid(request.user, code)
        grid = section_grid(section)
        data = {
            "section": {
                "code": section.code,
                "subject_code": section.subject.subject_code,
                "subject_name": section.subject.name,
                "label": section.label,
                "term": f"ทั้งปี/{section.term.academic_year.year}"
                if section.spans_year
                else f"{section.term.number}/{section.term.academic_year.year}",
                "result_status": section.result_status,
                "writable": writable and is_editable(section),
                "locked_reason": locked_reason(section),
                "in_term_ratio": grid.plan.in_term_ratio,
            },
            "items": grid.items,
            "rows": [
                {
                    "student": row.student.code,
                    "student_number": row.student.student_number,
                    "name": row.student.full_name,
                    "number": row.number,
                    "classroom": row.classroom,
                    "cells": row.cells,
                    "summary": row_json(row.student, row.summary),
                }
                for row in grid.rows
            ],
            "warnings": grid.warnings,
        }
        return Response(GridOutputSerializer(data).data)


# --- One cell ----------------------------------------------------------------------------------


class ScoreCellApi(APIView):
    class InputSerializer(serializers.Serializer):
        value = serializers.CharField(
            allow_blank=True,
            allow_null=True,
            trim_whitespace=False,
            help_text="ที่ครูพิมพ์: ตัวเลข (รับเลขไทยและจุลภาคทศนิยม), ร, มส (หรือ r, ms), ว่าง = ล้างช่อง",
        )
        expected_version = bounded_integer(
            "เวอร์ชัน",
            min_value=0,
            max_value=INTEGER_MAX,
            allow_null=True,
            help_text="เวอร์ชันที่ผู้ใช้เห็นล่าสุด (0 = ช่องว่าง); null = ไม่ตรวจ",
        )

    class OutputSerializer(serializers.Serializer):
        status = serializers.CharField(help_text="saved = บันทึกแล้ว, unchanged = ค่าเดิมอยู่แล้ว ไม่ได้เขียนซ้ำ")
        cell = GridCellOutputSerializer()
        row = GridRowOutputSerializer()

    class ConflictSerializer(serializers.Serializer):
        detail = serializers.CharField()
        theirs = GridCellOutputSerializer()
        yours = GridWantedSerializer()

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer, 400: GridErrorSerializer, 409: ConflictSerializer},
        summary="บันทึกคะแนนหนึ่งช่อง",
        description="บันทึกแบบ idempotent ตาม (รายการวัดผล, นักเรียน) พร้อมตรวจเวอร์ชัน: ถ้ามีผู้อื่นแก้ไขก่อน "
        "ตอบ 409 พร้อมค่าทั้งสองฝั่งและไม่บันทึก; ส่งค่าเดิมซ้ำได้ผลเหมือนเดิม",
    )
    def put(self, request, code, item_code, student_code):
        # The hot path of grade entry: the session and the user from their cached copies, the
        # section with its plan and items from `grading_context`'s copy, then one round trip
        # whatever the size of the class: the access check that locks the student's row, and
        # the save that checks and writes and reads the row's totals back
        # (`score_save_checked`).
        context = grading_context(code)
        if context is None:
            raise Http404
        item = context.item(item_code)
        if item is None:  # an item added since the copy was read, or none of this section
            context = grading_context(code, fresh=True)
            item = context.item(item_code) if context is not None else None
            if item is None:
                raise Http404
        serializer = self.InputSerializer(data=request.data)
        if not serializer.is_valid():
            # Field errors only once the user is known to grade the section and the student is
            # in it: a stranger learns nothing from a malformed body either.
            if services.graded_student(context.section, student_code, request.user) is None:
                raise Http404
            serializer.is_valid(raise_exception=True)
        saved, context = self._save(request, code, context, item, student_code, serializer.validated_data)
        if saved is None:  # a stranger, a read-only viewer, a student not in the section
            raise Http404
        student, result = saved
        if result.conflict:
            body = {"detail": CONFLICT_DETAIL, "theirs": cell_json(result.cell), "yours": wanted_json(result.yours)}
            return Response(self.ConflictSerializer(body).data, status=status.HTTP_409_CONFLICT)
        if result.row is not None:
            if result.row.stamp != context.stamp:
                # The plan or items changed since the copy was read: the totals are computed
                # from them as they are now (what the statement read).
                context = grading_context(code, fresh=True)
            summary = row_summary_of(context.section, context.plan, context.items, result.row)
            read_at = result.row.read_at
        else:
            # Nothing written: the row is read under the student's lock, and stamped, so the
            # page can tell it from the answers of the saves around it.
            with transaction.atomic():
                services.lock_registration(section_id=context.section.pk, student_id=student.pk)
                summary = row_summaries(context.section, [student.pk])[student.pk]
                read_at = db_clock()
        body = {"status": result.status, "cell": cell_json(result.cell), "row": row_json(student, summary, read_at)}
        return Response(plain_json(body))

    @staticmethod
    def _save(request, code, context: GradingContext, item, student_code, data):
        """`score_save_checked` with the cached copy; once more with a fresh copy when the
        cached one refused the value as above the item's maximum, which may have been raised
        since (a stale copy must not refuse what the database would take). An item gone is a
        404."""

        def save(context, item):
            try:
                return services.score_save_checked(
                    section=context.section,
                    item=item,
                    student_code=student_code,
                    raw=data["value"],
                    expected_version=data["expected_version"],
                    by=request.user,
                )
            except ValidationError as error:
                if "item_missing" in _error_codes(error):
                    raise Http404 from None
                raise

        try:
            return save(context, item), context
        except ValidationError as error:
            if "above_max" not in _error_codes(error):
                raise
            fresh = grading_context(code, fresh=True)
            if fresh is None or fresh.stamp == context.stamp:
                raise
            item = fresh.item(item.code)
            if item is None:
                raise Http404 from None
            return save(fresh, item), fresh


def _error_codes(error: ValidationError) -> set[str]:
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


class ScoreCellHistoryApi(APIView):
    class OutputSerializer(serializers.Serializer):
        at = serializers.DateTimeField()
        at_display = serializers.CharField()
        user = serializers.CharField()
        action = serializers.CharField()
        old = serializers.CharField()
        new = serializers.CharField()
        reason = serializers.CharField()

    @extend_schema(responses={200: OutputSerializer(many=True)}, summary="ประวัติการแก้ไขคะแนนหนึ่งช่อง")
    def get(self, request, code, item_code, student_code):
        section, _writable = open_grid(request.user, code)
        item = _item(section, item_code)
        student = _student(section, student_code)
        entries = [
            {
                "at": entry.at,
                "at_display": thaidate.format_datetime(_local(entry.at)),
                "user": entry.user,
                "action": entry.action,
                "old": entry.old,
                "new": entry.new,
                "reason": entry.reason,
            }
            for entry in cell_history(item, student)
        ]
        return Response(self.OutputSerializer(entries, many=True).data)


# --- A block of cells (paste) --------------------------------------------------------------------


class ScoreBlockApi(APIView):
    class InputSerializer(serializers.Serializer):
        class CellSerializer(serializers.Serializer):
            item = serializers.UUIDField()
            student = serializers.UUIDField()
            value = serializers.CharField(allow_blank=True, allow_null=True, trim_whitespace=False)
            expected_version = bounded_integer("เวอร์ชัน", min_value=0, max_value=INTEGER_MAX, allow_null=True)

        cells = CellSerializer(many=True, help_text=f"ไม่เกิน {services.MAX_BLOCK_CELLS} ช่องต่อครั้ง")

        def validate_cells(self, cells):
            if len(cells) > services.MAX_BLOCK_CELLS:
                raise serializers.ValidationError(
                    f"ส่งได้ครั้งละไม่เกิน {services.MAX_BLOCK_CELLS} ช่อง (ส่งมา {len(cells)} ช่อง)"
                )
            return cells

    class OutputSerializer(serializers.Serializer):
        class SavedSerializer(serializers.Serializer):
            status = serializers.CharField(help_text="saved = บันทึกแล้ว, unchanged = ค่าเดิมอยู่แล้ว ไม่ได้เขียนซ้ำ")
            cell = GridCellOutputSerializer()

        cells = SavedSerializer(many=True)
        rows = GridRowOutputSerializer(many=True)

    class ConflictSerializer(serializers.Serializer):
        detail = serializers.CharField()
        conflicts = GridConflictSerializer(many=True)

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer, 400: GridErrorSerializer, 409: ConflictSerializer},
        summary="บันทึกคะแนนหลายช่อง (วางจากตาราง)",
        description="ทั้งชุดหรือไม่บันทึกเลย: ช่องที่ไม่ถูกต้องตอบ 400 โดย errors ใช้คีย์ “รหัสรายการ:รหัสนักเรียน”; "
        "ถ้ามีช่องที่ผู้อื่นแก้ไขก่อน ตอบ 409 พร้อมค่าทั้งสองฝั่งและไม่บันทึกช่องใดเลย",
    )
    def post(self, request, code):
        section = access_section_for_grading(request.user, code)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        wanted = serializer.validated_data["cells"]
        items = {item.code: item for item in AssessmentItem.objects.filter(section_id=section.pk)}
        students = {
            student.code: student
            for student in Student.objects.filter(
                registrations__section_id=section.pk, code__in={cell["student"] for cell in wanted}
            )
        }
        errors = {}
        cells = []
        for cell in wanted:
            key = f"{cell['item']}:{cell['student']}"
            item, student = items.get(cell["item"]), students.get(cell["student"])
            if item is None:
                errors[key] = ["ไม่พบรายการวัดผลนี้ในกลุ่มการเรียน (อาจถูกลบไปแล้ว กรุณาโหลดหน้าใหม่)"]
            elif student is None:
                errors[key] = ["ไม่พบนักเรียนคนนี้ในกลุ่มการเรียน"]
            else:
                cells.append(services.BlockCell(item, student, cell["value"], cell["expected_version"]))
        if errors:
            raise ValidationError(errors)
        # The block holds the section FOR UPDATE: its rows are read and stamped before that lock
        # is let go, so no single save of these students is half-way while they are read.
        with transaction.atomic():
            outcome = services.scores_save_block(section=section, cells=cells, by=request.user)
            if outcome.conflicts:
                body = {
                    "detail": CONFLICT_DETAIL,
                    "conflicts": [
                        {"theirs": cell_json(result.cell), "yours": wanted_json(result.yours)}
                        for result in outcome.conflicts
                    ],
                }
                return Response(self.ConflictSerializer(body).data, status=status.HTTP_409_CONFLICT)
            touched = {result.cell.student.pk: result.cell.student for result in outcome.results}
            summaries = row_summaries(section, touched)
            read_at = db_clock() if touched else None
        body = {
            "cells": [{"status": result.status, "cell": cell_json(result.cell)} for result in outcome.results],
            "rows": [row_json(student, summaries[pk], read_at) for pk, student in touched.items()],
        }
        return Response(self.OutputSerializer(body).data)


# --- The assessment plan and its components ----------------------------------------------------


class AssessmentItemOutputSerializer(serializers.Serializer):
    code = serializers.UUIDField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=AssessmentItem.Kind.choices)
    max_score = serializers.DecimalField(max_digits=5, decimal_places=2)
    is_final = serializers.BooleanField()
    order = serializers.IntegerField()


class AssessmentItemInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=AssessmentItem.Kind.choices, default=AssessmentItem.Kind.ASSIGNMENT)
    max_score = serializers.CharField(help_text="คะแนนเต็ม มากกว่า 0")
    is_final = serializers.BooleanField(default=False)


class AssessmentItemListApi(APIView):
    @extend_schema(responses={200: AssessmentItemOutputSerializer(many=True)}, summary="รายการวัดผลของกลุ่มการเรียน")
    def get(self, request, code):
        section, _writable = open_grid(request.user, code)
        return Response(AssessmentItemOutputSerializer(grid_items(section), many=True).data)

    @extend_schema(
        request=AssessmentItemInputSerializer,
        responses={201: AssessmentItemOutputSerializer, 400: GridErrorSerializer},
        summary="เพิ่มรายการวัดผล",
    )
    def post(self, request, code):
        section = access_section_for_grading(request.user, code)
        serializer = AssessmentItemInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.assessment_item_create(section=section, by=request.user, **serializer.validated_data)
        return Response(AssessmentItemOutputSerializer(item).data, status=status.HTTP_201_CREATED)


class AssessmentItemDetailApi(APIView):
    @extend_schema(
        request=AssessmentItemInputSerializer,
        responses={200: AssessmentItemOutputSerializer, 400: GridErrorSerializer},
        summary="แก้ไขรายการวัดผล",
    )
    def patch(self, request, code, item_code):
        section = access_section_for_grading(request.user, code)
        item = _item(section, item_code)
        serializer = AssessmentItemInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = {
            "name": item.name,
            "kind": item.kind,
            "max_score": item.max_score,
            "is_final": item.is_final,
            **{key: value for key, value in serializer.validated_data.items() if key in request.data},
        }
        item = services.assessment_item_update(item=item, by=request.user, **data)
        return Response(AssessmentItemOutputSerializer(item).data)

    @extend_schema(
        responses={204: None, 400: GridErrorSerializer},
        summary="ลบรายการวัดผล (ลบได้เฉพาะรายการที่ยังไม่มีคะแนน)",
    )
    def delete(self, request, code, item_code):
        section = access_section_for_grading(request.user, code)
        item = _item(section, item_code)
        services.assessment_item_delete(item=item, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AssessmentPlanApi(APIView):
    class InputSerializer(serializers.Serializer):
        in_term_ratio = serializers.IntegerField(min_value=0, max_value=100)

    class OutputSerializer(serializers.Serializer):
        in_term_ratio = serializers.IntegerField()
        final_ratio = serializers.IntegerField()

    @extend_schema(responses={200: OutputSerializer}, summary="สัดส่วนคะแนนระหว่างภาค:ปลายภาค")
    def get(self, request, code):
        section, _writable = open_grid(request.user, code)
        plan = plan_for(section)
        return Response(
            self.OutputSerializer({"in_term_ratio": plan.in_term_ratio, "final_ratio": 100 - plan.in_term_ratio}).data
        )

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer, 400: GridErrorSerializer},
        summary="ตั้งสัดส่วนคะแนนของกลุ่มการเรียน",
    )
    def put(self, request, code):
        section = access_section_for_grading(request.user, code)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = services.assessment_plan_update(
            section=section, in_term_ratio=serializer.validated_data["in_term_ratio"], by=request.user
        )
        return Response(
            self.OutputSerializer({"in_term_ratio": plan.in_term_ratio, "final_ratio": 100 - plan.in_term_ratio}).data
        )
