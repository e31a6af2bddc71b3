"""Demo data: a realistic, deterministic hospital, fast enough for a million patients.

`seed()` is what `manage.py seed_demo` runs. The small tables (specialties, doctors, their
hours and time off, price lists, billing settings) go through the ORM. The big ones
(patients, medical history, appointments, attendances) are generated here as PostgreSQL
COPY text and streamed with psycopg's `cursor.copy()`: the cost of a big seed is almost all
index maintenance inside PostgreSQL (two GiST exclusion constraints on appointments, three
trigram GIN indexes on patients, about 75 and 60 µs a row on a 2-core machine), so rows are
generated in Python on another core while the server ingests, and large seeds run `jobs`
loaders in parallel. Nothing is dropped or disabled: every constraint holds while loading.

Same seed, same numbers, same day → the same hospital, whatever the number of jobs (only the
appointment and attendance ids depend on how parallel loaders interleave). Every random
choice comes from a `random.Random` seeded with the seed and the thing it is for: a block of
patients, one doctor's diary.

No appointment can break the exclusion constraints. All slots are 30-minute cells on a grid
aligned on the half hour, so two appointments overlap only when they start together. A
doctor's cell is used at most once. At each start time, the k-th doctor of a group is given
the patient at position (offset + k) of a fixed permutation of that group's patient pool
(children for paediatrics, adults for everyone else), so no patient is booked twice at the
same time; back-to-back visits are allowed.
"""

from __future__ import annotations

import bisect
import datetime
import math
import queue
import random
import threading
import time
import unicodedata
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, connections, transaction
from django.utils import timezone
from psycopg import sql

SLOT_MINUTES = 30
FUTURE_DAYS = 14  # today and the 13 days after it hold scheduled appointments
PATIENT_BLOCK = 20_000  # patients generated (and COPYed) together, one RNG per block
PERIOD_DAYS = 14  # appointments generated (and COPYed) together, one RNG per doctor and period
CHILD_SHARE = 0.18  # share of patients under 16: the paediatric pool
NULL = "\\N"

# --- Reference data ---------------------------------------------------------------------------
# Kept as text tables (one record a line, fields split by "|" or ",") so that they stay
# readable and the formatter leaves them alone.


def _table(text: str, sep: str = "|") -> list[list[str]]:
    return [
        [field.strip() for field in line.split(sep)]
        for line in text.strip().splitlines()
        if line.strip()
    ]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@dataclass(frozen=True)
class Visit:
    """One kind of visit: the booking reason and what the doctor writes down."""

    reason: str
    concerns: str
    symptoms: str
    diagnosis: str
    chronic: bool  # the diagnosis also goes on the problem list


@dataclass(frozen=True)
class SpecialtySpec:
    name: str
    fee: int
    weight: int  # doctors of this specialty, relatively
    children: bool  # sees the paediatric pool instead of adults
    medications: tuple[str, ...]  # price-list names it prescribes
    visits: tuple[Visit, ...]


# name | base consultation fee | weight: doctors, relatively [| children: sees children]
# then, indented, the price-list medications it prescribes
_SPECIALTIES = """
Family Medicine | 90 | 6
    Amoxicillin, Ibuprofen, Lisinopril, Metformin, Cetirizine
Cardiology | 180 | 3
    Atorvastatin, Metoprolol, Apixaban, Clopidogrel, Amlodipine, Furosemide
Dermatology | 140 | 2
    Hydrocortisone cream, Doxycycline, Isotretinoin, Cetirizine
Endocrinology | 170 | 2
    Metformin, Insulin glargine, Sitagliptin, Levothyroxine
Gastroenterology | 170 | 2
    Omeprazole, Pantoprazole, Ondansetron
General Surgery | 200 | 2
    Paracetamol, Tramadol, Cephalexin
Neurology | 190 | 2
    Sumatriptan, Levetiracetam, Gabapentin
Ophthalmology | 150 | 2
    Latanoprost eye drops
Orthopedics | 180 | 3
    Ibuprofen, Naproxen, Paracetamol, Tramadol
Pediatrics | 110 | 3 | children
    Amoxicillin, Paracetamol, Ibuprofen, Salbutamol inhaler, Cetirizine
Psychiatry | 160 | 2
    Sertraline, Escitalopram, Fluoxetine, Bupropion, Quetiapine
Pulmonology | 170 | 2
    Salbutamol inhaler, Fluticasone inhaler, Tiotropium inhaler, Montelukast
"""
# specialty | reason [| chronic: the diagnosis goes on the problem list]
# then, indented: concerns, symptoms, diagnosis
_VISITS = """
Family Medicine | Annual check-up
    Routine yearly check-up.
    None reported.
    Healthy adult, no acute findings.
Family Medicine | Sore throat
    Sore throat for three days.
    Pharyngeal erythema, low-grade fever 37.9 °C.
    Acute pharyngitis.
Family Medicine | Cough and fever
    Cough and fever since the weekend.
    Productive cough, temperature 38.4 °C, clear lungs.
    Viral upper respiratory tract infection.
Family Medicine | Blood pressure review | chronic
    Follow-up of blood pressure.
    BP 148/92 on two readings.
    Essential hypertension.
Family Medicine | Back pain
    Lower back pain after lifting boxes.
    Paraspinal tenderness, no neurological deficit.
    Mechanical low back pain.
Family Medicine | Diabetes follow-up | chronic
    Review of blood sugar diary.
    HbA1c 7.8 %, feet intact.
    Type 2 diabetes mellitus.
Cardiology | Chest pain | chronic
    Chest tightness on exertion.
    Pain relieved by rest, ECG without acute changes.
    Stable angina pectoris.
Cardiology | Palpitations | chronic
    Racing heartbeat episodes.
    Irregularly irregular pulse, ECG confirms AF.
    Atrial fibrillation.
Cardiology | Hypertension follow-up | chronic
    Blood pressure still high at home.
    BP 156/95, no end-organ signs.
    Essential hypertension.
Cardiology | Shortness of breath | chronic
    Breathless on stairs, ankles swollen.
    Bibasal crackles, pitting oedema.
    Heart failure with reduced ejection fraction.
Cardiology | Cholesterol review | chronic
    Results of the lipid panel.
    LDL 4.6 mmol/L.
    Hyperlipidemia.
Dermatology | Rash | chronic
    Itchy rash on both arms.
    Erythematous, scaly plaques in the flexures.
    Atopic eczema.
Dermatology | Mole check
    A mole has changed shape.
    Asymmetric pigmented lesion 7 mm, atypical on dermoscopy.
    Atypical naevus, excision planned.
Dermatology | Acne
    Persistent spots on face and back.
    Comedones and inflammatory papules.
    Acne vulgaris.
Dermatology | Psoriasis review | chronic
    Scaly patches on the elbows.
    Well-demarcated silvery plaques.
    Plaque psoriasis.
Endocrinology | Diabetes review | chronic
    Blood sugars high in the mornings.
    Fasting glucose 9.1 mmol/L, HbA1c 8.2 %.
    Type 2 diabetes mellitus, suboptimal control.
Endocrinology | Thyroid review | chronic
    Tired and cold all the time.
    TSH 8.9 mIU/L, free T4 low.
    Hypothyroidism.
Endocrinology | Weight gain
    Gained 10 kg in a year.
    BMI 33, no cushingoid features.
    Obesity class I.
Gastroenterology | Heartburn | chronic
    Burning after meals and at night.
    Epigastric tenderness, no alarm features.
    Gastro-oesophageal reflux disease.
Gastroenterology | Abdominal pain | chronic
    Crampy abdominal pain and bloating.
    Soft abdomen, normal bowel sounds.
    Irritable bowel syndrome.
Gastroenterology | Colonoscopy consult
    Screening colonoscopy due.
    Asymptomatic, family history of polyps.
    Referred for screening colonoscopy.
General Surgery | Hernia
    Lump in the groin when coughing.
    Reducible right inguinal swelling.
    Right inguinal hernia, repair planned.
General Surgery | Gallbladder pain
    Pain under the right ribs after fatty meals.
    Murphy sign positive, gallstones on ultrasound.
    Symptomatic cholelithiasis.
General Surgery | Post-operative review
    Check of the wound after surgery.
    Wound clean and healing.
    Uncomplicated post-operative course.
Neurology | Headaches | chronic
    Recurring one-sided headaches.
    Throbbing headache with photophobia, normal exam.
    Migraine without aura.
Neurology | Seizure follow-up | chronic
    Review of anti-seizure treatment.
    No seizures for six months.
    Epilepsy, well controlled.
Neurology | Numbness in hands
    Tingling fingers at night.
    Positive Phalen test.
    Carpal tunnel syndrome.
Ophthalmology | Blurred vision
    Vision getting cloudy.
    Lens opacity on slit lamp.
    Age-related cataract.
Ophthalmology | Eye pressure check | chronic
    Glaucoma follow-up.
    IOP 24 mmHg in both eyes.
    Primary open-angle glaucoma.
Ophthalmology | Red eye
    Red, sticky eye since yesterday.
    Conjunctival injection with discharge.
    Bacterial conjunctivitis.
Orthopedics | Knee pain | chronic
    Knee pain when walking.
    Crepitus, reduced range of motion.
    Osteoarthritis of the knee.
Orthopedics | Shoulder pain
    Painful shoulder when lifting the arm.
    Painful arc 60–120°.
    Rotator cuff tendinopathy.
Orthopedics | Ankle injury
    Twisted ankle playing football.
    Lateral swelling, able to bear weight.
    Ankle sprain, grade II.
Orthopedics | Hip pain | chronic
    Groin pain getting worse for months.
    Reduced internal rotation, joint space narrowing on X-ray.
    Osteoarthritis of the hip.
Pediatrics | Well-child visit
    Routine growth and development check.
    Growth on the 50th centile, milestones normal.
    Healthy child.
Pediatrics | Ear pain
    Pulling at the ear, fever at night.
    Bulging red tympanic membrane.
    Acute otitis media.
Pediatrics | Wheezing | chronic
    Wheezy at night and after sport.
    Expiratory wheeze, peak flow 75 %.
    Childhood asthma.
Pediatrics | Fever
    Fever for two days.
    Temperature 38.6 °C, clear chest, no rash.
    Viral illness.
Pediatrics | Vaccination
    Scheduled immunisations.
    Well child.
    Vaccines given as scheduled.
Psychiatry | Low mood | chronic
    Feeling low and sleeping badly.
    PHQ-9 score 16.
    Major depressive disorder, moderate.
Psychiatry | Anxiety | chronic
    Constant worry, cannot relax.
    GAD-7 score 14.
    Generalized anxiety disorder.
Psychiatry | Medication review
    Follow-up of the antidepressant.
    Mood improved, no side effects.
    Depression in partial remission.
Pulmonology | Chronic cough | chronic
    Cough for more than two months.
    Spirometry FEV1/FVC 0.62.
    Chronic obstructive pulmonary disease.
Pulmonology | Asthma review | chronic
    Using the reliever inhaler daily.
    Wheeze, peak flow 68 % of predicted.
    Asthma, partly controlled.
Pulmonology | Snoring
    Loud snoring and daytime sleepiness.
    Epworth score 15, neck 43 cm.
    Suspected obstructive sleep apnoea.
"""


def _records(text: str) -> list[tuple[list[str], list[str]]]:
    """Records of a text table: a "|"-separated head line, then its indented lines."""
    records: list[tuple[list[str], list[str]]] = []
    for line in text.strip().splitlines():
        if line.startswith(" "):
            records[-1][1].append(line.strip())
        else:
            records.append(([f.strip() for f in line.split("|")], []))
    return records


SPECIALTIES: tuple[SpecialtySpec, ...] = tuple(
    SpecialtySpec(
        name=name,
        fee=int(fee),
        weight=int(weight),
        children=head[3:] == ["children"],
        medications=tuple(m.strip() for m in medications.split(",")),
        visits=tuple(
            Visit(head[1], *lines, chronic=head[2:] == ["chronic"])
            for head, lines in _records(_VISITS)
            if head[0] == name
        ),
    )
    for head, (medications,) in _records(_SPECIALTIES)
    for name, fee, weight in [head[:3]]
)

# The medication price list: name | unit cost
MEDICATIONS: tuple[tuple[str, str], ...] = tuple(
    (name, cost)
    for name, cost in _table("""
Amoxicillin | 8.50
Azithromycin | 12.40
Cephalexin | 9.80
Ciprofloxacin | 11.20
Doxycycline | 10.60
Metformin | 4.20
Insulin glargine | 96.00
Sitagliptin | 48.30
Lisinopril | 3.90
Amlodipine | 4.10
Losartan | 6.70
Metoprolol | 5.30
Hydrochlorothiazide | 3.20
Atorvastatin | 7.80
Rosuvastatin | 9.10
Clopidogrel | 8.90
Warfarin | 5.60
Apixaban | 62.50
Furosemide | 3.40
Levothyroxine | 6.20
Omeprazole | 5.90
Pantoprazole | 6.40
Ondansetron | 7.70
Salbutamol inhaler | 24.00
Fluticasone inhaler | 38.50
Tiotropium inhaler | 54.00
Montelukast | 9.30
Prednisone | 4.80
Ibuprofen | 3.10
Paracetamol | 2.40
Naproxen | 4.60
Tramadol | 8.20
Gabapentin | 10.30
Sertraline | 7.40
Escitalopram | 8.10
Fluoxetine | 6.90
Bupropion | 14.60
Quetiapine | 12.80
Lorazepam | 6.30
Sumatriptan | 15.20
Levetiracetam | 18.70
Tamsulosin | 9.60
Latanoprost eye drops | 21.40
Hydrocortisone cream | 5.50
Isotretinoin | 45.00
Cetirizine | 2.90
Loratadine | 3.00
Methylphenidate | 27.80
""")
)

# Surgery and procedure prices: name | fee
PROCEDURES: tuple[tuple[str, str], ...] = tuple(
    (name, fee)
    for name, fee in _table("""
Appendectomy | 4200.00
Laparoscopic cholecystectomy | 5600.00
Inguinal hernia repair | 3900.00
Knee arthroscopy | 3400.00
Total knee replacement | 14800.00
Total hip replacement | 15600.00
Cataract surgery | 2900.00
Coronary artery bypass graft | 38500.00
Cardiac catheterization | 6200.00
Tonsillectomy | 2600.00
Carpal tunnel release | 1800.00
Colonoscopy with polypectomy | 1500.00
Caesarean section | 7800.00
Hysterectomy | 9400.00
Skin lesion excision | 650.00
Spinal fusion | 27500.00
""")
)
# Surgeries people report that are not on the price list: billed at the default surgery fee.
OTHER_SURGERIES = ("Wisdom tooth extraction", "Septoplasty", "Varicose vein stripping")

# condition | the medications it is usually treated with
_CONDITIONS = """
Essential hypertension | Lisinopril, Amlodipine, Losartan, Hydrochlorothiazide
Type 2 diabetes mellitus | Metformin, Sitagliptin, Insulin glargine
Hyperlipidemia | Atorvastatin, Rosuvastatin
Asthma | Salbutamol inhaler, Fluticasone inhaler, Montelukast
Hypothyroidism | Levothyroxine
Gastro-oesophageal reflux disease | Omeprazole, Pantoprazole
Major depressive disorder | Sertraline, Escitalopram, Fluoxetine, Bupropion
Generalized anxiety disorder | Escitalopram, Sertraline, Lorazepam
Atrial fibrillation | Apixaban, Warfarin, Metoprolol
Osteoarthritis | Naproxen, Ibuprofen, Paracetamol
Chronic obstructive pulmonary disease | Tiotropium inhaler, Salbutamol inhaler
Migraine | Sumatriptan
Epilepsy | Levetiracetam
Primary open-angle glaucoma | Latanoprost eye drops
Allergic rhinitis | Cetirizine, Loratadine
Heart failure | Furosemide, Metoprolol, Lisinopril
Chronic kidney disease, stage 3 | Furosemide
Coronary artery disease | Clopidogrel, Atorvastatin
Neuropathic pain | Gabapentin
Benign prostatic hyperplasia | Tamsulosin
"""
_CHILD_CONDITIONS = """
Childhood asthma | Salbutamol inhaler, Montelukast
Atopic eczema | Hydrocortisone cream
Attention deficit hyperactivity disorder | Methylphenidate
Allergic rhinitis | Cetirizine
"""
ADULT_CONDITIONS, CHILD_CONDITIONS = (
    tuple((name, tuple(m.strip() for m in meds.split(","))) for name, meds in _table(text))
    for text in (_CONDITIONS, _CHILD_CONDITIONS)
)
MALE_ONLY_CONDITION = len(ADULT_CONDITIONS) - 1  # benign prostatic hyperplasia, listed last

ALLERGIES = tuple(
    line
    for (line,) in _table("""
Penicillin — hives
Sulfonamides — rash
Aspirin — wheezing
Ibuprofen — swelling
Latex — contact dermatitis
Peanuts — anaphylaxis
Shellfish — hives
Bee stings — anaphylaxis
Codeine — nausea
Iodinated contrast — rash
Eggs — vomiting
Tree nuts — lip swelling
Cats — rhinitis
""")
)
CANCEL_REASONS = (
    "Patient asked to reschedule",
    "Patient feeling better",
    "Scheduling conflict at work",
    "Doctor called away for an emergency",
    "Transport problems",
    "Patient is travelling",
    "Booked twice by mistake",
    "Family emergency",
)
NOTES = ("",) * 3 + (
    "Follow up in 3 months.",
    "Follow up in 6 weeks.",
    "Patient advised on lifestyle.",
    "Results to be discussed by phone.",
    "Return if symptoms worsen.",
    "Referral letter sent.",
)

FEMALE_NAMES = _words("""
Olivia Emma Charlotte Amelia Sophia Isabella Mia Evelyn Harper Abigail Emily Elizabeth Sofía
María Lucía Valentina Camila Zoë Chloé Renée Inés Léa Anaïs Hélène Małgorzata Siobhán Ingrid
Astrid Priya Ananya Aisha Fatima Mei Yuki Hana Grace Hannah Nora Ruth Margaret Patricia Linda
Barbara Susan Jessica Sarah Karen Nancy Lisa Betty Sandra Ashley Kimberly Donna Michelle Dorothy
Carol Amanda Melissa Deborah Stephanie Rebecca Laura Gabriela Ximena Beatriz Joana Ngozi Adaeze
Noémie Jolanta Zuzana
""")
MALE_NAMES = _words("""
Liam Noah Oliver James Elijah William Henry Lucas Benjamin Theodore Mateo Levi José Jesús Andrés
Raúl Joaquín Martín André François Jérôme Jürgen Björn Søren Łukasz Tomáš Ömer Çağlar Arjun Rohan
Mohammed Omar Hiroshi Kenji Wei Minh Robert John Michael David Richard Joseph Thomas Charles
Christopher Daniel Matthew Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian
George Timothy Ronald Edward Jason Jeffrey Ryan Chinedu Kwame Seán Eoin Dmitri Nikolai
""")
LAST_NAMES = _words("""
Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Jackson Martin
Lee Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Torres Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts García Martínez
Hernández López González Pérez Rodríguez Sánchez Ramírez Núñez Peña Muñoz Ibáñez Gómez Díaz
Müller Schäfer Köhler Weiß Øvergaard Søndergaard Åberg Lindström Dvořák Novák Kowalski Wiśniewski
Lefèvre Bélanger Côté Gagné Nguyễn Trần O'Brien O'Connor Murphy Kelly Sullivan Doyle Patel Shah
Kim Park Chen Wang Li Zhang Singh Kumar Khan Ali Hassan Okafor Adeyemi Mensah Cohen Levi Rossi
Russo Bianchi Ferrari Costa Silva Santos Oliveira Pereira Gonçalves Ivanov Petrov Yamamoto Tanaka
Suzuki Andersson Johansson Nielsen Jensen Fischer Weber Dubois Moreau
""")
STREETS = tuple(
    s.strip()
    for s in """
Maple Avenue, Oak Street, Elm Street, Cedar Lane, Pine Road, Washington Street, Beacon Street,
Commonwealth Avenue, Massachusetts Avenue, Harvard Street, Cambridge Street, Main Street,
Highland Avenue, Summer Street, Winter Street, School Street, Church Street, Park Drive,
Lake Shore Road, River Street, Chestnut Hill Avenue, Centre Street, Boylston Street,
Tremont Street, Hancock Street, Adams Street, Franklin Street, Pleasant Street, Union Square,
Prospect Hill Road, Quincy Shore Drive, Forest Hills Street, Hillside Avenue
""".split(",")
)
# city | state | postal codes
CITIES: tuple[tuple[str, str, tuple[str, ...]], ...] = tuple(
    (city, state, _words(codes))
    for city, state, codes in _table("""
Boston | MA | 02108 02114 02115 02116 02118 02127 02130
Cambridge | MA | 02138 02139 02140 02141
Somerville | MA | 02143 02144 02145
Brookline | MA | 02445 02446
Newton | MA | 02458 02459 02460 02461
Quincy | MA | 02169 02170 02171
Medford | MA | 02155
Malden | MA | 02148
Waltham | MA | 02451 02452 02453
Watertown | MA | 02472
Lynn | MA | 01901 01902 01904
Salem | MA | 01970
Framingham | MA | 01701 01702
Worcester | MA | 01602 01603 01604 01605
Lowell | MA | 01850 01851 01852
Providence | RI | 02903 02906 02908
Nashua | NH | 03060 03062 03064
""")
)
AREA_CODES = _words("617 857 781 339 978 508 774")
EMAIL_DOMAINS = _words("example.com example.org example.net mail.example.com")
ADULT_RELATIONSHIPS = _words("Spouse Spouse Partner Sibling Child Parent Friend")
CHILD_RELATIONSHIPS = _words("Mother Mother Father Father Parent Guardian Grandparent")
# (age from, age to, weight): the age mix of adult patients
ADULT_AGES = ((16, 30, 20), (30, 45, 24), (45, 65, 30), (65, 80, 19), (80, 97, 7))

# Working patterns: weekday → [(first slot, end slot)], slots being half hours from midnight.
_DAY = [(16, 24), (26, 34)]  # 08:00–12:00, 13:00–17:00
WEEK_PATTERNS: tuple[dict[int, list[tuple[int, int]]], ...] = (
    {d: _DAY for d in range(5)},
    {d: [(18, 34)] for d in range(5)},  # 09:00–17:00
    {d: [(15, 31)] for d in range(5)},  # 07:30–15:30
    {**{d: [(20, 36)] for d in range(4)}, 5: [(18, 26)]},  # Mon–Thu 10–18, Sat 09–13
    {**{d: _DAY for d in (0, 2, 4)}, 5: [(18, 26)]},  # part time: Mon, Wed, Fri, Sat morning
    {**{d: [(16, 32)] for d in range(5)}, 5: [(18, 24)]},  # 08–16 and Saturday 09–12
)
WEEK_PATTERN_WEIGHTS = (30, 25, 15, 12, 8, 10)


# --- Plans: the pure, deterministic part ---------------------------------------------------------


def _rng(seed: int, *what: object) -> random.Random:
    return random.Random(":".join(map(str, (seed, *what))))


def _ascii(text: str) -> str:
    """'Nguyễn' → 'nguyen', for email addresses."""
    folded = unicodedata.normalize("NFKD", text.replace("ø", "o").replace("Ø", "O"))
    folded = folded.replace("ł", "l").replace("Ł", "L").replace("ß", "ss")
    return "".join(c for c in folded.encode("ascii", "ignore").decode() if c.isalnum()).lower()


@dataclass
class DoctorSpec:
    number: int  # 0-based position among the seeded doctors
    first_name: str
    last_name: str
    specialty: int  # index into SPECIALTIES
    fee: Decimal
    hours: dict[int, list[tuple[int, int]]]  # weekday → [(first slot, end slot)]
    days_off: tuple[int, ...]  # day indexes of the plan, whole days
    afternoons_off: tuple[int, ...]  # day indexes with 13:00–18:00 off


@dataclass
class Plan:
    """What to seed: sizes, seed, the calendar window and the doctors' diaries."""

    patients: int
    doctors: int
    days: int
    seed: int
    today: datetime.date
    tz: datetime.tzinfo
    first_mrn: int = 1
    first_code: int = 1
    doctor_specs: list[DoctorSpec] = field(default_factory=list)

    @property
    def n_days(self) -> int:
        return self.days + FUTURE_DAYS

    @property
    def first_day(self) -> datetime.date:
        return self.today - datetime.timedelta(days=self.days)

    def day(self, index: int) -> datetime.date:
        return self.first_day + datetime.timedelta(days=index)


def plan_doctors(plan: Plan) -> list[DoctorSpec]:
    """Names, specialties, fees, weekly hours and time off of every seeded doctor."""
    rng = _rng(plan.seed, "doctors")
    weights = [s.weight for s in SPECIALTIES]
    specs = []
    for number in range(plan.doctors):
        # The first doctors cover every specialty once (D0001 is a family doctor).
        if number < len(SPECIALTIES):
            specialty = number
        else:
            specialty = rng.choices(range(len(SPECIALTIES)), weights)[0]
        female = rng.random() < 0.5
        first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
        fee = SPECIALTIES[specialty].fee * rng.uniform(0.85, 1.3)
        pattern = rng.choices(WEEK_PATTERNS, WEEK_PATTERN_WEIGHTS)[0]
        days_off: list[int] = []
        afternoons_off: list[int] = []
        if plan.n_days and rng.random() < 0.35:  # a holiday of 2–7 days
            start = rng.randrange(plan.n_days)
            days_off = list(range(start, min(start + rng.randint(2, 7), plan.n_days)))
        if plan.n_days and rng.random() < 0.2:  # a conference afternoon
            afternoons_off = [rng.randrange(plan.n_days)]
        specs.append(
            DoctorSpec(
                number=number,
                first_name=first,
                last_name=rng.choice(LAST_NAMES),
                specialty=specialty,
                fee=Decimal(5 * round(fee / 5)).quantize(Decimal("0.01")),
                hours=pattern,
                days_off=tuple(days_off),
                afternoons_off=tuple(afternoons_off),
            )
        )
    return specs


def is_child(index: int, seed: int) -> bool:
    """Whether patient `index` is in the paediatric pool: fixed before patients are generated,
    so appointments can be planned without them."""
    h = (index * 2654435761 + seed * 40503 + 12345) & 0xFFFFFFFF
    h = (h ^ (h >> 15)) * 2246822519 & 0xFFFFFFFF
    return (h ^ (h >> 13)) / 4294967296.0 < CHILD_SHARE


class Calendar:
    """Fast date and timestamp text for COPY: ordinals and epoch minutes to strings."""

    EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()

    def __init__(self, plan: Plan):
        self.base = plan.today.toordinal() - 110 * 366
        last = plan.today.toordinal() + FUTURE_DAYS + 2
        self.dates = [datetime.date.fromordinal(o).isoformat() for o in range(self.base, last + 1)]
        self.hm = [f"{m // 60:02d}:{m % 60:02d}:00+00" for m in range(1440)]
        self.today = plan.today.toordinal()
        self.first_day = plan.first_day.toordinal()
        # epoch minute of every half-hour slot start of every plan day, local time
        self.slot_minutes: list[list[int]] = []
        for d in range(plan.n_days):
            day = plan.day(d)
            self.slot_minutes.append(
                [
                    int(
                        datetime.datetime.combine(
                            day, datetime.time(s // 2, 30 * (s % 2)), tzinfo=plan.tz
                        ).timestamp()
                    )
                    // 60
                    for s in range(48)
                ]
            )

    def date(self, ordinal: int) -> str:
        return self.dates[ordinal - self.base]

    def ts(self, epoch_minute: int) -> str:
        d, m = divmod(epoch_minute, 1440)
        return f"{self.dates[d + self.EPOCH_ORDINAL - self.base]} {self.hm[m]}"


def _pick(rnd: Callable[[], float], seq):
    return seq[int(rnd() * len(seq))]


@dataclass
class Lookups:
    """Database ids the row generators need."""

    medication_ids: dict[str, int]  # price-list name → id
    procedure_ids: dict[str, int]  # price-list name → id
    first_patient_id: int = 1
    doctor_ids: list[int] = field(default_factory=list)


def patient_block(
    plan: Plan, cal: Calendar, look: Lookups, block: int
) -> tuple[list[str], list[str]]:
    """COPY lines for one block of patients and their medical history (pure, deterministic)."""
    rng = _rng(plan.seed, "patients", block)
    rnd = rng.random
    meds = look.medication_ids
    age_weights = list(_cumulative(w for *_, w in ADULT_AGES))
    today, first_day = cal.today, cal.first_day
    child_newest = first_day - 30  # children are born before the first appointment
    child_oldest = today - 16 * 365 + 1
    child_span = max(1, child_newest - child_oldest)
    f_ascii = [_ascii(n) for n in FEMALE_NAMES]
    m_ascii = [_ascii(n) for n in MALE_NAMES]
    l_ascii = [_ascii(n) for n in LAST_NAMES]
    n_f, n_m, n_l = len(FEMALE_NAMES), len(MALE_NAMES), len(LAST_NAMES)
    patients: list[str] = []
    history: list[str] = []
    start = block * PATIENT_BLOCK
    for i in range(start, min(start + PATIENT_BLOCK, plan.patients)):
        pid = look.first_patient_id + i
        child = is_child(i, plan.seed)
        r = rnd()
        if r < 0.505:
            sex, female = "female", True
        elif r < 0.995:
            sex, female = "male", False
        else:
            sex, female = ("other" if r < 0.998 else "unknown"), rnd() < 0.5
        if female:
            k = int(rnd() * n_f)
            first, first_a = FEMALE_NAMES[k], f_ascii[k]
        else:
            k = int(rnd() * n_m)
            first, first_a = MALE_NAMES[k], m_ascii[k]
        k = int(rnd() * n_l)
        last, last_a = LAST_NAMES[k], l_ascii[k]
        if child:
            born = child_oldest + int(rnd() * child_span)
        else:
            lo, hi, _ = ADULT_AGES[bisect.bisect(age_weights, rnd() * age_weights[-1])]
            born = today - int((lo + rnd() * (hi - lo)) * 365.25) - 1
        age = (today - born) / 365.25
        r = rnd()
        if r < 0.004:
            dob, estimated = NULL, "f"
        elif r < 0.02:  # age known in years only: registered as 1 July of the year
            dob, estimated = f"{cal.date(born)[:4]}-07-01", "t"
        else:
            dob, estimated = cal.date(born), "f"
        phone = f"({_pick(rnd, AREA_CODES)}) 555-{int(rnd() * 10000):04d}"
        if not child and rnd() < 0.72:
            email = f"{first_a}.{last_a}{int(rnd() * 100)}@{_pick(rnd, EMAIL_DOMAINS)}"
        else:
            email = ""
        city, region, zips = _pick(rnd, CITIES)
        line2 = f"Apt {int(rnd() * 40) + 1}{'ABCD'[int(rnd() * 4)]}" if rnd() < 0.18 else ""
        if child or rnd() < 0.85:
            ec_first = _pick(rnd, FEMALE_NAMES if rnd() < 0.55 else MALE_NAMES)
            ec_last = last if rnd() < 0.7 else _pick(rnd, LAST_NAMES)
            ec_name = f"{ec_first} {ec_last}"
            ec_phone = f"({_pick(rnd, AREA_CODES)}) 555-{int(rnd() * 10000):04d}"
            ec_rel = _pick(rnd, CHILD_RELATIONSHIPS if child else ADULT_RELATIONSHIPS)
        else:
            ec_name = ec_phone = ec_rel = ""
        registered = max(born, first_day - 1 - int(rnd() * 1800))
        created = f"{cal.date(registered)} {cal.hm[480 + int(rnd() * 540)]}"
        patients.append(
            f"{pid}\t{created}\t{created}\tP{plan.first_mrn + i:07d}\t{first}\t{last}\t{dob}\t"
            f"{estimated}\t{sex}\t{phone}\t{email}\t{int(rnd() * 9900) + 1} "
            f"{_pick(rnd, STREETS)}\t{line2}\t{city}\t{region}\t{_pick(rnd, zips)}\t"
            f"United States\t{ec_name}\t{ec_phone}\t{ec_rel}\tt\n"
        )

        # Medical history: more conditions with age, a medication for most of them; some
        # conditions have resolved and some medications were stopped before the seeded days.
        span = max(1, first_day - registered)
        conditions = CHILD_CONDITIONS if child else ADULT_CONDITIONS
        seen: set[int] = set()
        for _ in range(int(rnd() * (0.5 + age / 30))):
            k = int(rnd() * len(conditions))
            if k in seen or (k == MALE_ONLY_CONDITION and female and not child):
                continue
            seen.add(k)
            name, drugs = conditions[k]
            on = registered + int(rnd() * span)
            ended = on + int(rnd() * (first_day - on)) if rnd() < 0.12 else 0
            history.append(_entry(cal, pid, "condition", name, on, ended=ended))
            if rnd() < 0.75:
                drug = _pick(rnd, drugs)
                ended = on + int(rnd() * (first_day - on)) if rnd() < 0.15 else 0
                history.append(
                    _entry(cal, pid, "medication", drug, on, medication=meds[drug], ended=ended)
                )
        if rnd() < (0.03 if child else 0.05 + age / 400):
            on = registered + int(rnd() * span)
            if rnd() < 0.1:
                history.append(_entry(cal, pid, "surgery", _pick(rnd, OTHER_SURGERIES), on))
            else:
                name = _pick(rnd, PROCEDURES)[0]
                history.append(
                    _entry(cal, pid, "surgery", name, on, procedure=look.procedure_ids[name])
                )
        if rnd() < 0.18:
            on = registered + int(rnd() * span)
            history.append(_entry(cal, pid, "allergy", _pick(rnd, ALLERGIES), on))
    return patients, history


def _entry(
    cal: Calendar,
    pid: int,
    kind: str,
    description: str,
    on: int,
    *,
    medication: int | None = None,
    procedure: int | None = None,
    ended: int = 0,
) -> str:
    """A COPY line of medical history (HISTORY_COLUMNS) recorded at noon on day `on`."""
    day = cal.date(on)
    return (
        f"{pid}\t{kind}\t{description}\t{medication or NULL}\t{procedure or NULL}\t{day}\t"
        f"{cal.date(ended) if ended else NULL}\t{day} 12:00:00+00\t{day} 12:00:00+00\tt\t\n"
    )


def _cumulative(values: Iterable[float]) -> Iterator[float]:
    total = 0.0
    for v in values:
        total += v
        yield total


@dataclass
class PatientPools:
    """Who may be booked with whom: children see paediatrics, adults everyone else.

    At start time t the k-th doctor of a group sees pool[perm((offset[t] + k) mod n)], with
    perm(x) = (a·x + b) mod n a bijection; distinct k give distinct patients. When a pool
    is smaller than its group of doctors, a rotating window of n doctors gets patients.
    """

    members: list[array]
    a: list[int]
    b: list[int]
    offsets: list[array]  # per group, per global slot (day index * 48 + half hour)
    rotation: list[array]
    sizes: list[int]  # doctors per group


def plan_pools(plan: Plan, groups: list[int]) -> PatientPools:
    """`groups[g]`: how many doctors are in group g (0 = adults, 1 = children)."""
    rng = _rng(plan.seed, "pools")
    members = [array("q"), array("q")]
    for i in range(plan.patients):
        members[1 if is_child(i, plan.seed) else 0].append(i)
    a, b, offsets, rotation = [], [], [], []
    slots = plan.n_days * 48
    for g, pool in enumerate(members):
        n = max(1, len(pool))
        mult = rng.randrange(n // 3, max(n // 3 + 1, 2 * n // 3)) | 1
        while math.gcd(mult, n) != 1:
            mult += 1
        a.append(mult % n or 1)
        b.append(rng.randrange(n))
        offsets.append(array("q", (rng.randrange(n) for _ in range(slots))))
        size = max(1, groups[g])
        rotation.append(array("q", (rng.randrange(size) for _ in range(slots))))
    return PatientPools(members, a, b, offsets, rotation, list(groups))


@dataclass
class DiaryChunk:
    """Appointments of a period, with their visits; ids are filled in when written."""

    appointments: list[str] = field(default_factory=list)  # lines without the leading id
    attendances: list[tuple[int, str]] = field(default_factory=list)  # (appointment #, rest)
    history: list[tuple[int, str]] = field(default_factory=list)  # (attendance #, rest)


@dataclass
class _Diary:
    """What generating one doctor's appointments needs, worked out once."""

    spec: DoctorSpec
    doctor_id: int
    group: int  # 0 adults, 1 children
    rank: int  # position among the doctors of the group
    slots: dict[int, list[int]]  # weekday → half-hour slots worked
    days_off: set[int]
    afternoons_off: set[int]


def _diaries(plan: Plan, look: Lookups) -> list[_Diary]:
    ranks = [0, 0]
    out = []
    for spec in plan.doctor_specs:
        group = 1 if SPECIALTIES[spec.specialty].children else 0
        out.append(
            _Diary(
                spec=spec,
                doctor_id=look.doctor_ids[spec.number],
                group=group,
                rank=ranks[group],
                slots={
                    wd: [s for first, end in blocks for s in range(first, end)]
                    for wd, blocks in spec.hours.items()
                },
                days_off=set(spec.days_off),
                afternoons_off=set(spec.afternoons_off),
            )
        )
        ranks[group] += 1
    return out


def period_diary(
    plan: Plan,
    cal: Calendar,
    look: Lookups,
    pools: PatientPools,
    diaries: list[_Diary],
    period: int,
) -> DiaryChunk:
    """Every doctor's appointments over one period of PERIOD_DAYS days (pure, deterministic:
    one random stream per doctor and period).

    Past days: about 82 % of slots booked; 80 % of them completed (with a visit record),
    11 % cancelled, 9 % no-shows. Today and the next 13 days: fuller the nearer they are,
    a few cancelled, the rest scheduled.

    The rows come sorted by patient: inserted in that order, the patient-keyed pages (the
    foreign-key lookups, the patient exclusion constraint and indexes) are each read once per
    period instead of once per row, which is most of what a big seed costs the database.
    """
    first_day = period * PERIOD_DAYS
    days = range(first_day, min(first_day + PERIOD_DAYS, plan.n_days))
    fill = [0.82 if d < plan.days else 0.9 - 0.04 * (d - plan.days) for d in days]
    weekdays = [plan.day(d).weekday() for d in days]
    meds = look.medication_ids
    midnight = cal.slot_minutes[plan.days][0]  # today began: nothing was written after it
    pbase = look.first_patient_id
    # "start<TAB>end" of every slot of the period's days, shared by all doctors
    spans = {
        d: [f"{cal.ts(m)}\t{cal.ts(m + SLOT_MINUTES)}" for m in cal.slot_minutes[d]] for d in days
    }
    n_notes, n_reasons = len(NOTES), len(CANCEL_REASONS)
    rows: list[tuple[int, str, str | None, list[str]]] = []
    for diary in diaries:
        pool = pools.members[diary.group]
        n = len(pool)
        if not n:
            continue
        rnd = _rng(plan.seed, "diary", diary.spec.number, period).random
        size = max(1, pools.sizes[diary.group])
        k0 = diary.rank
        a, b = pools.a[diary.group], pools.b[diary.group]
        offsets, rotation = pools.offsets[diary.group], pools.rotation[diary.group]
        sp = SPECIALTIES[diary.spec.specialty]
        visits, drugs = sp.visits, sp.medications
        did = diary.doctor_id
        for i, d in enumerate(days):
            slots = diary.slots.get(weekdays[i])
            if not slots or d in diary.days_off:
                continue
            past = d < plan.days
            p = fill[i]
            afternoon_off = d in diary.afternoons_off
            minutes = cal.slot_minutes[d]
            span = spans[d]
            on = cal.date(cal.first_day + d)
            for s in slots:
                if rnd() >= p or (afternoon_off and s >= 26):
                    continue
                t = d * 48 + s
                k = (k0 - rotation[t]) % size if n < size else k0
                if k >= n:
                    continue
                pid = pbase + pool[(a * ((offsets[t] + k) % n) + b) % n]
                start = minutes[s]
                end = start + SLOT_MINUTES
                visit = visits[int(rnd() * len(visits))]
                # booked in office hours 1–45 days ahead, never after today began
                lead = max(1 + int(rnd() * 45), d - plan.days + 1)
                booked = (start // 1440 - lead) * 1440 + 480 + int(rnd() * 600)
                created = cal.ts(booked)
                r = rnd()
                cancel = ""
                attendance = None
                history: list[str] = _NO_HISTORY
                if past and r < 0.80:
                    status = "completed"
                    checked_in = cal.ts(start - int(rnd() * 20))
                    started = start + int(rnd() * 15)
                    updated = cal.ts(started + 12 + int(rnd() * 18))
                    attendance = (
                        f"{pid}\t{checked_in}\t{cal.ts(started)}\t{updated}\t"
                        f"{visit.concerns}\t{visit.symptoms}\t{visit.diagnosis}\t"
                        f"{NOTES[int(rnd() * n_notes)]}\t{checked_in}\t{updated}\n"
                    )
                    # recorded_on, ended_on, created_at, updated_at, is_billable, legacy_id
                    tail = f"\t{on}\t{NULL}\t{updated}\t{updated}\tt\t\n"
                    if rnd() < 0.18:
                        drug = _pick(rnd, drugs)
                        history = [f"{pid}\tmedication\t{drug}\t{meds[drug]}\t{NULL}{tail}"]
                    if visit.chronic and rnd() < 0.1:
                        problem = f"{pid}\tcondition\t{visit.diagnosis[:-1]}\t{NULL}\t{NULL}{tail}"
                        history = [*history, problem]
                elif (past and r < 0.91) or (not past and r < 0.06):
                    status = "cancelled"
                    cancel = CANCEL_REASONS[int(rnd() * n_reasons)]
                    updated = cal.ts(booked + int((min(start, midnight) - booked) * rnd()))
                elif past:
                    status = "no_show"
                    updated = cal.ts(end + 60)
                else:
                    status = "scheduled"
                    updated = created
                rows.append(
                    (
                        pid,
                        f"{created}\t{updated}\t{pid}\t{did}\t{span[s]}\t"
                        f"{status}\t{visit.reason}\t{cancel}\n",
                        attendance,
                        history,
                    )
                )
    rows.sort(key=_by_patient)
    out = DiaryChunk()
    for _, line, attendance, history in rows:
        if attendance is not None:
            out.attendances.append((len(out.appointments), attendance))
            visit_no = len(out.attendances) - 1
            out.history.extend((visit_no, h) for h in history)
        out.appointments.append(line)
    return out


_NO_HISTORY: list[str] = []


def _by_patient(row: tuple) -> int:
    return row[0]


# --- Loading ----------------------------------------------------------------------------------

PATIENT_COLUMNS = (
    "id, created_at, updated_at, mrn, first_name, last_name, date_of_birth, dob_is_estimated, "
    "sex, phone, email, address_line1, address_line2, city, region, postal_code, country, "
    "emergency_contact_name, emergency_contact_phone, emergency_contact_relationship, is_active"
)
HISTORY_COLUMNS = (
    "patient_id, kind, description, medication_id, procedure_id, recorded_on, ended_on, "
    "created_at, updated_at, is_billable, legacy_id"
)
APPOINTMENT_COLUMNS = (
    'id, created_at, updated_at, patient_id, doctor_id, start, "end", status, reason, cancel_reason'
)
ATTENDANCE_COLUMNS = (
    "id, appointment_id, patient_id, checked_in_at, started_at, completed_at, concerns, "
    "symptoms, diagnosis, notes, created_at, updated_at"
)
TABLES = {
    "patients": "patients_patient",
    "medical history": "patients_medicalhistory",
    "appointments": "appointments_appointment",
    "attendances": "appointments_attendance",
}


@dataclass
class Result:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # COPY time per table, all jobs
    phases: dict[str, float] = field(default_factory=dict)  # wall time per phase
    jobs: int = 1


class _Loader:
    """What the parallel loaders share: counters, timings, id reservations, progress."""

    def __init__(self, result: Result, stdout: Callable[[str], None], expected: dict[str, int]):
        self.result = result
        self.stdout = stdout
        self.expected = expected
        self.lock = threading.Lock()
        self.failed = threading.Event()
        self.started = time.perf_counter()
        self.last_report = self.started

    def add(self, table: str, rows: int, seconds: float) -> None:
        with self.lock:
            self.result.counts[table] = self.result.counts.get(table, 0) + rows
            self.result.seconds[table] = self.result.seconds.get(table, 0.0) + seconds

    def progress(self, table: str) -> None:
        with self.lock:
            now = time.perf_counter()
            if now - self.last_report < 10:
                return
            self.last_report = now
            done = self.result.counts.get(table, 0)
            self.stdout(
                f"  ... {done:,} of ~{self.expected[table]:,} {table} ({now - self.started:.0f} s)"
            )

    def check(self) -> None:
        if self.failed.is_set():
            raise RuntimeError("Another loader failed; stopping.")

    def reserve_ids(self, cursor, table: str, n: int) -> int:
        """The first of `n` consecutive ids taken from the table's sequence.

        The lock keeps our own loaders from interleaving between nextval and setval.
        """
        with self.lock:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                "nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
                [table, table, n],
            )
            return cursor.fetchone()[0] - n + 1

    def copy(self, cursor, table: str, columns: str, lines: Iterable[str]) -> None:
        """COPY text-format lines (each ending in a newline) into one of TABLES."""
        started = time.perf_counter()
        rows = 0
        with cursor.copy(f"COPY {TABLES[table]} ({columns}) FROM STDIN") as copy:
            batch: list[str] = []
            for line in lines:
                batch.append(line)
                if len(batch) == 5_000:
                    copy.write("".join(batch))
                    rows += len(batch)
                    batch.clear()
            if batch:
                copy.write("".join(batch))
                rows += len(batch)
        self.add(table, rows, time.perf_counter() - started)


def _prepare_session(cursor) -> list[str]:
    """Check the foreign keys of the loaded tables after each COPY rather than at commit:
    deferred to commit, their queue of pending checks would hold tens of millions of events.
    Returns the constraints to defer again afterwards (all are Django's INITIALLY DEFERRED)."""
    cursor.execute(
        "SELECT DISTINCT conname FROM pg_constraint WHERE contype = 'f' AND condeferrable "
        "AND condeferred AND conrelid = ANY(%s::regclass[])",
        [list(TABLES.values())],
    )
    names = sorted(row[0] for row in cursor.fetchall())
    _set_constraints(cursor, names, "IMMEDIATE")
    # Only the commit of this transaction waits less; nothing is risked but the seed itself.
    cursor.execute("SET LOCAL synchronous_commit = off")
    return names


def _set_constraints(cursor, names: list[str], mode: str) -> None:
    if names:
        joined = sql.SQL(", ").join(map(sql.Identifier, names))
        cursor.execute(sql.SQL("SET CONSTRAINTS {} ").format(joined) + sql.SQL(mode))


def _prefetch(items: Iterable, depth: int = 2) -> Iterator:
    """Iterate `items` computed ahead in a thread, so that generating the next chunk overlaps
    with PostgreSQL ingesting this one (psycopg releases the GIL while it waits on the socket)."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                q.put(item)
            q.put(done)
        except BaseException as exc:  # re-raised in the consumer
            q.put(exc)

    worker = threading.Thread(target=produce, daemon=True)
    worker.start()
    try:
        while (item := q.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                worker.join(0.05)


def _load_patients(loader: _Loader, plan: Plan, cal: Calendar, look: Lookups, blocks) -> None:
    with connection.connection.cursor() as cursor:
        for patients, history in _prefetch(patient_block(plan, cal, look, b) for b in blocks):
            loader.check()
            loader.copy(cursor, "patients", PATIENT_COLUMNS, patients)
            loader.copy(cursor, "medical history", HISTORY_COLUMNS, history)
            loader.progress("patients")


class _Periods:
    """Generates periods of appointments, the first ones in the background from the start.

    The patient pools and the first period of each loader are worked out while the patients
    are being loaded (Python is mostly idle then), so the database does not wait for them.
    """

    def __init__(self, plan: Plan, cal: Calendar, look: Lookups, first: list[int]):
        self.plan, self.cal, self.look = plan, cal, look
        self.ready: dict[int, DiaryChunk] = {}
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._warm, args=(first,), daemon=True)
        self.thread.start()

    def _warm(self, first: list[int]) -> None:
        try:
            self.pools = plan_pools(self.plan, _group_sizes(self.plan.doctor_specs))
            self.diaries = _diaries(self.plan, self.look)
            for period in first:
                self.ready[period] = self._make(period)
        except BaseException as exc:  # re-raised by get()
            self.error = exc

    def _make(self, period: int) -> DiaryChunk:
        return period_diary(self.plan, self.cal, self.look, self.pools, self.diaries, period)

    def get(self, period: int) -> DiaryChunk:
        self.thread.join()
        if self.error is not None:
            raise self.error
        chunk = self.ready.pop(period, None)
        return chunk if chunk is not None else self._make(period)


def _load_diaries(loader: _Loader, periods: _Periods, mine: list[int]) -> None:
    chunks = (periods.get(p) for p in mine)
    with connection.connection.cursor() as cursor:
        for chunk in _prefetch(chunks, depth=1):  # a period can be a few hundred MB
            loader.check()
            if not chunk.appointments:
                continue
            first = loader.reserve_ids(cursor, TABLES["appointments"], len(chunk.appointments))
            loader.copy(
                cursor,
                "appointments",
                APPOINTMENT_COLUMNS,
                (f"{first + i}\t{line}" for i, line in enumerate(chunk.appointments)),
            )
            if chunk.attendances:
                visit = loader.reserve_ids(cursor, TABLES["attendances"], len(chunk.attendances))
                loader.copy(
                    cursor,
                    "attendances",
                    ATTENDANCE_COLUMNS,
                    (
                        f"{visit + i}\t{first + pos}\t{rest}"
                        for i, (pos, rest) in enumerate(chunk.attendances)
                    ),
                )
                loader.copy(
                    cursor,
                    "medical history",
                    f"attendance_id, {HISTORY_COLUMNS}",
                    (f"{visit + pos}\t{rest}" for pos, rest in chunk.history),
                )
            loader.progress("appointments")


def _in_parallel(loader: _Loader, jobs: list[Callable[[], None]]) -> None:
    """Run each job in its own thread, database connection and transaction."""
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        try:
            with transaction.atomic():
                _prepare_session(connection.cursor())
                job()
        except BaseException as exc:
            loader.failed.set()
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _next_number(table: str, column: str, prefix: str) -> int:
    """1 + the largest number of the `prefix`-numbered codes in the column (1 when none)."""
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL(
                "SELECT COALESCE(MAX(substring({col} FROM 2)::bigint), 0) + 1 FROM {table} "
                "WHERE {col} ~ %s"
            ).format(col=sql.Identifier(column), table=sql.Identifier(table)),
            [f"^{prefix}[0-9]{{1,15}}$"],
        )
        return cursor.fetchone()[0]


def _seed_reference(plan: Plan) -> Lookups:
    """Specialties, price lists, billing settings, doctors, their hours and time off.

    Names already present (any case) are reused, so this also works on a database that
    has its own price list; billing settings are created only when missing.
    """
    from billing.models import BillingSettings, MedicationCost, ProcedureFee
    from doctors.models import Doctor, Specialty, TimeOff, WorkingHours

    specialty_ids = []
    for spec in SPECIALTIES:
        existing = Specialty.objects.filter(name__iexact=spec.name).first()
        specialty_ids.append((existing or Specialty.objects.create(name=spec.name)).pk)
    MedicationCost.objects.bulk_create(
        [MedicationCost(name=name, unit_cost=Decimal(cost)) for name, cost in MEDICATIONS],
        ignore_conflicts=True,
    )
    ProcedureFee.objects.bulk_create(
        [ProcedureFee(name=name, fee=Decimal(fee)) for name, fee in PROCEDURES],
        ignore_conflicts=True,
    )
    medications = _ids_by_name(MedicationCost, MEDICATIONS)
    procedures = _ids_by_name(ProcedureFee, PROCEDURES)
    BillingSettings.objects.get_or_create(
        pk=1,
        defaults={
            "hospital_name": "St. Aurelia General Hospital",
            "hospital_address": "1 Aurelia Plaza\nBoston, MA 02114\nUnited States",
            "tax_id": "00-0000000 (demo)",
            "currency": "USD",
        },
    )

    doctors = Doctor.objects.bulk_create(
        [
            Doctor(
                code=f"D{plan.first_code + s.number:04d}",
                first_name=s.first_name,
                last_name=s.last_name,
                specialty_id=specialty_ids[s.specialty],
                email=(
                    f"{_ascii(s.first_name)[0]}.{_ascii(s.last_name)}"
                    f"{plan.first_code + s.number}@aurelia-hospital.example.org"
                ),
                phone=f"(617) 555-{(plan.first_code + s.number) % 10000:04d}",
                consultation_fee=s.fee,
            )
            for s in plan.doctor_specs
        ],
        batch_size=2000,
    )
    hours, time_off = [], []
    for spec, doctor in zip(plan.doctor_specs, doctors, strict=True):
        for weekday, blocks in sorted(spec.hours.items()):
            for first, end in blocks:
                hours.append(
                    WorkingHours(
                        doctor=doctor,
                        weekday=weekday,
                        start_time=datetime.time(first // 2, 30 * (first % 2)),
                        end_time=datetime.time(end // 2, 30 * (end % 2)),
                        slot_minutes=SLOT_MINUTES,
                        valid_from=plan.first_day,
                    )
                )
        if spec.days_off:
            time_off.append(
                TimeOff(
                    doctor=doctor,
                    start=_local(plan, spec.days_off[0], 0),
                    end=_local(plan, spec.days_off[-1] + 1, 0),
                    reason="Annual leave",
                )
            )
        for d in spec.afternoons_off:
            time_off.append(
                TimeOff(
                    doctor=doctor,
                    start=_local(plan, d, 13),
                    end=_local(plan, d, 18),
                    reason="Conference",
                )
            )
    WorkingHours.objects.bulk_create(hours, batch_size=5000)
    TimeOff.objects.bulk_create(time_off, batch_size=5000)
    return Lookups(
        medication_ids=medications,
        procedure_ids=procedures,
        doctor_ids=[d.pk for d in doctors],
    )


def _ids_by_name(model, price_list: tuple[tuple[str, str], ...]) -> dict[str, int]:
    """Ids of the price-list rows, matched by name ignoring case (as the unique index does)."""
    wanted = {name.lower(): name for name, _ in price_list}
    return {
        wanted[name.lower()]: pk
        for pk, name in model.objects.values_list("pk", "name")
        if name.lower() in wanted
    }


def _local(plan: Plan, day_index: int, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(plan.day(day_index), datetime.time(hour), tzinfo=plan.tz)


def seed(
    *,
    patients: int,
    doctors: int,
    days: int,
    seed: int,
    jobs: int = 1,
    today: datetime.date | None = None,
    stdout: Callable[[str], None] = print,
) -> Result:
    """Add a demo hospital to the database and return what was loaded and how long it took.

    With `jobs == 1` everything happens in one transaction (all or nothing, and inside the
    caller's transaction if there is one). With more, the reference data, the patients and the
    appointments are each committed in turn, the big tables by `jobs` parallel loaders.
    """
    plan = Plan(
        patients=patients,
        doctors=doctors,
        days=days,
        seed=seed,
        today=today or timezone.localdate(),
        tz=timezone.get_current_timezone(),
    )
    result = Result(jobs=jobs)
    expected = {"patients": patients, "appointments": int(doctors * (days * 9.1 + 100))}
    loader = _Loader(result, stdout, expected)
    started = time.perf_counter()

    def phase(name: str, since: float) -> float:
        now = time.perf_counter()
        result.phases[name] = now - since
        return now

    with transaction.atomic():
        plan.first_mrn = _next_number("patients_patient", "mrn", "P")
        plan.first_code = _next_number("doctors_doctor", "code", "D")
        plan.doctor_specs = plan_doctors(plan)
        look = _seed_reference(plan)
        with connection.cursor() as cursor:
            look.first_patient_id = (
                loader.reserve_ids(cursor, TABLES["patients"], patients) if patients else 1
            )
        result.counts["doctors"] = len(look.doctor_ids)
        cal = Calendar(plan)
        t = phase("reference data", started)
        blocks = list(range(math.ceil(patients / PATIENT_BLOCK)))
        periods = list(range(math.ceil(plan.n_days / PERIOD_DAYS)))
        diaries = _Periods(plan, cal, look, first=periods[:jobs])
        if jobs == 1:
            with connection.cursor() as cursor:
                names = _prepare_session(cursor)
            _load_patients(loader, plan, cal, look, blocks)
            t = phase("patients and history", t)
            _load_diaries(loader, diaries, periods)
            t = phase("appointments and visits", t)
            with connection.cursor() as cursor:
                _set_constraints(cursor, names, "DEFERRED")
    if jobs > 1:
        _in_parallel(
            loader,
            [
                lambda w=w: _load_patients(loader, plan, cal, look, blocks[w::jobs])
                for w in range(jobs)
            ],
        )
        t = phase("patients and history", t)
        _in_parallel(
            loader,
            [lambda w=w: _load_diaries(loader, diaries, periods[w::jobs]) for w in range(jobs)],
        )
        t = phase("appointments and visits", t)
    with connection.cursor() as cursor:
        # Fresh statistics, so the first pages after a big seed get sensible query plans.
        cursor.execute(f"ANALYZE {', '.join(TABLES.values())}")
    t = phase("analyze", t)
    result.phases["total"] = t - started
    return result


def _group_sizes(specs: list[DoctorSpec]) -> list[int]:
    children = sum(1 for s in specs if SPECIALTIES[s.specialty].children)
    return [len(specs) - children, children]
