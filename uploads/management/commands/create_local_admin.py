"""On first run, creates a local admin account and prints its credentials (once, and to a file)."""

import secrets
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the local 'admin' superuser when no user exists yet."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--credentials-file", type=Path, required=True)

    def handle(self, *args, **options):
        User = get_user_model()
        path: Path = options["credentials_file"]
        if User.objects.exists():
            if path.exists():
                self.stdout.write(f"Log in with the account in {path}.")
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=options["username"], email="", password=password)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"username: {options['username']}\npassword: {password}\n")
        path.chmod(0o600)
        self.stdout.write(
            f"Created the local admin account — username: {options['username']}  password: {password}\n"
            f"(also saved in {path})"
        )
