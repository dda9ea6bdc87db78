from rest_framework import serializers


class UnitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    identifier = serializers.CharField(
        allow_blank=True, help_text="Mã định danh điện tử (Quyết định 20/2020/QĐ-TTg)."
    )


class RoleGrantOutSerializer(serializers.Serializer):
    code = serializers.CharField(source="role.code")
    name = serializers.CharField(source="role.name")
    requires_2fa = serializers.BooleanField(source="role.requires_2fa")
    unit = UnitRefSerializer(help_text="Vai trò có hiệu lực trên đơn vị này và mọi đơn vị cấp dưới.")


class TwoFactorOutSerializer(serializers.Serializer):
    required = serializers.BooleanField(help_text="Vai trò bắt buộc xác thực hai yếu tố.")
    enabled = serializers.BooleanField(help_text="Đã đăng ký ứng dụng xác thực.")
    verified = serializers.BooleanField(help_text="Phiên làm việc này đã xác thực bằng mã TOTP.")


class ModuleOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    url = serializers.CharField(allow_null=True)


class CitizenOutSerializer(serializers.Serializer):
    cccd = serializers.CharField(help_text="Số căn cước, đã che một phần.")
    phone = serializers.CharField(allow_blank=True, help_text="Số điện thoại, đã che một phần.")


class MeSerializer(serializers.Serializer):
    """Who is signed in. Personal numbers are masked: the full values never leave the server here."""

    username = serializers.CharField()
    full_name = serializers.CharField(allow_blank=True)
    kind = serializers.ChoiceField(choices=["official", "citizen", "other"])
    unit = UnitRefSerializer(allow_null=True)
    position = serializers.CharField(allow_null=True)
    citizen = CitizenOutSerializer(allow_null=True)
    is_staff = serializers.BooleanField()
    is_superuser = serializers.BooleanField()
    roles = RoleGrantOutSerializer(many=True)
    two_factor = TwoFactorOutSerializer()
    modules = ModuleOutSerializer(many=True)
