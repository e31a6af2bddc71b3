"""The allergy check's rule: which recorded allergies a drug matches.

One table (`CLASSES`) says which drugs belong to a class a patient can be allergic to (the
classes' names are patients.AllergyDrugClass, below the clinical layer); the
check reads an allergy's drug class, or a class named by its substance ("penicillin allergy"
reads as the penicillins). A drug matches an allergy when

- the allergy's substance, as words, appears among the drug's words (accent- and case-blind:
  "Amoxicilline" and "AMOXICILLIN 500 mg" are both amoxicillin), or
- the drug is a member of the allergy's class (or is named by the class itself).

Edit the table here (and say why in the commit): it is the one copy the check, the forms'
choices and the FHIR API read. A new class is also a new AllergyDrugClass, and a patients
migration for its database constraint.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from patients.models import AllergyDrugClass


@dataclass(frozen=True)
class DrugClass:
    key: str
    label: str
    # Words a substance names the class by ("penicillin" for the penicillins).
    names: tuple[str, ...]
    # Members, each as the words of its name.
    members: tuple[str, ...]


# Per class of patients.AllergyDrugClass (the list of names and labels, which the database
# holds an allergy's class to): the words a substance names it by, and its members.
_TABLE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    AllergyDrugClass.PENICILLINS: (
        ("penicillins", "penicillin"),
        (
            "amoxicillin",
            "amoxycillin",
            "ampicillin",
            "penicillin",
            "benzylpenicillin",
            "phenoxymethylpenicillin",
            "flucloxacillin",
            "dicloxacillin",
            "cloxacillin",
            "oxacillin",
            "nafcillin",
            "piperacillin",
            "ticarcillin",
            "co-amoxiclav",
            "augmentin",
        ),
    ),
    AllergyDrugClass.CEPHALOSPORINS: (
        ("cephalosporins", "cephalosporin"),
        (
            "cefalexin",
            "cephalexin",
            "cefadroxil",
            "cefazolin",
            "cefuroxime",
            "cefaclor",
            "cefprozil",
            "cefixime",
            "cefpodoxime",
            "cefotaxime",
            "ceftriaxone",
            "ceftazidime",
            "cefepime",
            "ceftaroline",
        ),
    ),
    AllergyDrugClass.SULFONAMIDES: (
        ("sulfonamides", "sulfonamide", "sulfa", "sulpha"),
        (
            "sulfamethoxazole",
            "co-trimoxazole",
            "cotrimoxazole",
            "trimethoprim-sulfamethoxazole",
            "sulfadiazine",
            "sulfasalazine",
            "bactrim",
            "septrin",
        ),
    ),
    AllergyDrugClass.NSAIDS: (
        ("nsaids", "nsaid"),
        (
            "ibuprofen",
            "naproxen",
            "aspirin",
            "acetylsalicylic acid",
            "diclofenac",
            "ketoprofen",
            "ketorolac",
            "indomethacin",
            "indometacin",
            "meloxicam",
            "piroxicam",
            "celecoxib",
            "etoricoxib",
            "mefenamic acid",
        ),
    ),
    AllergyDrugClass.MACROLIDES: (
        ("macrolides", "macrolide"),
        ("erythromycin", "azithromycin", "clarithromycin"),
    ),
    AllergyDrugClass.OPIOIDS: (
        ("opioids", "opioid", "opiates", "opiate"),
        ("morphine", "codeine", "tramadol", "oxycodone", "hydrocodone", "fentanyl", "pethidine"),
    ),
}
CLASSES: tuple[DrugClass, ...] = tuple(
    DrugClass(name.value, name.label, *_TABLE[name]) for name in AllergyDrugClass
)
BY_KEY = {drug_class.key: drug_class for drug_class in CLASSES}
CHOICES = [(drug_class.key, drug_class.label) for drug_class in CLASSES]


def words(text: str) -> tuple[str, ...]:
    """Lower-case words without accents ("Amoxicilline 500 mg" → amoxicilline, 500, mg);
    a hyphenated name stays one word."""
    plain = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return tuple(re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", plain))


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    """Whether `needle` appears as consecutive words of `haystack` (a word may carry a
    French or Spanish trailing e/o: "amoxicilline" is amoxicillin)."""
    if not needle:
        return False
    size = len(needle)
    for start in range(len(haystack) - size + 1):
        if all(
            _same_word(h, n) for h, n in zip(haystack[start : start + size], needle, strict=True)
        ):
            return True
    return False


def _same_word(word: str, target: str) -> bool:
    return word == target or (word[:-1] == target and word[-1] in "eo")


def classes_of_drug(name: str) -> set[str]:
    """The classes a drug belongs to, by its name (or by naming a class itself)."""
    drug = words(name)
    return {
        drug_class.key
        for drug_class in CLASSES
        if any(_contains(drug, words(member)) for member in drug_class.members)
        or any(_contains(drug, (alias,)) for alias in drug_class.names)
    }


def classes_of_allergy(substance: str, drug_class: str = "") -> set[str]:
    """The classes an allergy covers: its recorded class, and any class its substance names."""
    found = {drug_class} if drug_class in BY_KEY else set()
    substance_words = words(substance)
    for candidate in CLASSES:
        if any(_contains(substance_words, (alias,)) for alias in candidate.names):
            found.add(candidate.key)
    return found


def _core_words(substance: str) -> tuple[str, ...]:
    """The substance without the words around it in free text ("allergy to penicillin")."""
    filler = {"allergy", "allergic", "to", "allergies", "intolerance", "of", "the", "and"}
    return tuple(w for w in words(substance) if w not in filler)


def matches(*, drug: str, substance: str, drug_class: str = "") -> bool:
    """Whether prescribing `drug` is stopped by an allergy to `substance` (of `drug_class`)."""
    core = _core_words(substance)
    if core and _contains(words(drug), core):
        return True
    return bool(classes_of_drug(drug) & classes_of_allergy(substance, drug_class))
