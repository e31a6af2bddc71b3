from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_role_groups(sender, app_config=None, using="default", apps=None, **kwargs):
    """Re-create the role groups after every migrate and every test flush.

    The data migration makes them once, but a flush (TransactionTestCase, live-server tests)
    empties the tables and emits post_migrate; the permissions themselves are re-created by
    django.contrib.auth's own handler, which runs before this one.
    """
    from django.apps import apps as global_apps

    from core.roles import sync_groups

    # post_migrate comes once per app that has models; act on the last one, when every
    # permission exists.
    with_models = [c for c in global_apps.get_app_configs() if c.models_module is not None]
    if app_config is not with_models[-1]:
        return

    sync_groups(global_apps, create_perms=False)


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Hospital"

    def ready(self) -> None:
        from core import access_audit

        post_migrate.connect(_sync_role_groups, dispatch_uid="core_sync_role_groups")
        # Role and permission changes, logins and failed logins as audit rows.
        access_audit.connect()
