"""Imports as background jobs: an ImportRun gains its state, its progress, its
failure, and what a worker needs to run it later (the options asked for, the
upload's stored name, its task). Runs already there (command-line imports,
and web imports, which ran in the request) are done: they are added with the
state "done", then the default becomes "queued" for runs to come."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('intake', '0007_activity_sender'),
    ]

    operations = [
        migrations.AddField(
            model_name='importrun',
            name='state',
            field=models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='done', max_length=10),
        ),
        migrations.AlterField(
            model_name='importrun',
            name='state',
            field=models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='queued', max_length=10),
        ),
        migrations.AddField(
            model_name='importrun',
            name='progress',
            field=models.PositiveIntegerField(default=0, help_text='rows read so far'),
        ),
        migrations.AddField(
            model_name='importrun',
            name='fraction',
            field=models.FloatField(blank=True, help_text='of the file read so far, when the reader tells', null=True),
        ),
        migrations.AddField(
            model_name='importrun',
            name='progress_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='importrun',
            name='failure',
            field=models.TextField(blank=True, help_text='why it stopped, as the user is told'),
        ),
        migrations.AddField(
            model_name='importrun',
            name='options',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='importrun',
            name='upload',
            field=models.CharField(blank=True, help_text="the upload's stored name in imports/uploads", max_length=64),
        ),
        migrations.AddField(
            model_name='importrun',
            name='task_id',
            field=models.CharField(blank=True, help_text="the job's task result", max_length=64),
        ),
    ]
