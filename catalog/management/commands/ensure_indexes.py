"""Creates the MongoDB indexes declared on the documents (idempotent)."""

from django.core.management.base import BaseCommand

from catalog.persistence import indexes_ensure


class Command(BaseCommand):
    help = "Create the MongoDB indexes of the record documents."

    def handle(self, *args, **options):
        indexes_ensure()
        self.stdout.write("MongoDB indexes are in place.")
