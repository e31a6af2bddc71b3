from django import template

from clinical import drug_classes

register = template.Library()


@register.filter
def drug_class_label(key: str) -> str:
    """A drug class's name ("penicillins" → "Penicillins")."""
    drug_class = drug_classes.BY_KEY.get(key)
    return drug_class.label if drug_class else key
