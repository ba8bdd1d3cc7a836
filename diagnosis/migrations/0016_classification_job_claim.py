from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("diagnosis", "0015_worklist_mark"),
    ]

    operations = [
        migrations.AddField(
            model_name="classificationjob",
            name="claimed_by",
            field=models.CharField(blank=True, help_text="The worker process classifying it now.", max_length=200),
        ),
        migrations.AddField(
            model_name="classificationjob",
            name="claimed_at",
            field=models.DateTimeField(blank=True, help_text="When that worker claimed it.", null=True),
        ),
        migrations.AddField(
            model_name="classificationjob",
            name="batch_pending",
            field=models.BooleanField(
                default=False,
                help_text="Its last try was a batch pass that did not finish: its next try goes alone, counted by the batch.",
            ),
        ),
    ]
