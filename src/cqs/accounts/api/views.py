from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from cqs.accounts.api.serializers import MeSerializer
from cqs.accounts.masking import mask_cccd, mask_phone
from cqs.accounts.selectors import user_has_totp, user_is_otp_verified, user_profile_get
from cqs.core.modules import modules_for


def _profile(user, name):
    try:
        return getattr(user, name)
    except ObjectDoesNotExist:
        return None


def _unit(unit):
    return {"id": unit.pk, "name": unit.name, "identifier": unit.identifier} if unit else None


class MeView(APIView):
    """The signed-in account: profile, roles with their unit scope, second factor, modules."""

    @extend_schema(
        operation_id="v1_me_retrieve",
        summary="Tài khoản đang đăng nhập",
        description=(
            "Tên, loại tài khoản (cán bộ/công dân), đơn vị và chức vụ, các vai trò kèm đơn vị áp dụng, "
            "trạng thái xác thực hai yếu tố và các phân hệ được dùng. Số căn cước và số điện thoại "
            "chỉ trả về dạng đã che."
        ),
        responses=MeSerializer,
        tags=["accounts"],
    )
    def get(self, request):
        user = user_profile_get(user=request.user)
        official = _profile(user, "official_profile")
        citizen = _profile(user, "citizen_profile")
        grants = list(user.grants.all())
        kind = "official" if official else "citizen" if citizen else "other"
        data = {
            "username": user.get_username(),
            "full_name": user.full_name,
            "kind": kind,
            "unit": _unit(official.unit) if official else None,
            "position": official.position if official else None,
            "citizen": {"cccd": mask_cccd(citizen.cccd), "phone": mask_phone(citizen.phone)}
            if citizen
            else None,
            "is_staff": user.is_staff,
            "is_superuser": user.is_superuser,
            "roles": [{"role": grant.role, "unit": _unit(grant.unit)} for grant in grants],
            "two_factor": {
                "required": user.is_superuser or any(grant.role.requires_2fa for grant in grants),
                "enabled": user_has_totp(user),
                "verified": user_is_otp_verified(request.user),
            },
            "modules": [
                {"code": module.code, "name": str(module.name), "url": module.url}
                for module in modules_for(user, grants=grants)
            ],
        }
        return Response(MeSerializer(data).data)
