"""The gateway's own errors, typed as in X-Road (PR-REST §4.6), identical in both engines.

Every error the gateway itself produces answers ``application/json;charset=utf-8`` with the
``X-Road-Error`` header set to the type and the body
``{"type": <type>, "message": <Vietnamese message>, "detail": <the request's X-Road-Id>}``.
Errors of the provider's own service pass through untouched, without ``X-Road-Error``.
X-Road answers 500 for upstream failures; the LGSP answers 502 and 504 so that clients and load
balancers can tell an unreachable or slow provider from a gateway fault.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GatewayError:
    status: int
    type: str
    message: str


BAD_REQUEST = GatewayError(
    400,
    "Client.BadRequest",
    "Yêu cầu không đúng giao thức X-Road REST: /r1/{vùng}/{loại}/{thành viên}/{hệ thống}/{dịch vụ}/...",
)
UNAUTHORIZED = GatewayError(
    401,
    "Client.Unauthorized",
    "Thiếu hoặc sai thông tin xác thực (khóa API hoặc mã truy cập OAuth2), hoặc thông tin đã bị thu hồi.",
)
INVALID_CLIENT = GatewayError(
    403,
    "Client.InvalidClient",
    "Tiêu đề X-Road-Client không khớp với hệ thống của thông tin xác thực.",
)
UNKNOWN_SERVICE = GatewayError(
    404,
    "Server.ServerProxy.UnknownService",
    "Không có dịch vụ đang cung cấp với mã này.",
)
ACCESS_DENIED = GatewayError(
    403,
    "Server.ServerProxy.AccessDenied",
    "Hệ thống chưa được cấp quyền truy cập dịch vụ hoặc điểm cuối này.",
)
RATE_LIMITED = GatewayError(
    429,
    "Server.ServerProxy.RateLimitExceeded",
    "Vượt giới hạn số yêu cầu mỗi phút đã được cấp.",
)
QUOTA_EXCEEDED = GatewayError(
    429,
    "Server.ServerProxy.QuotaExceeded",
    "Vượt hạn mức số yêu cầu trong ngày đã được cấp.",
)
SERVICE_FAILED = GatewayError(
    502,
    "Server.ServerProxy.ServiceFailed",
    "Không kết nối được tới hệ thống cung cấp dịch vụ.",
)
SERVICE_TIMEOUT = GatewayError(
    504,
    "Server.ServerProxy.ServiceTimeout",
    "Hệ thống cung cấp dịch vụ không trả lời trong thời gian cho phép.",
)

ALL = (
    BAD_REQUEST,
    UNAUTHORIZED,
    INVALID_CLIENT,
    UNKNOWN_SERVICE,
    ACCESS_DENIED,
    RATE_LIMITED,
    QUOTA_EXCEEDED,
    SERVICE_FAILED,
    SERVICE_TIMEOUT,
)
# Retry-After of a rate-limit refusal: the counting window (accepted calls in any 60 s).
RATE_WINDOW_SECONDS = 60
# Days of the daily quota are local days (Asia/Ho_Chi_Minh has no daylight saving).
LOCAL_UTC_OFFSET_SECONDS = 7 * 3600
# Message bodies up to this size are hashed for evidence; larger ones are forwarded unhashed
# (no X-Road-Request-Hash; the log says hash_complete=false). HAProxy hashes only what fits in one
# buffer, and buffers over ~128 KiB no longer fit its per-thread cache: every call then maps and
# unmaps memory, which cost more than half of its throughput (256 KiB before; docs/lgsp.md).
HASH_BODY_LIMIT = 64 * 1024
# Header carrying the API key; OAuth2 tokens come as "Authorization: Bearer".
API_KEY_HEADER = "X-API-Key"
# Header by which the control plane knows a metaservice call comes from a gateway.
GATEWAY_TOKEN_HEADER = "X-CQS-Gateway-Token"  # noqa: S105 - a header name
