from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Sign-in"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts.middleware import forget_nothing_owed

        user_logged_in.connect(forget_nothing_owed, dispatch_uid="accounts_forget_nothing_owed")
