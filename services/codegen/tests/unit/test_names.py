import ast

import pytest
from dlp2c.codegen.names import Namer, comment, identifier

HOSTILE = "x'); import os; os.system('touch /tmp/pwned') #\n__import__('os')"


@pytest.mark.parametrize(("text", "expected"), [
    ("conv1", "conv1"),
    ("conv 1/3x3", "conv_1_3x3"),
    ("3x3 conv", "layer_3x3_conv"),
    ("class", "class_"),
    ("forward", "forward_"),
    ("", "layer"),
    ("ünïcode-näme", "n_code_n_me"),
])
def test_identifier_is_a_safe_python_name(text: str, expected: str) -> None:
    assert identifier(text) == expected


def test_hostile_name_becomes_an_inert_identifier() -> None:
    name = identifier(HOSTILE)
    assert name.isidentifier()
    tree = ast.parse(f"{name} = 1")
    assert isinstance(tree.body[0], ast.Assign) and len(tree.body) == 1


def test_comment_is_one_line_of_printable_ascii() -> None:
    text = comment(HOSTILE + "\r\u2028more\x00")
    assert "\n" not in text and "\r" not in text
    assert all(" " <= ch <= "~" for ch in text)
    assert ast.parse(f"# {text}\nx = 1").body[0].targets[0].id == "x"


def test_namer_makes_names_unique() -> None:
    namer = Namer()
    assert [namer("conv"), namer("conv"), namer("conv!")] == ["conv", "conv_2", "conv_3"]
