"""Vietnamese names for third-party apps in the Django admin (issue 17): AppConfig subclasses listed in
INSTALLED_APPS instead of the apps' own. django-axes marks its model and field names for translation (the
Vietnamese is in locale/vi/LC_MESSAGES/django.po); django-vi-address does not, so its two models and their
fields get their names here, in ``ready()``. Setting ``_meta.verbose_name`` does not touch
``_meta.original_attrs``, and setting a field's ``verbose_name`` does not touch the ``_verbose_name`` its
``deconstruct()`` reads: the migration autodetector sees neither, so no migration in a third-party app."""

from axes.apps import AppConfig as BaseAxesConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(BaseAxesConfig):
    verbose_name = _("Chống dò mật khẩu")

    def ready(self):
        super().ready()
        from axes.admin import AccessAttemptAdmin

        # Two computed columns of axes's admin have no description: the admin would show their English names.
        AccessAttemptAdmin.status.short_description = _("trạng thái")
        AccessAttemptAdmin.expiration.short_description = _("hết hạn lúc")


class ViAddressConfig(AppConfig):
    name = "vi_address"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("Đơn vị hành chính")

    def ready(self):
        names = {"City": (_("tỉnh, thành phố"), _("tỉnh, thành phố")),
                 "Ward": (_("xã, phường, đặc khu"), _("xã, phường, đặc khu"))}
        fields = {"name": _("tên"), "slug": _("tên không dấu"), "type": _("loại"), "code": _("mã"),
                  "name_with_type": _("tên đầy đủ"), "note": _("ghi chú"),
                  "path": _("tên kèm tỉnh, thành phố"), "path_with_type": _("tên đầy đủ kèm tỉnh, thành phố"),
                  "parent_code": _("tỉnh, thành phố")}
        for model_name, (singular, plural) in names.items():
            meta = self.get_model(model_name)._meta
            meta.verbose_name, meta.verbose_name_plural = singular, plural
            for field in meta.get_fields():
                if field.name in fields:
                    field.verbose_name = fields[field.name]
