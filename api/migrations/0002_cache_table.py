"""The database cache's table (CACHE_URL=db, the API's throttles), made by `migrate` itself, so that
no deployment needs a `createcachetable` step, and made whatever CACHE_URL says, so that switching
to the database cache later needs no step either."""

from django.conf import settings
from django.core.management import call_command
from django.db import migrations


def cache_table_create(apps, schema_editor):
    # Does nothing when the table exists (a `createcachetable` run before).
    call_command("createcachetable", settings.CACHE_TABLE, database=schema_editor.connection.alias, verbosity=0)


def cache_table_drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(settings.CACHE_TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial")]

    operations = [migrations.RunPython(cache_table_create, cache_table_drop)]
