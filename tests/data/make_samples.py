"""Sample student files for the import tests and the browser journey.

Run from the repository root to regenerate them:  .venv/bin/python tests/data/make_samples.py

- dmc_good.xlsx          20 students in the DMC export layout, valid checksummed IDs, BE dates
- dmc_three_bad.xlsx     the same file with exactly three bad rows (sheet rows 4, 9 and 15):
                         a wrong ID check digit, a CE birth year, an unknown grade level
- dla_cp874.csv          12 students in the local-government (DLA/LEC) layout, Windows Thai encoding
- dmc_utf8_bom.csv       the good DMC rows as CSV in UTF-8 with a BOM (as Excel saves “CSV UTF-8”)
- intake_m1_good.xlsx    20 new ม.1 students in the DMC layout with the room left blank (not yet
                         placed in classrooms), other IDs and student numbers than dmc_good
- intake_m1_three_bad.xlsx  the same with the three bad rows of dmc_three_bad
- empty.csv              an empty file

The functions are imported by tests and the benchmark to build bigger files of the same shape.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from students.identity import make_national_id  # noqa: E402 — after the path set-up above
from students.importing import DMC_COLUMNS  # noqa: E402

DMC_HEADERS = [header for header, _ in DMC_COLUMNS]
BOYS = ("ธนกร", "ณัฐพล", "ภูมิพัฒน์", "กฤษดา", "พีรพัฒน์", "ธีรภัทร", "กิตติพงษ์", "ศุภกร", "วรเมธ", "อนุชา")
GIRLS = ("ณัฐธิดา", "พิมพ์ชนก", "กัญญาณัฐ", "ปุณยาพร", "ชนิดา", "สุภาวดี", "ธัญชนก", "วรรณษา", "อรปรียา", "ศิริพร")
SURNAMES = ("แก้วมณี", "ทองดี", "ศรีสุข", "บุญมา", "ใจดี", "มีสุข", "สายทอง", "รักไทย", "วงศ์ใหญ่", "พรหมมา")
FATHERS = ("สมชาย", "วิชัย", "ประยุทธ", "สมศักดิ์", "บุญชัย")
MOTHERS = ("สมศรี", "มาลี", "วันเพ็ญ", "สุดารัตน์", "อรุณี")
JOBS = ("รับจ้าง", "ค้าขาย", "เกษตรกร", "ประมง", "รับราชการ")


def national_id(serial: int, *, prefix: str = "1100") -> str:
    return make_national_id(f"{prefix}{serial:08d}")


def dmc_row(
    index: int, *, grade: str = "ม.1", rooms: int = 2, id_prefix: str = "1100", number_base: int = 69000
) -> list:
    """Row `index` (0-based) of a DMC file: boys and girls alternate, rooms fill in turn."""
    boy = index % 2 == 0
    first = (BOYS if boy else GIRLS)[index % 10]
    last = SURNAMES[(index // 2) % 10]
    day, month = 1 + index % 28, 1 + index % 12
    return [
        "10830001",
        "โรงเรียนเทศบาลบ้านทดสอบ",
        grade,
        str(1 + index % rooms),
        national_id(index + 1, prefix=id_prefix),
        str(number_base + index),
        "ช" if boy else "ญ",
        "ด.ช." if boy else "ด.ญ.",
        first,
        last,
        f"{day:02d}/{month:02d}/2556",
        "12",
        "42",
        "151",
        "ABO"[index % 3] if index % 4 else "AB",
        "พุทธ" if index % 7 else "อิสลาม",
        "ไทย",
        "ไทย",
        f"{10 + index}/{index % 5 + 1}",
        str(index % 9 + 1),
        "ถนนเทพกระษัตรี",
        "ตลาดใหญ่",
        "เมืองภูเก็ต",
        "ภูเก็ต",
        FATHERS[index % 5],
        last,
        JOBS[index % 5],
        MOTHERS[index % 5],
        last,
        JOBS[(index + 2) % 5],
        MOTHERS[index % 5],
        last,
        "มารดา",
        "ยากจน" if index % 6 == 0 else "ไม่มี",
    ]


def dmc_rows(count: int, **kwargs) -> list[list]:
    return [dmc_row(index, **kwargs) for index in range(count)]


def intake_rows(count: int = 20) -> list[list]:
    """A new ม.1 intake: the room column is blank until the registrar places the children."""
    room_col = DMC_HEADERS.index("ห้อง")
    rows = dmc_rows(count, id_prefix="1300", number_base=69500)
    for row in rows:
        row[room_col] = ""
    return rows


def with_three_bad_rows(rows: list[list]) -> list[list]:
    """Break sheet rows 4, 9 and 15 (data rows 3, 8, 14), one kind of error each."""
    bad = [list(row) for row in rows]
    id_col = DMC_HEADERS.index("เลขประจำตัวประชาชน")
    birth_col = DMC_HEADERS.index("วันเกิด")
    grade_col = DMC_HEADERS.index("ชั้น")
    good_id = bad[2][id_col]
    bad[2][id_col] = good_id[:-1] + str((int(good_id[-1]) + 1) % 10)
    bad[7][birth_col] = bad[7][birth_col].replace("/2556", "/2013")
    bad[13][grade_col] = "ม.7"
    return bad


def xlsx_bytes(headers: list[str], rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("นักเรียน")
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(headers: list[str], rows: list[list], *, encoding: str) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


DLA_HEADERS = [
    "ลำดับ",
    "รหัสนักเรียน",
    "เลขบัตรประชาชน",
    "คำนำหน้า",
    "ชื่อ",
    "สกุล",
    "เพศ",
    "วัน/เดือน/ปีเกิด",
    "ระดับชั้น",
    "ห้อง",
    "เลขที่",
    "ศาสนา",
    "สัญชาติ",
    "กรุ๊ปเลือด",
    "บ้านเลขที่",
    "หมู่ที่",
    "ตำบล/แขวง",
    "อำเภอ/เขต",
    "จังหวัด",
    "รหัสไปรษณีย์",
    "ชื่อบิดา",
    "สกุลบิดา",
    "อาชีพบิดา",
    "ชื่อมารดา",
    "สกุลมารดา",
    "อาชีพมารดา",
    "ชื่อผู้ปกครอง",
    "สกุลผู้ปกครอง",
    "ความสัมพันธ์กับนักเรียน",
    "เบอร์โทรผู้ปกครอง",
]


def dla_rows(count: int = 12) -> list[list]:
    rows = []
    for index in range(count):
        boy = index % 2 == 0
        last = SURNAMES[(index + 3) % 10]
        grandparent = index % 4 == 3
        rows.append(
            [
                str(index + 1),
                f"{5001 + index}",
                national_id(index + 1, prefix="1200"),
                "เด็กชาย" if boy else "เด็กหญิง",
                (BOYS if boy else GIRLS)[(index + 5) % 10],
                last,
                "ชาย" if boy else "หญิง",
                f"{1 + index:02d}/0{1 + index % 9}/2562",
                "ประถมศึกษาปีที่ 1" if index < 6 else "ป.2",
                "1",
                str(index % 6 + 1),
                "พุทธ",
                "ไทย",
                "O",
                f"{index + 1}",
                "๒",
                "ตลาดเหนือ",
                "เมืองภูเก็ต",
                "ภูเก็ต",
                "83000",
                FATHERS[index % 5],
                last,
                "ประมง",
                MOTHERS[index % 5],
                last,
                "ค้าขาย",
                "ยายแก้ว" if grandparent else MOTHERS[index % 5],
                last,
                "ยาย" if grandparent else "มารดา",
                f"08{index:08d}",
            ]
        )
    return rows


def write_all(directory: Path = HERE) -> list[Path]:
    good = dmc_rows(20)
    files = {
        "dmc_good.xlsx": xlsx_bytes(DMC_HEADERS, good),
        "dmc_three_bad.xlsx": xlsx_bytes(DMC_HEADERS, with_three_bad_rows(good)),
        "dla_cp874.csv": csv_bytes(DLA_HEADERS, dla_rows(), encoding="cp874"),
        "dmc_utf8_bom.csv": csv_bytes(DMC_HEADERS, good, encoding="utf-8-sig"),
        "empty.csv": b"",
        "intake_m1_good.xlsx": xlsx_bytes(DMC_HEADERS, intake_rows()),
        "intake_m1_three_bad.xlsx": xlsx_bytes(DMC_HEADERS, with_three_bad_rows(intake_rows())),
    }
    written = []
    for name, content in files.items():
        path = directory / name
        path.write_bytes(content)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_all():
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size:,} bytes)")
