from django.contrib import admin

from offices.models import Office, OfficeNotice


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "tier", "kind", "admin_unit_code", "is_remote_area", "is_active")
    list_filter = ("tier", "kind", "is_remote_area", "is_active")
    search_fields = ("code", "name", "admin_unit_code", "search_text")
    raw_id_fields = ("parent",)
    readonly_fields = ("path", "created_at", "updated_at")
    list_per_page = 50

    def get_readonly_fields(self, request, obj=None):
        # The identity of a seeded office (code, tier, parent) is the directory's, not an editor's.
        if obj is not None:
            return (*self.readonly_fields, "code", "tier", "parent")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            from offices.services import create_office

            created = create_office(
                parent=obj.parent, name=obj.name, kind=obj.kind, by_user=request.user,
                address=obj.address, phone=obj.phone, email=obj.email, is_remote_area=obj.is_remote_area,
            )
            obj.pk, obj.code, obj.path = created.pk, created.code, created.path
            return
        super().save_model(request, obj, form, change)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("parent", "name", "kind", "address", "phone", "email", "is_remote_area")
        return super().get_fields(request, obj)


@admin.register(OfficeNotice)
class OfficeNoticeAdmin(admin.ModelAdmin):
    list_display = ("office", "author", "created_at", "text")
    raw_id_fields = ("office", "author")
