"""`manage.py apitoken USERNAME [--name NAME] [--days N]`: a new API token, printed as the last line."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.tokens import token_create


class Command(BaseCommand):
    help = "Creates a personal API token for a user and prints it (shown once) as the last line."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line")
        parser.add_argument("--days", type=int, default=None, help="days until it expires (0: never)")

    def handle(self, *args, username: str, name: str, days: int | None, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user is called {username!r}.")
        created = token_create(user=user, name=name, days=days)
        expires = created.token.expires_at.date().isoformat() if created.token.expires_at else "never"
        self.stderr.write(f"Token “{created.token.name}” for {username}, expires {expires}; it is shown once:")
        self.stdout.write(created.secret)
