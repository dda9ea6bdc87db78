class SecondFactorMiddleware:
    """Filled in by the accounts work: officials whose roles require 2FA must verify TOTP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
