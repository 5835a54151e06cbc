from rest_framework import serializers

from accounts.models import IdDocumentType, RoleAssignment, User


class SignupSerializer(serializers.Serializer):
    identifier = serializers.CharField(max_length=254, help_text="Số điện thoại di động hoặc thư điện tử")
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    full_name = serializers.CharField(max_length=255)


class SignupStartedSerializer(serializers.Serializer):
    signup_token = serializers.CharField()
    channel = serializers.ChoiceField(choices=["phone", "email"])
    destination = serializers.CharField(help_text="Masked phone or e-mail the code was sent to")
    expires_at = serializers.DateTimeField()


class VerifySerializer(serializers.Serializer):
    signup_token = serializers.CharField(max_length=64)
    code = serializers.CharField(max_length=12)


class LoginSerializer(serializers.Serializer):
    identifier = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)


class RoleSerializer(serializers.ModelSerializer):
    office_code = serializers.CharField(source="office.code")
    office_name = serializers.CharField(source="office.name")

    class Meta:
        model = RoleAssignment
        fields = ["role", "office", "office_code", "office_name"]


class UserSerializer(serializers.ModelSerializer):
    roles = RoleSerializer(source="role_assignments", many=True, read_only=True)
    has_id_document = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "email", "phone", "roles", "has_id_document"]

    def get_has_id_document(self, user) -> bool:
        profile = getattr(user, "citizen_profile", None)
        return bool(profile and profile.id_document_index)


class IdentityDocumentSerializer(serializers.Serializer):
    id_document_type = serializers.ChoiceField(choices=IdDocumentType.choices)
    id_document_number = serializers.CharField(max_length=32, write_only=True)
    address = serializers.CharField(max_length=500, required=False, allow_blank=True)
