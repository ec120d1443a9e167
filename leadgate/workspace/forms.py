"""Forms of the qualifier's screens."""

from django import forms

from leadgate.leads.lifecycle import Role, Stage
from leadgate.leads.models import User


def sales_reps():
    """Active sales reps, the people a qualified lead may be handed to."""
    return User.objects.filter(is_active=True, groups__name=Role.SALES).order_by(
        "first_name", "last_name", "username"
    )


class StageForm(forms.Form):
    """A move of a lead to the next stage (not `qualified`: that is the
    handoff's). The lifecycle checks the rest."""

    target = forms.ChoiceField(choices=Stage.choices)
    reason = forms.CharField(required=False, max_length=2000)
    amount = forms.DecimalField(required=False, max_digits=14, decimal_places=2)
