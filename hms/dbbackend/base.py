"""The project's PostgreSQL backend: Django's, plus the two roles and the embedded server.

- The test database is created, migrated and dropped by the owner role (`hms.dbroles`); the
  tests themselves run as the application's role, as production does.
- With `EMBEDDED` in the settings (DATABASE_URL unset) the embedded server is started on the
  first connection.
"""

from django.db.backends.postgresql import base, creation

from hms.dbroles import as_owner


class DatabaseCreation(creation.DatabaseCreation):
    def create_test_db(self, *args, **kwargs):
        with as_owner(self.connection):
            return super().create_test_db(*args, **kwargs)

    def destroy_test_db(self, *args, **kwargs):
        with as_owner(self.connection):
            return super().destroy_test_db(*args, **kwargs)


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation

    def get_connection_params(self):
        params = super().get_connection_params()
        # No JIT compilation: our queries are short (pages, reports over roll-ups), and
        # PostgreSQL's JIT, set off by cost estimates, spent 55-116 ms compiling a report
        # query that runs in 20 ms (issue 14). OPTIONS {"options": ...} may set it back.
        params.setdefault("options", "-c jit=off")
        if self.settings_dict.get("EMBEDDED"):
            from hms.embedded import ensure_server

            params["host"], params["port"] = ensure_server()
        return params
