"""The demo hospital's coded problems and visit note templates (issue 17).

Conditions patients report at registration carry their ICD-10-CM code (the hospital codes its
problem list); the diagnoses of visits stay in words as the doctors wrote them, "uncoded" on
the chart until a doctor codes them. Primary open-angle glaucoma is left in words too: its
billable codes name the eye, which the demo does not know.
"""

from __future__ import annotations

CONDITION_CODES = {
    "Essential hypertension": "I10",
    "Type 2 diabetes mellitus": "E11.9",
    "Hyperlipidemia": "E78.5",
    "Asthma": "J45.909",
    "Hypothyroidism": "E03.9",
    "Gastro-oesophageal reflux disease": "K21.9",
    "Major depressive disorder": "F32.9",
    "Generalized anxiety disorder": "F41.1",
    "Atrial fibrillation": "I48.91",
    "Osteoarthritis": "M19.90",
    "Chronic obstructive pulmonary disease": "J44.9",
    "Migraine": "G43.909",
    "Epilepsy": "G40.909",
    "Allergic rhinitis": "J30.9",
    "Heart failure": "I50.9",
    "Chronic kidney disease, stage 3": "N18.30",
    "Coronary artery disease": "I25.10",
    "Neuropathic pain": "M79.2",
    "Benign prostatic hyperplasia": "N40.0",
    "Childhood asthma": "J45.909",
    "Atopic eczema": "L20.9",
    "Attention deficit hyperactivity disorder": "F90.9",
}

# (specialty or None for every doctor, name, subjective, objective, assessment, plan)
TEMPLATES = (
    (
        None,
        "Follow-up visit",
        "Since the last visit:\nMedicines taken as prescribed?\nNew complaints:",
        "General appearance:\nBP / pulse / weight:",
        "Course of the known problems:",
        "Changes to treatment:\nNext review in:",
    ),
    (
        "Cardiology",
        "Chest pain",
        "Onset, character, radiation, duration of the pain:\nExertional? At rest?\n"
        "Breathlessness, palpitations, syncope:",
        "BP both arms / pulse / SpO2:\nHeart sounds, murmurs:\nJVP, ankle oedema:\nECG:",
        "Likely cause and risk (HEART score):",
        "Troponin / further tests:\nTreatment started:\nFollow-up:",
    ),
    (
        "Family Medicine",
        "Upper respiratory infection",
        "Cough, sore throat, fever since:\nContacts unwell:",
        "Temperature / SpO2:\nThroat, ears, chest:",
        "Viral or bacterial:",
        "Fluids, rest, paracetamol; return if worse after 7 days.",
    ),
    (
        "Pediatrics",
        "Well-child check",
        "Feeding, sleep, development (parent's report):",
        "Weight / height / head circumference (centiles):\nMilestones:",
        "Growth and development:",
        "Vaccines due:\nAdvice given:\nNext check:",
    ),
    (
        "Orthopedics",
        "Joint pain",
        "Which joint, since when, after an injury?\nPain at rest, at night:",
        "Swelling, range of movement, stability:\nX-ray:",
        "Likely diagnosis:",
        "Analgesia / physiotherapy / imaging:\nReview in:",
    ),
)


def seed_note_templates(specialty_ids: dict[str, int]) -> None:
    """The templates, once (a second seed finds them there by specialty and name)."""
    from clinical.models import NoteTemplate

    NoteTemplate.objects.bulk_create(
        [
            NoteTemplate(
                specialty_id=specialty_ids.get(specialty) if specialty else None,
                name=name,
                subjective=subjective,
                objective=objective,
                assessment=assessment,
                plan=plan,
            )
            for specialty, name, subjective, objective, assessment, plan in TEMPLATES
            if specialty is None or specialty in specialty_ids
        ],
        ignore_conflicts=True,
    )
