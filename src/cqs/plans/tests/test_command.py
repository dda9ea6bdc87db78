import pytest
from django.core.management import CommandError, call_command


def test_a_missing_seed_file_is_reported(tmp_path):
    out = tmp_path / "plan.json"
    with pytest.raises(CommandError, match="Không tìm thấy tệp văn bản gốc"):
        call_command("plans_extract", str(tmp_path / "khong-co.txt"), str(out))
    assert not out.exists()


def test_a_text_that_is_not_the_plan_is_refused_and_nothing_is_written(tmp_path):
    seed = tmp_path / "seed.txt"
    seed.write_text("Kế hoạch khác\n\nPhần I\n\nKhông có nội dung.\n", encoding="utf-8")
    out = tmp_path / "plan.json"
    with pytest.raises(CommandError, match="Không trích xuất được kế hoạch"):
        call_command("plans_extract", str(seed), str(out))
    assert not out.exists()
