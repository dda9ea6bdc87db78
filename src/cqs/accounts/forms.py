from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class BootstrapErrorsMixin:
    """Marks a field that has an error as Bootstrap ``is-invalid``, also for errors a view adds
    from a service (``form.add_error``)."""

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in [field] if field else []:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = (widget.attrs.get("class", "") + " is-invalid").strip()
                widget.attrs["aria-invalid"] = "true"
                widget.attrs["aria-describedby"] = f"{name}-errors"


class LoginForm(BootstrapErrorsMixin, AuthenticationForm):
    """Username and password; django-axes counts the failures through ``authenticate``."""

    error_messages = {
        "invalid_login": _("Tên đăng nhập hoặc mật khẩu không đúng. Lưu ý phân biệt chữ hoa, chữ thường."),
        "inactive": _("Tài khoản này đã bị khóa. Vui lòng liên hệ quản trị viên."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Tên đăng nhập")
        self.fields["username"].error_messages["required"] = _("Vui lòng nhập tên đăng nhập.")
        self.fields["username"].widget.attrs.update({"class": "form-control", "autocomplete": "username"})
        self.fields["password"].label = _("Mật khẩu")
        self.fields["password"].error_messages["required"] = _("Vui lòng nhập mật khẩu.")
        self.fields["password"].widget.attrs.update({"class": "form-control"})


class OTPTokenForm(BootstrapErrorsMixin, forms.Form):
    otp_token = forms.CharField(
        label=_("Mã xác thực"),
        max_length=12,
        error_messages={"required": _("Vui lòng nhập mã xác thực gồm 6 chữ số.")},
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-lg text-center cqs-otp-input",
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "autofocus": True,
            }
        ),
        help_text=_(
            "Mở ứng dụng xác thực (Google Authenticator, Microsoft Authenticator…) và nhập mã 6 chữ số."
        ),
    )
