"""DRF's plain API tokens (rest_framework.authtoken, keys stored in clear, never expiring) are replaced by
django-rest-knox's hashed, expiring tokens: the old table and its keys go."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", reverse_sql=migrations.RunSQL.noop)]
