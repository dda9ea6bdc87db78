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


class RegisterForm(BootstrapErrorsMixin, forms.Form):
    """A citizen's self-registration. Only presence and the repeated password are checked here;
    every rule on the values (CCCD, phone, username, password strength) is the service's."""

    full_name = forms.CharField(
        label=_("Họ và tên"),
        max_length=200,
        error_messages={"required": _("Vui lòng nhập họ và tên.")},
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "name"}),
    )
    cccd = forms.CharField(
        label=_("Số căn cước (CCCD)"),
        max_length=20,
        error_messages={"required": _("Vui lòng nhập số căn cước.")},
        help_text=_("12 chữ số, in trên thẻ căn cước hoặc căn cước công dân."),
        widget=forms.TextInput(
            attrs={"class": "form-control", "inputmode": "numeric", "autocomplete": "off"}
        ),
    )
    phone = forms.CharField(
        label=_("Số điện thoại"),
        max_length=20,
        error_messages={"required": _("Vui lòng nhập số điện thoại.")},
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "tel", "autocomplete": "tel"}),
    )
    email = forms.CharField(
        label=_("Thư điện tử (không bắt buộc)"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"class": "form-control", "autocomplete": "email"}),
    )
    username = forms.CharField(
        label=_("Tên đăng nhập"),
        max_length=150,
        error_messages={"required": _("Vui lòng nhập tên đăng nhập.")},
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Mật khẩu"),
        strip=False,
        error_messages={"required": _("Vui lòng nhập mật khẩu.")},
        help_text=_("Ít nhất 10 ký tự, không quá giống tên đăng nhập, không chỉ gồm chữ số."),
        widget=forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "new-password"}),
    )
    password_confirm = forms.CharField(
        label=_("Nhập lại mật khẩu"),
        strip=False,
        error_messages={"required": _("Vui lòng nhập lại mật khẩu.")},
        widget=forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        password, again = cleaned.get("password"), cleaned.get("password_confirm")
        if password and again and password != again:
            self.add_error("password_confirm", _("Hai mật khẩu không giống nhau."))
        return cleaned
