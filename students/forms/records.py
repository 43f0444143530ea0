from __future__ import annotations

from django import forms

from qinfo.forms import BEDateField, ThaiForm, ThaiModelForm
from students import identity
from students.models import Classroom, GradeLevel, Guardian, Student

PREFIX_CHOICES = [("", "— เลือก —")] + [(prefix, prefix) for prefix in Student.PREFIXES]


class StudentForm(ThaiForm):
    student_number = forms.CharField(label="เลขประจำตัวนักเรียน", max_length=20)
    identifier = forms.CharField(
        label="เลขประจำตัวประชาชน หรือรหัส G",
        max_length=20,
        required=False,
        help_text="13 หลัก เช่น 1-2345-67890-12-1 หรือรหัส G เช่น G644200000001 — เว้นว่างได้หากเด็กยังไม่มีเลข",
    )
    prefix = forms.ChoiceField(label="คำนำหน้าชื่อ", choices=PREFIX_CHOICES)
    first_name = forms.CharField(label="ชื่อ", max_length=100)
    last_name = forms.CharField(label="นามสกุล", max_length=100)
    first_name_en = forms.CharField(label="ชื่อ (อังกฤษ)", max_length=100, required=False)
    last_name_en = forms.CharField(label="นามสกุล (อังกฤษ)", max_length=100, required=False)
    sex = forms.ChoiceField(label="เพศ", choices=[("", "— เลือก —"), *Student.Sex.choices])
    birth_date = BEDateField(label="วันเกิด (พ.ศ.)", required=False, help_text="เช่น 16/05/2556")
    reason = forms.CharField(label="เหตุผลการแก้ไข", max_length=200, required=False)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not editing:
            del self.fields["reason"]
        else:
            self.fields["reason"].required = True
            self.fields["reason"].help_text = "บันทึกไว้ในประวัติการแก้ไข เช่น “แก้ตามสำเนาทะเบียนบ้าน”"

    def clean_identifier(self) -> str:
        """Check the national ID or G-code here, not only in the service, so a bad ID is shown
        in the same round as the other field errors (a CE birth year, a missing name)."""
        raw = self.cleaned_data.get("identifier", "")
        if raw and raw.strip():
            try:
                identity.classify(raw)
            except identity.IdentifierError as error:
                raise forms.ValidationError(str(error)) from None
        return raw

    @staticmethod
    def initial_for(student: Student) -> dict:
        return {
            "student_number": student.student_number,
            "identifier": student.identifier,
            "prefix": student.prefix,
            "first_name": student.first_name,
            "last_name": student.last_name,
            "first_name_en": student.first_name_en,
            "last_name_en": student.last_name_en,
            "sex": student.sex,
            "birth_date": student.birth_date,
        }


RELIGION_CHOICES = [("", "— ไม่ระบุ —"), *Student.Religion.choices]
BLOOD_GROUP_CHOICES = [("", "— ไม่ระบุ —"), *Student.BloodGroup.choices]


class StudentProfileForm(ThaiForm):
    """The DMC profile beside the identity fields: personal details, address, disadvantage
    types (only for those allowed to see them), photo, and each guardian's occupation."""

    religion = forms.ChoiceField(label="ศาสนา", choices=RELIGION_CHOICES, required=False)
    nationality = forms.CharField(label="สัญชาติ", max_length=50, required=False)
    ethnicity = forms.CharField(label="เชื้อชาติ", max_length=50, required=False)
    blood_group = forms.ChoiceField(label="กลุ่มเลือด", choices=BLOOD_GROUP_CHOICES, required=False)
    phone = forms.CharField(label="โทรศัพท์", max_length=30, required=False)
    house_no = forms.CharField(label="บ้านเลขที่", max_length=30, required=False)
    moo = forms.CharField(label="หมู่", max_length=10, required=False)
    street = forms.CharField(label="ถนน/ซอย", max_length=100, required=False)
    subdistrict = forms.CharField(label="ตำบล/แขวง", max_length=100, required=False)
    district = forms.CharField(label="อำเภอ/เขต", max_length=100, required=False)
    province = forms.CharField(label="จังหวัด", max_length=100, required=False)
    postcode = forms.CharField(label="รหัสไปรษณีย์", max_length=5, required=False, help_text="ตัวเลข 5 หลัก")
    disadvantages = forms.MultipleChoiceField(
        label="ความด้อยโอกาส (พฐ.4/DMC)",
        choices=Student.Disadvantage.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="ข้อมูลอ่อนไหว: เห็นได้เฉพาะผู้บริหาร งานทะเบียน ครูแนะแนว และครูประจำชั้นของนักเรียน",
    )
    entry_date = BEDateField(label="วันเข้าเรียน (พ.ศ.)", required=False)
    previous_school = forms.CharField(label="โรงเรียนเดิม", max_length=200, required=False)
    previous_school_province = forms.CharField(label="จังหวัดของโรงเรียนเดิม", max_length=100, required=False)
    previous_grade = forms.CharField(label="ชั้นเรียนสุดท้ายที่โรงเรียนเดิม", max_length=10, required=False)
    photo = forms.FileField(
        label="รูปถ่าย",
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png"}),
        help_text="ไฟล์ JPG หรือ PNG ขนาดไม่เกิน 2 MB",
    )
    remove_photo = forms.BooleanField(label="ลบรูปถ่ายเดิม", required=False)

    ADDRESS_FIELDS = ("house_no", "moo", "street", "subdistrict", "district", "province", "postcode")
    PERSONAL_FIELDS = ("religion", "nationality", "ethnicity", "blood_group", "phone")
    SCHOOLING_FIELDS = ("entry_date", "previous_school", "previous_school_province", "previous_grade")

    def __init__(self, *args, guardians=(), show_sensitive: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not show_sensitive:
            del self.fields["disadvantages"]
        self.guardians = list(guardians)
        for guardian in self.guardians:
            name = f"occupation_{guardian.code}"
            self.fields[name] = forms.CharField(
                label=f"อาชีพของ{guardian} ({guardian.get_relationship_display()})",
                max_length=100,
                required=False,
                initial=guardian.occupation,
            )

    @staticmethod
    def initial_for(student: Student) -> dict:
        names = (*StudentProfileForm.PERSONAL_FIELDS, *StudentProfileForm.ADDRESS_FIELDS)
        return {
            **{name: getattr(student, name) for name in names},
            **{name: getattr(student, name) for name in StudentProfileForm.SCHOOLING_FIELDS},
            "disadvantages": list(student.disadvantages),
        }

    def section(self, names):
        return [self[name] for name in names if name in self.fields]

    def personal(self):
        return self.section(self.PERSONAL_FIELDS)

    def address(self):
        return self.section(self.ADDRESS_FIELDS)

    def schooling(self):
        return self.section(self.SCHOOLING_FIELDS)

    def occupation_fields(self):
        return [self[f"occupation_{guardian.code}"] for guardian in self.guardians]

    @property
    def submitted(self) -> bool:
        """Whether the profile section was on the page that was posted (its marker input).

        A post without it (an older page, a script sending only the identity fields) must not
        blank the profile: missing text fields would otherwise read as empty."""
        return self.is_bound and self.data.get("profile_section") == "1"

    def profile_data(self) -> dict:
        names = (*self.PERSONAL_FIELDS, *self.ADDRESS_FIELDS, *self.SCHOOLING_FIELDS, "disadvantages")
        return {name: self.cleaned_data[name] for name in names if name in self.fields}

    def occupations(self) -> dict[str, str]:
        return {str(guardian.code): self.cleaned_data[f"occupation_{guardian.code}"] for guardian in self.guardians}


class EnrolmentForm(ThaiForm):
    academic_year = forms.ModelChoiceField(label="ปีการศึกษา", queryset=None, empty_label=None)
    grade_level = forms.ModelChoiceField(label="ชั้น", queryset=GradeLevel.objects.all(), empty_label="— เลือก —")
    classroom = forms.ModelChoiceField(label="ห้อง", queryset=None, required=False, empty_label="— ยังไม่จัดห้อง —")
    number = forms.IntegerField(label="เลขที่", required=False, min_value=1, max_value=99)

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["academic_year"].queryset = school.academic_years.order_by("-year")
        self.fields["academic_year"].label_from_instance = lambda year: f"{year.year}"
        self.fields["classroom"].queryset = Classroom.objects.filter(school=school).select_related(
            "grade_level", "academic_year"
        )
        self.fields["classroom"].label_from_instance = lambda c: f"{c.name} ({c.academic_year.year})"


class GuardianForm(ThaiModelForm):
    class Meta:
        model = Guardian
        fields = ["prefix", "first_name", "last_name", "relationship", "phone", "email", "is_primary"]


class GuardianActivateForm(ThaiForm):
    code = forms.CharField(
        label="รหัสเปิดใช้งานจากโรงเรียน", max_length=20, help_text="10 ตัวอักษร เช่น ABCDE-23456 (ตัวพิมพ์เล็กหรือใหญ่ก็ได้)"
    )
    student_birth_date = BEDateField(label="วันเกิดของนักเรียน (พ.ศ.)", help_text="เพื่อยืนยันว่าเป็นผู้ปกครองจริง")


class ParentAccountForm(GuardianActivateForm):
    username = forms.CharField(label="ตั้งชื่อผู้ใช้", max_length=150, help_text="ภาษาอังกฤษหรือตัวเลข ใช้เข้าสู่ระบบครั้งต่อไป")
    first_name = forms.CharField(label="ชื่อของท่าน", max_length=100)
    last_name = forms.CharField(label="นามสกุลของท่าน", max_length=100)
    password1 = forms.CharField(label="รหัสผ่าน", widget=forms.PasswordInput, help_text="อย่างน้อย 8 ตัวอักษร ไม่ใช่ตัวเลขล้วน")
    password2 = forms.CharField(label="ยืนยันรหัสผ่าน", widget=forms.PasswordInput)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", "รหัสผ่านทั้งสองช่องไม่ตรงกัน")
        return cleaned
