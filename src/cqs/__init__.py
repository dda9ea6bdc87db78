"""CQS (Chính quyền số): digital-government platform for a Vietnamese province."""
