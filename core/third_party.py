"""Vietnamese names for third-party apps in the Django admin (issue 17): AppConfig subclasses listed in
INSTALLED_APPS instead of the apps' own. django-axes marks its model and field names for translation (the
Vietnamese is in locale/vi/LC_MESSAGES/django.po); django-vi-address does not, so its two models get their
names here, in ``ready()``. Setting ``_meta.verbose_name`` does not touch ``_meta.original_attrs``, which the
migration autodetector reads: no migration in a third-party app."""

from axes.apps import AppConfig as BaseAxesConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(BaseAxesConfig):
    verbose_name = _("Chống dò mật khẩu")


class ViAddressConfig(AppConfig):
    name = "vi_address"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("Đơn vị hành chính")

    def ready(self):
        names = {"City": (_("tỉnh, thành phố"), _("tỉnh, thành phố")),
                 "Ward": (_("xã, phường, đặc khu"), _("xã, phường, đặc khu"))}
        for model_name, (singular, plural) in names.items():
            meta = self.get_model(model_name)._meta
            meta.verbose_name, meta.verbose_name_plural = singular, plural
