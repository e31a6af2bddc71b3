"""PostgreSQL backend that starts the embedded server on the first connection."""

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        from hms.embedded import ensure_server

        params = super().get_connection_params()
        params["host"], params["port"] = ensure_server()
        return params
