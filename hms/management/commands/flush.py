"""`manage.py flush`, as the owner role: emptying every table takes TRUNCATE, which the
application's role never has (hms/dbroles.py). The test suite flushes after each
transactional test through this command."""

from django.core.management.commands import flush
from django.db import connections

from hms.dbroles import as_owner


class Command(flush.Command):
    def handle(self, **options):
        with as_owner(connections[options["database"]]):
            return super().handle(**options)
