from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms


class CodeForm(forms.Form):
    """A code from the authenticator app (six digits) or, at sign-in, a recovery code."""

    code = forms.CharField(
        label="Code",
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autofocus": True,
                "spellcheck": "false",
                "autocapitalize": "off",
            }
        ),
    )

    def __init__(self, *args, submit: str = "Verify", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.add_input(Submit("submit", submit))
