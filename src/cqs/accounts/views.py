from django.http import HttpResponse
from django.utils.translation import gettext as _


def lockout(request, credentials=None, *args, **kwargs):
    return HttpResponse(
        _("Tài khoản tạm thời bị khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau."), status=429
    )
