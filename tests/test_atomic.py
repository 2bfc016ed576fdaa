import os

import pytest

from policy_nlp.atomic import atomic_write, replacing


def test_atomic_write_creates_folders_and_replaces_the_file(tmp_path):
    out = tmp_path / "a" / "b" / "r.json"
    atomic_write(out, "一")
    atomic_write(out, "二")
    assert out.read_text(encoding="utf-8") == "二"
    assert sorted(p.name for p in out.parent.iterdir()) == ["r.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    out = tmp_path / "r.json"
    out.write_text("old", encoding="utf-8")
    with pytest.raises(OSError):
        with replacing(out) as tmp:
            tmp.write_text("half", encoding="utf-8")
            raise OSError(28, "No space left on device")
    assert out.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_the_file_is_never_seen_half_written(tmp_path):
    out = tmp_path / "r.json"
    out.write_text("old", encoding="utf-8")
    with replacing(out) as tmp:
        tmp.write_text("new", encoding="utf-8")
        assert out.read_text(encoding="utf-8") == "old"  # until the block completes
        assert tmp.parent == out.parent and tmp.name.startswith(".")
    assert out.read_text(encoding="utf-8") == "new"


def test_a_folder_is_replaced_whole(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "stale").write_text("x", encoding="utf-8")
    with replacing(target, directory=True) as tmp:
        (tmp / "weights").write_text("w", encoding="utf-8")
    assert [p.name for p in target.iterdir()] == ["weights"]
    assert os.stat(target).st_mode & 0o777 == 0o755
    with pytest.raises(RuntimeError):
        with replacing(target, directory=True) as tmp:
            (tmp / "half").write_text("h", encoding="utf-8")
            raise RuntimeError("interrupted")
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
    assert [p.name for p in target.iterdir()] == ["weights"]


def test_every_writer_of_the_package_goes_through_the_one_helper():
    """No module but `policy_nlp.atomic` replaces files itself (training's swap of a whole pipeline folder,
    which exchanges two folders where the system can, is the one exception)."""
    from pathlib import Path

    import policy_nlp

    root = Path(policy_nlp.__file__).parent
    users = sorted(str(p.relative_to(root)) for p in root.rglob("*.py") if "os.replace(" in p.read_text(encoding="utf-8"))
    assert users == ["atomic.py", "learn/training.py"]
