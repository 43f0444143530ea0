"""What a ปพ.1 prints on the Ministry's pre-printed sheet: the plain form's context (every
figure from the grading module, `documents.pp1_context`) placed at the sheet's positions
(`reports.preprinted`), shifted by the school's printer offset."""

from __future__ import annotations

from decimal import Decimal

from reports import preprinted
from reports.models import PrinterOffset
from reports.selectors.documents import NoDocument
from schools.models import School

PREPRINTED_TEMPLATE = "reports/pdf/pp1_preprinted.html"
CALIBRATION_TEMPLATE = "reports/pdf/printer_calibration.html"


def printer_offset(school: School) -> tuple[Decimal, Decimal]:
    row = PrinterOffset.objects.filter(school=school).values_list("x_mm", "y_mm").first()
    return row or (Decimal(0), Decimal(0))


def _result_rows(blocks, in_hours: bool) -> list[dict]:
    grid = preprinted.RESULTS
    rows: list[dict] = []
    for block in blocks:
        rows.append({"kind": "label", "text": block.label})
        for line in block.lines:
            weight = f"{Decimal(line.weight):.0f}" if in_hours else line.weight
            rows.append({"kind": "line", "code": line.code, "name": line.name, "weight": weight, "result": line.result})
        rows.append({"kind": "gpa", "text": "ผลการเรียนเฉลี่ย", "result": "" if block.gpa is None else str(block.gpa)})
    if len(rows) > grid.capacity:
        raise NoDocument(
            f"ผลการเรียนของนักเรียนมี {len(rows)} บรรทัด เกินช่องของแบบพิมพ์ ปพ.1 ({grid.capacity} บรรทัด) "
            "โปรดพิมพ์แบบกระดาษเปล่าแทน"
        )
    for index, row in enumerate(rows):
        column, line = divmod(index, grid.rows)
        row["x"] = grid.columns[column]
        row["y"] = round(grid.top + line * grid.row, 2)
    return rows


def _area_rows(by_area) -> list[dict]:
    grid = preprinted.AREAS
    items = list(by_area)
    capacity = len(grid.columns) * grid.rows
    if len(items) > capacity:
        raise NoDocument(
            f"ผลการเรียนรายกลุ่มสาระมี {len(items)} กลุ่ม เกินช่องของแบบพิมพ์ ปพ.1 ({capacity} กลุ่ม) โปรดพิมพ์แบบกระดาษเปล่าแทน"
        )
    rows = []
    for index, (name, area) in enumerate(items):
        column, line = divmod(index, grid.rows)
        rows.append(
            {
                "x": grid.columns[column],
                "y": round(grid.top + line * grid.row, 2),
                "name": name,
                "weight": area.attempted,
                "gpa": "" if area.gpa is None else str(area.gpa),
            }
        )
    return rows


def preprinted_context(context: dict, *, offset: tuple[Decimal, Decimal]) -> dict:
    """The plain form's context plus the sheet's positions and the printer offset."""
    return {
        **context,
        "boxes": preprinted.FIELDS,
        "qr_box": preprinted.QR,
        "grid": preprinted.RESULTS,
        "area_grid": preprinted.AREAS,
        "result_rows": _result_rows(context["blocks"], context["in_hours"]),
        "area_rows": _area_rows(context["by_area"]),
        "offset_x": offset[0],
        "offset_y": offset[1],
    }


def calibration_context(school: School, *, offset: tuple[Decimal, Decimal]) -> dict:
    return {
        "school": school,
        "offset_x": offset[0],
        "offset_y": offset[1],
        "crosses": [
            {
                "x": x,
                "y": y,
                "left": x - 8,
                "right": x + 8,
                "top": y - 8,
                "bottom": y + 8,
                # The label beside the cross, on the side that stays on the page.
                "label_x": x + 4 if x < 150 else x - 34,
                "label_align": "left" if x < 150 else "right",
            }
            for x, y in preprinted.CROSSES
        ],
        "ticks_x": preprinted.ticks(210),
        "ticks_y": preprinted.ticks(297),
        "labels_x": list(range(10, 210, 10)),
        "labels_y": list(range(10, 297, 10)),
        "boxes": preprinted.FIELDS,
    }
