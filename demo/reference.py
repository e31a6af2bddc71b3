"""Reference data of the demo hospital: price lists, conditions, allergies, names, addresses,
ages and the doctors' working patterns.

Kept as text tables (one record a line, fields split by "|" or ",") so that they stay
readable and the formatter leaves them alone.
"""

from __future__ import annotations


def _table(text: str, sep: str = "|") -> list[list[str]]:
    return [
        [field.strip() for field in line.split(sep)]
        for line in text.strip().splitlines()
        if line.strip()
    ]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


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
