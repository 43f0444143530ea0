"""Early-childhood evaluation (หลักสูตรการศึกษาปฐมวัย พุทธศักราช 2560): the national defaults
of its standards, indicators and levels, the summary rule, and the year-end proposal for a
kindergarten child. Pure functions, no Django.

Kindergarten (อ.1–อ.3) is evaluated as development in four domains by the curriculum's 12
standards (มาตรฐานคุณลักษณะที่พึงประสงค์) and their indicators (ตัวบ่งชี้), in levels, never in
grades, credits or a GPA. Schools record a level per child per indicator per term (the
recording forms and school report books seen keep one level per indicator and summarise
standards and domains from them), so that is what the system records.

Summary rule (shown on the pages):
- a standard's level is the mean of its indicators' levels, rounded half up (2.5 -> 3);
- a domain's level is the mean of its standards' levels, rounded half up;
- nothing is summarised until every indicator under it has a level (no partial means);
- over a year, an indicator's level is its level in the latest term that has one: development
  is judged by where the child is now, as the report books' "สรุปประจำปี" does.

Sources and markers (as in DOMAIN.md): the 12 standards, their four domains and the indicator
texts follow หลักสูตรการศึกษาปฐมวัย พุทธศักราช 2560; copies published by schools differ in small
wording [P], so each school keeps its own editable rows. Levels 3 ดี / 2 พอใช้ / 1 ควรส่งเสริม
are the common scale [P] (labels editable). The attendance share for the year-end proposal
(80 %) and the proposal rule itself were not confirmed in a primary source [U]: the threshold
is the school setting `kindergarten_attendance_threshold`, and the registrar confirms every
proposal. The curriculum was revised in 2568; a school moving to it edits its rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from qinfo.numbers import format_percent

# --- The national defaults ------------------------------------------------------------------------

PHYSICAL, EMOTIONAL, SOCIAL, INTELLECTUAL = "physical", "emotional", "social", "intellectual"
DOMAINS: tuple[tuple[str, str], ...] = (
    (PHYSICAL, "ด้านร่างกาย"),
    (EMOTIONAL, "ด้านอารมณ์ จิตใจ"),
    (SOCIAL, "ด้านสังคม"),
    (INTELLECTUAL, "ด้านสติปัญญา"),
)
DOMAIN_LABELS = dict(DOMAINS)

# Levels most schools use [P]: a school may rename them (e.g. ดีมาก / ดี / ปรับปรุง).
DEFAULT_LEVELS: dict[int, str] = {3: "ดี", 2: "พอใช้", 1: "ควรส่งเสริม"}


@dataclass(frozen=True)
class StandardText:
    number: int
    domain: str
    name: str
    indicators: tuple[tuple[str, str], ...]  # (code "1.1", text)


# หลักสูตรการศึกษาปฐมวัย พุทธศักราช 2560: มาตรฐานคุณลักษณะที่พึงประสงค์ and ตัวบ่งชี้.
NATIONAL_2560: tuple[StandardText, ...] = (
    StandardText(
        1,
        PHYSICAL,
        "ร่างกายเจริญเติบโตตามวัยและมีสุขนิสัยที่ดี",
        (
            ("1.1", "มีน้ำหนักและส่วนสูงตามเกณฑ์"),
            ("1.2", "มีสุขภาพอนามัย สุขนิสัยที่ดี"),
            ("1.3", "รักษาความปลอดภัยของตนเองและผู้อื่น"),
        ),
    ),
    StandardText(
        2,
        PHYSICAL,
        "กล้ามเนื้อใหญ่และกล้ามเนื้อเล็กแข็งแรงใช้ได้อย่างคล่องแคล่วและประสานสัมพันธ์กัน",
        (
            ("2.1", "เคลื่อนไหวร่างกายอย่างคล่องแคล่ว ประสานสัมพันธ์และทรงตัวได้"),
            ("2.2", "ใช้มือ-ตาประสานสัมพันธ์กัน"),
        ),
    ),
    StandardText(
        3,
        EMOTIONAL,
        "มีสุขภาพจิตดีและมีความสุข",
        (
            ("3.1", "แสดงออกทางอารมณ์ได้อย่างเหมาะสม"),
            ("3.2", "มีความรู้สึกที่ดีต่อตนเองและผู้อื่น"),
        ),
    ),
    StandardText(
        4,
        EMOTIONAL,
        "ชื่นชมและแสดงออกทางศิลปะ ดนตรี และการเคลื่อนไหว",
        (("4.1", "สนใจ มีความสุขและแสดงออกผ่านงานศิลปะ ดนตรี และการเคลื่อนไหว"),),
    ),
    StandardText(
        5,
        EMOTIONAL,
        "มีคุณธรรม จริยธรรม และมีจิตใจที่ดีงาม",
        (
            ("5.1", "ซื่อสัตย์สุจริต"),
            ("5.2", "มีความเมตตา กรุณา มีน้ำใจ และช่วยเหลือแบ่งปัน"),
            ("5.3", "มีความเห็นอกเห็นใจผู้อื่น"),
            ("5.4", "มีความรับผิดชอบ"),
        ),
    ),
    StandardText(
        6,
        SOCIAL,
        "มีทักษะชีวิตและปฏิบัติตนตามหลักปรัชญาของเศรษฐกิจพอเพียง",
        (
            ("6.1", "ช่วยเหลือตนเองในการปฏิบัติกิจวัตรประจำวัน"),
            ("6.2", "มีวินัยในตนเอง"),
            ("6.3", "ประหยัดและพอเพียง"),
        ),
    ),
    StandardText(
        7,
        SOCIAL,
        "รักธรรมชาติ สิ่งแวดล้อม วัฒนธรรม และความเป็นไทย",
        (
            ("7.1", "ดูแลรักษาธรรมชาติและสิ่งแวดล้อม"),
            ("7.2", "มีมารยาทตามวัฒนธรรมไทยและรักความเป็นไทย"),
        ),
    ),
    StandardText(
        8,
        SOCIAL,
        "อยู่ร่วมกับผู้อื่นได้อย่างมีความสุขและปฏิบัติตนเป็นสมาชิกที่ดีของสังคมในระบอบประชาธิปไตยอันมีพระมหากษัตริย์ทรงเป็นประมุข",
        (
            ("8.1", "ยอมรับความเหมือนและความแตกต่างระหว่างบุคคล"),
            ("8.2", "มีปฏิสัมพันธ์ที่ดีกับผู้อื่น"),
            ("8.3", "ปฏิบัติตนเบื้องต้นในการเป็นสมาชิกที่ดีของสังคม"),
        ),
    ),
    StandardText(
        9,
        INTELLECTUAL,
        "ใช้ภาษาสื่อสารได้เหมาะสมกับวัย",
        (
            ("9.1", "สนทนาโต้ตอบและเล่าเรื่องให้ผู้อื่นเข้าใจ"),
            ("9.2", "อ่าน เขียนภาพ และสัญลักษณ์ได้"),
        ),
    ),
    StandardText(
        10,
        INTELLECTUAL,
        "มีความสามารถในการคิดที่เป็นพื้นฐานในการเรียนรู้",
        (
            ("10.1", "มีความสามารถในการคิดรวบยอด"),
            ("10.2", "มีความสามารถในการคิดเชิงเหตุผล"),
            ("10.3", "มีความสามารถในการคิดแก้ปัญหาและตัดสินใจ"),
        ),
    ),
    StandardText(
        11,
        INTELLECTUAL,
        "มีจินตนาการและความคิดสร้างสรรค์",
        (
            ("11.1", "ทำงานศิลปะตามจินตนาการและความคิดสร้างสรรค์"),
            ("11.2", "แสดงท่าทาง/เคลื่อนไหวตามจินตนาการอย่างสร้างสรรค์"),
        ),
    ),
    StandardText(
        12,
        INTELLECTUAL,
        "มีเจตคติที่ดีต่อการเรียนรู้ และมีความสามารถในการแสวงหาความรู้ได้เหมาะสมกับวัย",
        (
            ("12.1", "มีเจตคติที่ดีต่อการเรียนรู้"),
            ("12.2", "มีความสามารถในการแสวงหาความรู้"),
        ),
    ),
)


# --- The summary rule -----------------------------------------------------------------------------


def rounded_mean(levels: Sequence[int | None]) -> int | None:
    """The mean of the levels rounded half up; None when there are none or any is missing."""
    if not levels or any(level is None for level in levels):
        return None
    mean = Decimal(sum(levels)) / Decimal(len(levels))  # type: ignore[arg-type]
    return int(mean.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def latest_level(levels_by_term: Sequence[int | None]) -> int | None:
    """An indicator's level over a year: its level in the latest term that has one (terms in order)."""
    for level in reversed(levels_by_term):
        if level is not None:
            return level
    return None


@dataclass(frozen=True)
class Summary:
    standards: dict[int, int | None]  # standard number -> level
    domains: dict[str, int | None]  # domain key -> level
    assessed: int  # indicators with a level
    indicators: int  # indicators in the framework

    @property
    def complete(self) -> bool:
        return self.assessed == self.indicators and self.indicators > 0


def summarise(framework: Iterable[tuple[int, str, Sequence[str]]], levels: Mapping[str, int | None]) -> Summary:
    """Standards and domains from indicator levels. `framework` gives (standard number,
    domain, indicator codes) in order; `levels` maps an indicator code to its level."""
    standards: dict[int, int | None] = {}
    per_domain: dict[str, list[int | None]] = {key: [] for key, _label in DOMAINS}
    assessed = total = 0
    for number, domain, codes in framework:
        values = [levels.get(code) for code in codes]
        total += len(values)
        assessed += sum(1 for value in values if value is not None)
        standards[number] = rounded_mean(values)
        per_domain.setdefault(domain, []).append(standards[number])
    domains = {key: rounded_mean(values) for key, values in per_domain.items()}
    return Summary(standards=standards, domains=domains, assessed=assessed, indicators=total)


# --- Year-end proposal ------------------------------------------------------------------------------

PROMOTE, REPEAT, GRADUATE = "promote", "repeat", "graduate"
DEFAULT_ATTENDANCE_THRESHOLD = Decimal("80")  # [U] the same share as a course's time; a setting


def kindergarten_proposal(
    *,
    grade_code: str,
    summary: Summary,
    attendance: Decimal | None,
    labels: Mapping[int, str],
    school_continues: bool,
    attendance_threshold: Decimal = DEFAULT_ATTENDANCE_THRESHOLD,
) -> tuple[str, str]:
    """What the system proposes for a kindergarten child at the end of the year, from the
    year's development evaluation and attendance (never from grades):

    - attendance below the threshold: ซ้ำชั้น (the registrar confirms or waives);
    - otherwise อ.1/อ.2 เลื่อนชั้น; อ.3 จบการศึกษาปฐมวัย — into ป.1 of the same school
      (เลื่อนชั้น) or leaving a school that ends at อ.3 (จบการศึกษา);
    - an evaluation not yet complete keeps that proposal but says so, to be checked first.
    A low level (ควรส่งเสริม) never holds a child back: early-childhood evaluation describes
    development, it is not a pass mark; the reason names the domains to support."""
    domain_text = " · ".join(
        f"{DOMAIN_LABELS[key].removeprefix('ด้าน')} {labels.get(level, level) if level is not None else '–'}"
        for key, level in summary.domains.items()
    )
    if attendance is not None and attendance < attendance_threshold:
        return REPEAT, (
            f"เวลาเรียน {format_percent(attendance)} ต่ำกว่าเกณฑ์ {format_percent(attendance_threshold)}"
            f" — เสนอซ้ำชั้น โปรดพิจารณา · {domain_text}"
        )
    if grade_code == "K3":
        decision = PROMOTE if school_continues else GRADUATE
        head = "จบการศึกษาปฐมวัย" + (" เลื่อนขึ้น ป.1" if school_continues else "")
    else:
        decision, head = PROMOTE, "เลื่อนชั้น"
    parts = [head, domain_text]
    if attendance is not None:
        parts.append(f"เวลาเรียน {format_percent(attendance)}")
    else:
        parts.append("ยังไม่มีข้อมูลเวลาเรียน")
    if not summary.complete:
        parts.append(f"ยังประเมินไม่ครบ ({summary.assessed}/{summary.indicators} ตัวบ่งชี้) โปรดตรวจสอบ")
    lowest = min(labels) if labels else 1
    support = [DOMAIN_LABELS[key] for key, level in summary.domains.items() if level is not None and level <= lowest]
    if support:
        parts.append("ควรส่งเสริม" + " ".join(support))
    return decision, " · ".join(parts)
