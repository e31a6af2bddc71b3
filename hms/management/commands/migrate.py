"""`manage.py migrate`, as the owner role, then the application role's privileges again.

Django's own command does the migrating; this one only logs in as `DATABASE_OWNER_URL`'s role
for it (hms/dbroles.py) and grants the application's role its privileges on every table at
the end, new tables included.
"""

from django.core.management.commands import migrate
from django.db import connections

from hms.dbroles import as_owner, grant_app_privileges


class Command(migrate.Command):
    help = migrate.Command.help + (
        " Runs as DATABASE_OWNER_URL's role when set, then grants DATABASE_URL's role its "
        "privileges."
    )

    def handle(self, *args, **options):
        connection = connections[options["database"]]
        with as_owner(connection):
            super().handle(*args, **options)
            role = grant_app_privileges(connection)
        if role and options["verbosity"] >= 1:
            self.stdout.write(f"Privileges granted to the application's role {role}.")
