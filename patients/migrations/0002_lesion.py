import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BODY_SITES = [('abdomen', 'Abdomen'), ('acral', 'Acral'), ('back', 'Back'), ('chest', 'Chest'), ('ear', 'Ear'), ('face', 'Face'), ('foot', 'Foot'), ('genital', 'Genital'), ('hand', 'Hand'), ('lower extremity', 'Lower extremity'), ('neck', 'Neck'), ('scalp', 'Scalp'), ('trunk', 'Trunk'), ('upper extremity', 'Upper extremity'), ('unknown', 'Unknown')]


def one_lesion_per_case(apps, schema_editor):
    """Existing cases become the first visit of a lesion each, at the case's body site."""
    Case = apps.get_model("patients", "Case")
    Lesion = apps.get_model("patients", "Lesion")
    for case in Case.objects.filter(lesion__isnull=True).order_by("pk").iterator():
        lesion = Lesion.objects.create(patient_id=case.patient_id, body_site=case.body_site, created_by_id=case.created_by_id)
        Lesion.objects.filter(pk=lesion.pk).update(created_at=case.created_at)
        Case.objects.filter(pk=case.pk).update(lesion=lesion)


class Migration(migrations.Migration):
    dependencies = [
        ('patients', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Lesion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('body_site', models.CharField(choices=BODY_SITES, default='unknown', max_length=20)),
                ('side', models.CharField(blank=True, choices=[('left', 'Left'), ('right', 'Right'), ('midline', 'Midline'), ('', 'Not applicable')], max_length=10)),
                ('label', models.CharField(blank=True, help_text='A short label, e.g. "left shoulder, 6 mm pigmented".', max_length=100)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('patient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='lesions', to='patients.patient')),
            ],
            options={'ordering': ['created_at', 'pk']},
        ),
        migrations.AddField(
            model_name='case',
            name='lesion',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='cases', to='patients.lesion'),
        ),
        migrations.RunPython(one_lesion_per_case, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='case',
            name='lesion',
            field=models.ForeignKey(help_text='The lesion this case is one visit of.', on_delete=django.db.models.deletion.PROTECT, related_name='cases', to='patients.lesion'),
        ),
    ]
