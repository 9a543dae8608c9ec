"""`invcodec bench` and `invcodec train`: bad arguments are one line, never a traceback."""

import pytest
from click.testing import CliRunner

from invcodec_cli.main import main


@pytest.mark.parametrize("name", ["lossless", "rd", "lossy-tuning", "cli-roundtrip", "thread-scaling", "adaptation"])
def test_a_missing_benchmark_folder_is_one_line(name: str, tmp_path) -> None:
    r = CliRunner().invoke(main, ["bench", name, str(tmp_path / "nowhere")])
    assert r.exit_code == 1 and r.stderr.strip() == f"invcodec: error: {tmp_path / 'nowhere'}: no such file"


@pytest.mark.torch
@pytest.mark.parametrize("args, message", [
    (["--steps", "-5"], "--steps must be at least 1, not -5"),
    (["--lr", "nan"], "--lr must be a positive number, not nan"),
    (["--config", "{bad"], "--config: Expecting property name"),
    (["--config", "[1]"], "--config: the model config is not a JSON object"),
    (["--config", '{"levels": 0}'], "--config: model config field 'levels' is 0, outside 1..8"),
])
def test_train_refuses_nonsense_before_it_starts(args, message, tmp_path, capsys) -> None:
    from invcodec.training.train import parse_args

    (tmp_path / "data").mkdir()
    with pytest.raises(SystemExit) as e:
        parse_args(["--data", str(tmp_path / "data"), "--out", str(tmp_path / "run"), *args])
    assert e.value.code == 2 and message in capsys.readouterr().err and not (tmp_path / "run").exists()


@pytest.mark.torch
def test_train_refuses_a_missing_data_folder_and_an_out_that_is_a_file(tmp_path, capsys) -> None:
    from invcodec.training.train import parse_args

    (tmp_path / "file").write_text("x")
    for args, message in ((["--data", str(tmp_path / "none"), "--out", str(tmp_path / "run")], "not a folder"),
                          (["--data", str(tmp_path), "--out", str(tmp_path / "file")], "a file, not a run folder")):
        with pytest.raises(SystemExit):
            parse_args(args)
        assert message in capsys.readouterr().err


@pytest.mark.torch
def test_train_on_a_folder_without_images_is_one_line(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    r = CliRunner().invoke(main, ["train", "--data", str(tmp_path / "empty"), "--out", str(tmp_path / "run"), "--steps", "1"])
    assert r.exit_code == 1 and r.stderr.strip().startswith("invcodec: error: no usable images in")
