from django.conf import settings


def platform(request):
    return {"CQS_PROVINCE_NAME": settings.CQS_PROVINCE_NAME}
