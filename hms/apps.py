from django.apps import AppConfig


class HmsConfig(AppConfig):
    """The project package as an app: its templates' home pages, `db_is_empty`, and the
    migrations that made the extensions and the role groups before the ground moved to
    `core` (other apps' migrations depend on them, so they stay here)."""

    name = "hms"
    verbose_name = "Hospital (project)"
