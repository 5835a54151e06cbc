from django.contrib.auth.backends import ModelBackend

from accounts.identifiers import InvalidIdentifier, parse_identifier
from accounts.models import User


class PhoneOrEmailBackend(ModelBackend):
    """Sign in with a phone number (any common spelling: 0912…, +84912…), an e-mail, or a staff username."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = None
        try:
            ident = parse_identifier(username)
            lookup = {"phone": ident.value} if ident.channel == "phone" else {"email": ident.value}
            user = User.objects.filter(**lookup).first()
        except InvalidIdentifier:
            pass
        if user is None:
            user = User.objects.filter(username=username.strip()).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
