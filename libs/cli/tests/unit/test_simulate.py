"""`dlp2c simulate`: writes a dataset and its card, resumes, and turns bad options into clear errors."""

import json
from pathlib import Path

from click.testing import CliRunner
from dlp2c.cli.main import cli


def test_simulate_writes_models_and_a_card_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    args = ["simulate", "-n", "3", "--depth", "5:6", "--seed", "3", "--styles", "keras,neurons", "-j", "1",
            "-o", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    card = json.loads((out / "card.json").read_text())
    assert card["models"] == 3 and card["per_style"] == {"keras": 3, "neurons": 3}
    assert set(card["per_depth"]) == {"5", "6"}
    assert "3 made, 0 already there" in result.output
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0 and "0 made, 3 already there" in again.output


def test_bad_options_are_named(tmp_path: Path) -> None:
    for args, message in ((["--depth", "40:5"], "MIN <= MAX"), (["--depth", "x"], "is not DEPTH or MIN:MAX"),
                          (["--styles", "keras,sketch"], "unknown style sketch")):
        result = CliRunner().invoke(cli, ["simulate", "-n", "1", "-o", str(tmp_path / "x"), *args])
        assert result.exit_code == 2 and message in result.output, result.output
