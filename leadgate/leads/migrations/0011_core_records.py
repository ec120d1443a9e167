# Touch and Task (from workspace), Handoff and Outcome (from handoff) are core
# records of the leads app: every stage reads them. Their tables, indexes and
# constraints keep their names, so the move is in Django's state only; no row
# moves. workspace.0006 and handoff.0005 drop them from their apps' state,
# routing.0005 points SlaClock.touch here, intake.0010 renames them in the
# merge records.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

UNSCORED = 1699  # leadgate.lib.score_rank.UNSCORED when this was written

# (old app, model): their content types follow them, and with them the
# permissions granted and the admin's history of changes.
MOVED = [("workspace", "touch"), ("workspace", "task"), ("handoff", "handoff"),
         ("handoff", "outcome")]


def relabel(apps, old_to_new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for old, new, model in old_to_new:
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def content_types_forwards(apps, schema_editor):
    relabel(apps, [(old, "leads", model) for old, model in MOVED])


def content_types_backwards(apps, schema_editor):
    relabel(apps, [("leads", old, model) for old, model in MOVED])


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('handoff', '0004_outcome_crm_fields'),
        ('leads', '0010_events'),
        ('workspace', '0005_open_task_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Handoff',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('cycle', models.PositiveIntegerField(default=1)),
                        ('dossier', models.JSONField(blank=True, default=dict)),
                        ('status', models.CharField(choices=[('pending', 'Waiting for sales'), ('accepted', 'Accepted'), ('rejected', 'Rejected')], default='pending', max_length=10)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('decision_reason', models.TextField(blank=True)),
                        ('reject_reason', models.CharField(blank=True, choices=[('not_a_fit', 'Not a fit'), ('bad_timing', 'Bad timing'), ('duplicate_opportunity', 'Duplicate of an open opportunity'), ('no_budget', 'No budget'), ('other', 'Other')], max_length=24)),
                        ('due_at', models.DateTimeField(blank=True, null=True)),
                        ('escalated_at', models.DateTimeField(blank=True, null=True)),
                        ('meeting_at', models.DateTimeField(blank=True, null=True)),
                        ('note', models.TextField(blank=True)),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('from_user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='handoffs_made', to=settings.AUTH_USER_MODEL)),
                        ('lead', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='handoffs', to='leads.lead')),
                        ('to_user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='handoffs_received', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'handoff_handoff',
                        'indexes': [models.Index(fields=['to_user', 'status', 'created_at'], name='handoff_inbox'), models.Index(fields=['status', 'due_at'], name='handoff_status_due'), models.Index(fields=['lead', 'cycle'], name='handoff_lead_cycle')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'pending')), fields=('lead',), name='handoff_one_pending_per_lead')],
                    },
                ),
                migrations.CreateModel(
                    name='Outcome',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('cycle', models.PositiveIntegerField(default=1)),
                        ('kind', models.CharField(choices=[('opportunity', 'Opportunity'), ('won', 'Won'), ('lost', 'Lost')], max_length=12)),
                        ('amount', models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True)),
                        ('currency', models.CharField(default='USD', max_length=3)),
                        ('expected_close', models.DateField(blank=True, null=True)),
                        ('stage', models.CharField(blank=True, max_length=100)),
                        ('reason', models.TextField(blank=True)),
                        ('external_id', models.CharField(blank=True, db_index=True, max_length=200)),
                        ('event_id', models.CharField(blank=True, max_length=200)),
                        ('at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('lead', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='outcomes', to='leads.lead')),
                    ],
                    options={
                        'db_table': 'handoff_outcome',
                        'indexes': [models.Index(fields=['kind', 'at'], name='outcome_kind_at')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('event_id', ''), _negated=True), fields=('event_id',), name='outcome_unique_event_id')],
                    },
                ),
                migrations.CreateModel(
                    name='Task',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('first_call', 'First call'), ('follow_up', 'Follow-up'), ('call_back', 'Call back (requested)'), ('recontact', 'Re-contact (nurture)'), ('other', 'Other')], default='follow_up', max_length=12)),
                        ('title', models.CharField(max_length=200)),
                        ('due_at', models.DateTimeField()),
                        ('done_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('rank', models.PositiveIntegerField(db_default=UNSCORED, default=UNSCORED, editable=False)),
                        ('assignee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='tasks', to=settings.AUTH_USER_MODEL)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('lead', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tasks', to='leads.lead')),
                    ],
                    options={
                        'db_table': 'workspace_task',
                        'indexes': [models.Index(condition=models.Q(('done_at__isnull', True)), fields=['assignee', 'due_at'], name='task_assignee_due'), models.Index(condition=models.Q(('done_at__isnull', True)), fields=['assignee', 'rank', 'due_at'], name='task_assignee_rank'), models.Index(condition=models.Q(('done_at__isnull', True)), fields=['lead', 'due_at'], name='task_lead_open')],
                    },
                ),
                migrations.CreateModel(
                    name='Touch',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('cycle', models.PositiveIntegerField(default=1)),
                        ('channel', models.CharField(choices=[('call', 'Call'), ('voicemail', 'Voicemail'), ('email', 'Email'), ('social', 'Social'), ('meeting', 'Meeting'), ('sms', 'SMS')], max_length=12)),
                        ('direction', models.CharField(choices=[('outbound', 'Outbound'), ('inbound', 'Inbound')], default='outbound', max_length=8)),
                        ('disposition', models.CharField(choices=[('connected', 'Connected'), ('voicemail_left', 'Voicemail left'), ('no_answer', 'No answer'), ('busy', 'Busy'), ('wrong_number', 'Wrong number'), ('gatekeeper', 'Gatekeeper'), ('not_interested', 'Not interested'), ('call_back', 'Call back requested'), ('meeting_booked', 'Meeting booked'), ('sent', 'Sent'), ('replied', 'Replied')], max_length=16)),
                        ('duration_seconds', models.PositiveIntegerField(default=0)),
                        ('notes', models.TextField(blank=True)),
                        ('at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='touches', to=settings.AUTH_USER_MODEL)),
                        ('lead', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='touches', to='leads.lead')),
                    ],
                    options={
                        'db_table': 'workspace_touch',
                        'indexes': [models.Index(fields=['lead', 'at'], name='touch_lead_at'), models.Index(fields=['actor', 'at'], name='touch_actor_at')],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_types_forwards, content_types_backwards),
    ]
