"""`manage.py documents render --type pp1 --student <code> --output file.pdf` (or
`--classroom <code> --output dir/`): render in this process, for scripts and support staff.
`--type pp6` takes `--term <number>` (default: the current term of the student's year);
`--type pp5 --section <code> --output file.pdf` renders a section's record book.
`--type pp3 --school <code> --year <BE> --stage <ป6|ม3|ม6> [--approved-on dd/mm/BBBB]` renders a
school's graduates report (with --issue also its .xlsx, written next to the PDF);
`--type pp7 --student <code> --purpose "..."` a student's certificate of results.

A specimen by default: the same layout and figures, but no serial and no QR, and nothing is
recorded. With `--issue --by <username>` the documents are issued as a job (serial, QR,
IssuedDocument rows, earlier copies voided) and run here, not in a worker. `--print-mode
preprinted` prints only the data for the Ministry's sheet (with --issue, give `--form-set` and
`--form-first-number`)."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from academics.models import CourseSection
from reports.models import DocumentType, IssuedDocument, PrintMode, ReportJob
from reports.selectors import documents as selectors
from reports.services import documents as services
from schools.models import User
from students.models import Classroom, Student


class Command(BaseCommand):
    help = "Render official documents (ปพ.1) to files."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        render = sub.add_parser("render", help="render ปพ.1 of a student or a classroom")
        render.add_argument("--type", default=DocumentType.PP1, choices=DocumentType.values)
        target = render.add_mutually_exclusive_group(required=True)
        target.add_argument("--student", help="the student's code (UUID)")
        target.add_argument("--classroom", help="the classroom's code (UUID)")
        target.add_argument("--section", help="the course section's code (UUID), for --type pp5")
        target.add_argument("--school", help="the school's code (UUID) or SMIS code, for --type pp3")
        render.add_argument("--year", type=int, help="the academic year (BE), for --type pp3")
        render.add_argument("--stage", help="ป6, ม3 or ม6, for --type pp3")
        render.add_argument("--approved-on", help="the graduation approval date, dd/mm/BBBB (pp3; default today)")
        render.add_argument("--purpose", default="", help="เพื่อใช้ ... printed on a ปพ.7")
        render.add_argument("--term", help="the term's number in the year (ปพ.6; default: the current term)")
        render.add_argument("--output", required=True, help="a .pdf file for a student, a directory for a classroom")
        render.add_argument("--issue", action="store_true", help="issue them (serials, QR, records)")
        render.add_argument("--by", help="username of the issuer (with --issue)")
        render.add_argument(
            "--print-mode",
            default=PrintMode.PLAIN,
            choices=PrintMode.values,
            help="plain paper or the pre-printed sheet",
        )
        render.add_argument("--form-set", default="", help="ชุดที่ of the pre-printed sheets (with --issue)")
        render.add_argument("--form-first-number", default="", help="เลขที่ of the first sheet (with --issue)")

    def handle(self, *args, **options):
        if options["type"] == DocumentType.PP3 or options["school"]:
            self._pp3(options)
            return
        if options["type"] == DocumentType.PP7:
            self._pp7(options)
            return
        if options["type"] == DocumentType.PP5 or options["section"]:
            self._pp5(options)
            return
        self.term = None
        if options["student"]:
            students = [self._get(Student, options["student"])]
            classroom = None
        else:
            classroom = self._get(Classroom, options["classroom"])
            students = selectors.classroom_students(classroom)
        output = Path(options["output"])
        if options["type"] == DocumentType.PP6:
            classroom_of = classroom or self._classroom_of(students[0])
            self.term = selectors.classroom_term(classroom_of, options["term"])
        started = time.monotonic()
        if options["issue"]:
            self._issue(students, classroom, output, options)
        else:
            self._specimens(students, classroom, output, print_mode=options["print_mode"])
        seconds = time.monotonic() - started
        self.stdout.write(f"{len(students)} document(s) in {seconds:.2f} s")

    def _pp5(self, options) -> None:
        if options["type"] != DocumentType.PP5 or not options["section"]:
            raise CommandError("a section is printed with --type pp5 --section <code>")
        section = self._get(CourseSection, options["section"])
        output = Path(options["output"])
        output.parent.mkdir(parents=True, exist_ok=True)
        pdf = services.render_pp5_pdf(section, issued_on=timezone.localdate())
        output.write_bytes(pdf)
        self.stdout.write(f"{output} {len(pdf):,} bytes")

    def _pp3(self, options) -> None:
        from qinfo import thaidate
        from reports.selectors import pp3_pp7
        from reports.services import pp3_pp7 as pp37_services
        from schools.models import AcademicYear, School

        if options["type"] != DocumentType.PP3 or not options["school"]:
            raise CommandError("a ปพ.3 is printed with --type pp3 --school <code> --year <BE> --stage <ป6|ม3|ม6>")
        text = options["school"].strip()
        school = School.objects.filter(obec_code=text).first() if text.isdigit() else None
        school = school or self._get(School, text)
        stage = pp3_pp7.stage_of(options["stage"] or "")
        if not stage:
            raise CommandError("--stage must be ป6, ม3 or ม6")
        year = AcademicYear.objects.filter(school=school, year=options["year"]).first()
        if year is None:
            raise CommandError(f"{school.name} has no academic year {options['year']}")
        try:
            approved_on = (
                thaidate.parse_be_date(options["approved_on"]) if options["approved_on"] else timezone.localdate()
            )
        except thaidate.BEDateError as error:
            raise CommandError(str(error)) from error
        output = Path(options["output"])
        output.parent.mkdir(parents=True, exist_ok=True)
        if not options["issue"]:
            pdf = pp37_services.render_pp3_specimen(
                school, year, stage, approved_on=approved_on, issued_on=timezone.localdate()
            )
            output.write_bytes(pdf)
            self.stdout.write(f"{output} {len(pdf):,} bytes")
            return
        by = self._by(options)
        try:
            job = pp37_services.pp3_request(
                school=school, academic_year=year, stage=stage, approved_on=approved_on, by=by
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        document = self._run(job).get()
        with document.file.open("rb") as handle:
            output.write_bytes(handle.read())
        workbook = output.with_suffix(".xlsx")
        with document.graduate_report.xlsx.open("rb") as handle:
            workbook.write_bytes(handle.read())
        self.stdout.write(f"{output} {workbook} {document.printed_number}")

    def _pp7(self, options) -> None:
        from reports.services import pp3_pp7 as pp37_services

        if not options["student"]:
            raise CommandError("a ปพ.7 is printed with --type pp7 --student <code> --purpose ...")
        if not options["purpose"].strip():
            raise CommandError("a ปพ.7 needs --purpose (เพื่อใช้ ...)")
        student = self._get(Student, options["student"])
        output = Path(options["output"])
        output.parent.mkdir(parents=True, exist_ok=True)
        if not options["issue"]:
            try:
                pdf = pp37_services.render_pp7_pdf(
                    student, document=None, issued_on=timezone.localdate(), purpose=options["purpose"].strip()
                )
            except selectors.NoDocument as refusal:
                raise CommandError(f"{student.student_number}: {refusal}") from refusal
            output.write_bytes(pdf)
            self.stdout.write(f"{output} {len(pdf):,} bytes")
            return
        try:
            job = services.report_job_request(
                school=student.school,
                students=[student],
                doc_type=DocumentType.PP7,
                purpose=options["purpose"],
                by=self._by(options),
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        document = self._run(job).get()
        with document.file.open("rb") as handle:
            output.write_bytes(handle.read())
        self.stdout.write(f"{output} {document.printed_number}")

    def _by(self, options) -> User:
        if not options["by"]:
            raise CommandError("--issue needs --by <username>")
        try:
            return User.objects.get(username=options["by"])
        except User.DoesNotExist as error:
            raise CommandError(f"no user {options['by']}") from error

    def _run(self, job: ReportJob):
        """Run the job here; its issued documents."""
        outcome = services.report_job_run(job_id=job.pk)
        job.refresh_from_db()
        if job.status != ReportJob.Status.DONE:
            raise CommandError(f"job {job.code} {outcome}: {job.error}")
        return IssuedDocument.objects.filter(job=job)

    def _classroom_of(self, student: Student) -> Classroom:
        enrolment = student.enrolments.filter(classroom__isnull=False).order_by("-academic_year__year").first()
        if enrolment is None:
            raise CommandError(f"{student.student_number}: no classroom, so no term for a ปพ.6")
        return enrolment.classroom

    def _get(self, model, code):
        try:
            return model.objects.get(code=code)
        except (model.DoesNotExist, ValueError) as error:
            raise CommandError(f"no {model.__name__} with code {code}") from error

    def _target(self, output: Path, student: Student, index: int, single: bool) -> Path:
        if single:
            output.parent.mkdir(parents=True, exist_ok=True)
            return output
        output.mkdir(parents=True, exist_ok=True)
        return output / f"{index:02d}-{student.student_number}.pdf"

    def _specimens(self, students, classroom, output: Path, *, print_mode: str) -> None:
        today = timezone.localdate()
        for index, student in enumerate(students, start=1):
            try:
                if self.term is not None:
                    pdf = services.render_pp6_pdf(student, self.term, document=None, issued_on=today)
                else:
                    pdf = services.render_student_pdf(student, document=None, issued_on=today, print_mode=print_mode)
            except selectors.NoDocument as refusal:
                raise CommandError(f"{student.student_number}: {refusal}") from refusal
            path = self._target(output, student, index, classroom is None)
            path.write_bytes(pdf)
            self.stdout.write(f"{path} {len(pdf):,} bytes")

    def _issue(self, students, classroom, output: Path, options) -> None:
        if not options["by"]:
            raise CommandError("--issue needs --by <username>")
        by = User.objects.get(username=options["by"])
        try:
            job = services.report_job_request(
                school=students[0].school if students else None,
                students=students,
                classroom=classroom,
                by=by,
                doc_type=options["type"],
                term=self.term,
                print_mode=options["print_mode"],
                form_set=options["form_set"],
                form_first_number=options["form_first_number"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        outcome = services.report_job_run(job_id=job.pk)
        job.refresh_from_db()
        if job.status != ReportJob.Status.DONE:
            raise CommandError(f"job {job.code} {outcome}: {job.error}")
        documents = {d.student_id: d for d in IssuedDocument.objects.filter(job=job)}
        for index, student in enumerate(students, start=1):
            path = self._target(output, student, index, classroom is None)
            with documents[student.pk].file.open("rb") as handle:
                path.write_bytes(handle.read())
            self.stdout.write(f"{path} {documents[student.pk].printed_number}")
