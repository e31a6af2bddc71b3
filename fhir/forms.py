from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.urls import reverse

from core.forms import VisibleTextForm
from fhir.models import DEFAULT_LIFETIME_DAYS

LIFETIMES = [(30, "30 days"), (90, "90 days"), (180, "180 days"), (365, "One year")]


class ApiTokenForm(VisibleTextForm, forms.Form):
    """A new API token: what it is for, and how long it works."""

    name = forms.CharField(
        label="What is it for?",
        max_length=100,
        help_text="For example the lab's results system; shown in this list only.",
    )
    lifetime_days = forms.TypedChoiceField(
        label="Works for",
        choices=LIFETIMES,
        coerce=int,
        initial=DEFAULT_LIFETIME_DAYS,
        help_text="It stops working by itself then; make a new one before.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_action = reverse("api_tokens:token_create")
        self.helper.add_input(Submit("submit", "Make a token"))
