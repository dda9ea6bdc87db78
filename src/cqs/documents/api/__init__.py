"""The documents REST API (văn bản đi, văn bản đến, sổ đăng ký), under /api/v1/."""
