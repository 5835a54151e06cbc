class ReadOnlyAdminMixin:
    """For records written only by services (sessions, registrations, history): the admin shows them and
    offers service-backed actions, but never adds, edits or deletes rows itself."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
