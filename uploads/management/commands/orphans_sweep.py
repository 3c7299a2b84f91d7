"""Runs the orphan sweep now (`uploads.orphans`) and says how many collections and files it removed."""

from django.core.management.base import BaseCommand

from uploads.orphans import orphans_sweep


class Command(BaseCommand):
    help = "Drop the MongoDB collections and delete the stored files that belong to no dataset or version."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list the orphans, remove nothing")

    def handle(self, *args, **options):
        orphans = orphans_sweep(remove=not options["dry_run"])
        for name in (*orphans.collections, *orphans.files):
            self.stdout.write(f"  {name}")
        self.stdout.write(f"{str(orphans).capitalize()}.")
