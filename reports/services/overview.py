"""The read log of Student 360 (PDPA): what the page or API showed of a student's protected data.

The same lines as the pages each part comes from: the full national ID on the `qinfo.pdpa`
logger (students.disclosure.log_read, as the student page), the health record, each home visit,
the poverty screening and each SDQ assessment shown in the principal's access log
(students.services.care.sensitive_read_log, as the nutrition and care pages). A constant number
of statements: one INSERT per kind, whatever the rows.
"""

from __future__ import annotations

from reports.selectors.overview import StudentOverview
from students import disclosure
from students.models import SensitiveRead
from students.services.care import sensitive_read_log

Kind = SensitiveRead.Kind


def overview_reads_log(*, user, overview: StudentOverview, via: str, page: str = "overview") -> None:
    """`via` is the path read (the access log's channel), `page` names it on the pdpa line."""
    student = overview.student
    if overview.full_id_shown:
        disclosure.log_read(user, student, overview.record.disclosure, page=page, groups=["national_id"])
    if overview.measurements is not None:
        sensitive_read_log(user=user, students=[student], kind=Kind.HEALTH, via=via, records=[None])
    care = overview.care
    if care is None:
        return
    if care.visits:
        sensitive_read_log(
            user=user,
            students=[student] * len(care.visits),
            kind=Kind.HOME_VISIT,
            via=via,
            records=[visit.code for visit in care.visits],
        )
    if care.screening is not None:
        sensitive_read_log(user=user, students=[student], kind=Kind.POVERTY, via=via, records=[care.screening.code])
    if care.sdq:
        sensitive_read_log(
            user=user, students=[student] * len(care.sdq), kind=Kind.SDQ, via=via, records=[a.code for a in care.sdq]
        )
