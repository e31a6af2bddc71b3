"""django-otp's own admin pages show and edit device secrets and remove devices without an
audit row; the administrators' page (accounts:staff_list) resets devices instead, audited."""

from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
