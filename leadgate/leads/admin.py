from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from .lifecycle import IllegalMove, Stage, check_move
from .models import Account, Lead, StageChange, Team, User
from .transitions import HANDOFF_ONLY, advance


@admin.register(User)
class LeadgateUserAdmin(UserAdmin):
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Leadgate", {"fields": ("team", "time_zone")}))
    list_display = ("username", "email", "team", "is_active")


admin.site.register(Team)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("name", "domain", "industry", "employees", "owner")
    search_fields = ("name", "domain")


# Written only by advance() and start_new_cycle() (leads.models.write_stage).
STAGE_FIELDS = ("stage", "cycle", "stage_changed_at")


class LeadAdminForm(forms.ModelForm):
    """The lead's fields, and a stage move made through `advance()` like
    everywhere else (the stage itself is read-only: an edited stage would skip
    the history, the lifecycle and the gate to sales)."""

    move_to = forms.ChoiceField(
        required=False, choices=[("", "(stay)"), *Stage.choices],
        help_text="moves the lead as you, recorded in its history; "
                  "qualified only by the handoff",
    )
    move_reason = forms.CharField(required=False, max_length=2000)

    # Set by LeadAdmin.get_form, which makes a form class per request.
    actor: User | None = None

    class Meta:
        model = Lead
        fields = tuple(field.name for field in Lead._meta.concrete_fields
                       if field.editable and not field.primary_key
                       and field.name not in STAGE_FIELDS)

    def clean(self):
        cleaned = super().clean()
        target = cleaned.get("move_to")
        if not target:
            return cleaned
        if self.instance.pk is None:
            self.add_error("move_to", "a new lead starts at inquiry: move it once saved")
        elif target == Stage.QUALIFIED:
            self.add_error("move_to", f"no sales-ready verdict: {HANDOFF_ONLY}")
        else:
            roles = None if self.actor is None else self.actor.roles
            try:
                check_move(self.instance.stage, target, roles, cleaned.get("move_reason", ""))
            except IllegalMove as refused:
                self.add_error("move_to", str(refused))
        return cleaned


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    form = LeadAdminForm
    list_display = ("__str__", "email", "stage", "cycle", "owner", "created_at")
    list_filter = ("stage",)
    search_fields = ("email", "last_name", "company_name")
    raw_id_fields = ("account", "owner")
    readonly_fields = STAGE_FIELDS

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user  # type: ignore[attr-defined]
        return form

    def save_model(self, request: HttpRequest, obj: Lead, form, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
        else:
            # Only what the form changed: a whole-row save would put back the
            # stage (or score rank) read when the form opened over a newer one.
            own = {field.name for field in Lead._meta.concrete_fields}
            changed = [name for name in form.changed_data if name in own]
            obj.save(update_fields=[*changed, "updated_at"])
        target = form.cleaned_data.get("move_to")
        if target:
            # Checked by the form; advance() checks again on the locked row.
            advance(obj, target, by=request.user,  # type: ignore[arg-type]
                    reason=form.cleaned_data.get("move_reason", ""))


@admin.register(StageChange)
class StageChangeAdmin(admin.ModelAdmin):
    list_display = ("lead", "from_stage", "to_stage", "at", "by")
    raw_id_fields = ("lead", "by")
