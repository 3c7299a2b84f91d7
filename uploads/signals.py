"""What the dataset job tells other apps: `version_finished(version=...)`, sent inside the
transaction that marks a version done or failed, so a receiver's writes (a webhook's outbox
message) commit with it or not at all. Receivers run in their own savepoint and must be quick."""

from django.dispatch import Signal

version_finished = Signal()
