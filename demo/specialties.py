"""The demo hospital's specialties: fees, how many doctors, what they prescribe, and the kinds
of visit each one sees (the booking reason and what the doctor writes down).

Kept as text tables (one record a line, fields split by "|", its details on the indented lines
below it) so that they stay readable and the formatter leaves them alone.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    procedures: tuple[str, ...] = ()  # price-list procedures its visits lead to
    surgery_share: float = 0.0  # of its completed visits, the share that records one


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
# specialty | share of its completed visits that record a surgery | the listed procedures
_PROCEDURES = """
General Surgery | 0.12 | Appendectomy, Laparoscopic cholecystectomy, Inguinal hernia repair, Skin lesion excision
Orthopedics | 0.08 | Knee arthroscopy, Total knee replacement, Total hip replacement, Carpal tunnel release, Spinal fusion
Ophthalmology | 0.06 | Cataract surgery
Cardiology | 0.04 | Cardiac catheterization, Coronary artery bypass graft
Gastroenterology | 0.05 | Colonoscopy with polypectomy, Laparoscopic cholecystectomy
Dermatology | 0.05 | Skin lesion excision
Pediatrics | 0.01 | Tonsillectomy
"""  # noqa: E501
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


_SURGERY = {
    name: (float(share), tuple(p.strip() for p in procedures.split(",")))
    for name, share, procedures in (
        [f.strip() for f in line.split("|")] for line in _PROCEDURES.strip().splitlines()
    )
}

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
        surgery_share=_SURGERY.get(name, (0.0, ()))[0],
        procedures=_SURGERY.get(name, (0.0, ()))[1],
    )
    for head, (medications,) in _records(_SPECIALTIES)
    for name, fee, weight in [head[:3]]
)
