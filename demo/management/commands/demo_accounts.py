"""`manage.py demo_accounts`: one login per role, with published passwords, for demos.

Idempotent: every run leaves the four accounts active, in their role group, with the password
below (a password changed in the app is reset). The `doctor` account is Dr D0001, created when
the database has no doctor of that code. The doctor and admin accounts, whose roles sign in
with a second factor, get an authenticator with the published DEMO_TOTP_KEY (printed).
Each account also gets a new API token for the FHIR API, printed with a ready-made `curl`
(the previous run's demo tokens are revoked: demo/api_tokens.py).
"""

import base64

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.selectors import second_factor_required
from accounts.services import authenticator_install
from core import roles
from demo.api_tokens import DEMO_TOKEN_DAYS, demo_tokens_refresh
from doctors.models import Doctor, Specialty

# username, password, role, first name, last name
ACCOUNTS = (
    ("frontdesk", "frontdesk-demo-2026", roles.FRONT_DESK, "Fiona", "Desmond"),
    ("doctor", "doctor-demo-2026", roles.DOCTOR, "Alex", "Morgan"),
    ("billing", "billing-demo-2026", roles.BILLING_CLERK, "Bilal", "Clarke"),
    ("admin", "admin-demo-2026", roles.ADMINISTRATOR, "Ada", "Minter"),
)
DEMO_DOCTOR_CODE = "D0001"
# The demo accounts' authenticator secret, published like their passwords (20 bytes, as hex).
DEMO_TOTP_KEY = b"hms-demo-totp-secret".hex()
DEMO_TOTP_BASE32 = base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode()
# Prints the current code without an app (django_otp.oath needs no Django settings).
DEMO_CODE_COMMAND = (
    ".venv/bin/python -c 'from django_otp.oath import totp; "
    f'print("%06d" % totp(bytes.fromhex("{DEMO_TOTP_KEY}")))\''
)


class Command(BaseCommand):
    help = (
        "Create or reset the four demo logins, one per role: frontdesk, doctor (linked to "
        f"doctor {DEMO_DOCTOR_CODE}, created if missing), billing and admin (superuser), and "
        "print their passwords. Refuses when DEBUG is off unless --force: published "
        "passwords do not belong on a real installation."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="create the accounts even with DEBUG off"
        )
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="where the site is served, for the printed API example",
        )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: demo accounts with published passwords were not created. "
                "Use --force to create them anyway."
            )
        with transaction.atomic():
            with_code, users = [], []
            for username, password, role, first, last in ACCOUNTS:
                user = _account(username, password, role, first, last)
                users.append(user)
                if role == roles.DOCTOR:
                    _link_doctor(user)
                if second_factor_required(user):
                    with_code.append(
                        authenticator_install(user=user, key_hex=DEMO_TOTP_KEY, by=None)
                    )
            tokens = demo_tokens_refresh(users=users)

        width = max(len(a[1]) for a in ACCOUNTS)
        self.stdout.write(f"{'username':<10} {'password':<{width}}  role")
        self.stdout.write(f"{'-' * 10} {'-' * width}  {'-' * 13}")
        for username, password, role, *_ in ACCOUNTS:
            self.stdout.write(f"{username:<10} {password:<{width}}  {role}")
        if with_code:
            names = " and ".join(device.user.username for device in with_code)
            self.stdout.write(
                f"\nTwo-step sign-in for {names}: add this key to an authenticator app "
                "(time-based, 6 digits, 30 seconds)"
            )
            self.stdout.write(f"  key:  {DEMO_TOTP_BASE32}")
            for device in with_code:
                self.stdout.write(f"  link: {device.config_url}")
            self.stdout.write(f"  or print the current code: {DEMO_CODE_COMMAND}")
        self._print_tokens(tokens, options["base_url"].rstrip("/"))

    def _print_tokens(self, tokens: list, base_url: str) -> None:
        self.stdout.write(
            f"\nFHIR API tokens (new on every run, the previous ones revoked; {DEMO_TOKEN_DAYS} "
            "days; docs/fhir.md):"
        )
        for (user, secret), (*_, role, _first, _last) in zip(tokens, ACCOUNTS, strict=True):
            self.stdout.write(f"  {user.username:<10} {secret}  {role}")
        secret = tokens[0][1]
        self.stdout.write(
            f'  try:  curl -H "Authorization: Bearer {secret}" '
            f'"{base_url}/fhir/R4/Patient?name=smith"'
        )


def _account(username: str, password: str, role: str, first: str, last: str) -> User:
    user = User.objects.filter(username=username).first() or User(username=username)
    user.first_name = user.first_name or first
    user.last_name = user.last_name or last
    user.email = user.email or f"{username}@aurelia-hospital.example.org"
    user.is_active = True
    user.is_staff = user.is_superuser = role == roles.ADMINISTRATOR
    # Demo passwords are published on purpose, so the validators are not consulted.
    user.set_password(password)
    user.save()
    user.groups.set([Group.objects.get(name=role)])
    return user


def _link_doctor(user: User) -> None:
    doctor = Doctor.objects.filter(code=DEMO_DOCTOR_CODE).first()
    if doctor is None:
        specialty = Specialty.objects.filter(name__iexact="Family Medicine").first()
        doctor = Doctor(
            code=DEMO_DOCTOR_CODE,
            first_name=user.first_name,
            last_name=user.last_name,
            specialty=specialty or Specialty.objects.create(name="Family Medicine"),
            email=user.email,
        )
    if doctor.pk is None or doctor.user_id != user.pk:
        Doctor.objects.filter(user=user).exclude(pk=doctor.pk).update(user=None)
        doctor.user = user
        doctor.save()
    # The login shows the doctor's own name.
    if (user.first_name, user.last_name) != (doctor.first_name, doctor.last_name):
        user.first_name, user.last_name = doctor.first_name, doctor.last_name
        user.save(update_fields=["first_name", "last_name"])
