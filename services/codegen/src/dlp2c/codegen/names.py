"""Turning untrusted text (OCR, PDF text, user input) into names and comments that cannot run.

Every name in generated code (Python variables, Keras layer names, PyTorch attributes, Caffe
blobs, ONNX tensors) is an identifier made of ASCII letters, digits and underscores; every
comment is one line of printable ASCII. Nothing from the source text ever reaches a string
literal or a file path unescaped.
"""

from __future__ import annotations

import keyword
import re

MAX_IDENTIFIER = 48
MAX_COMMENT = 120

# Names the generated files use themselves, and attributes torch.nn.Module and caffe.NetSpec own.
RESERVED = frozenset({
    "keras", "layers", "ops", "np", "numpy", "torch", "nn", "F", "caffe", "L", "P", "onnx", "helper",
    "x", "self", "model", "net", "n", "inputs", "outputs", "main", "build_model", "Model", "Net",
    "forward", "training", "state_dict", "load_state_dict", "parameters", "named_parameters", "buffers",
    "modules", "children", "train", "eval", "to", "cuda", "cpu", "type", "float", "double", "half",
    "apply", "register_buffer", "register_parameter", "add_module", "zero_grad", "requires_grad_",
    "extra_repr", "tops", "to_proto", "print", "input", "len", "range", "super", "object",
})


def identifier(text: str | None, fallback: str = "layer") -> str:
    """A safe Python identifier close to ``text``: runs of other characters become one '_'."""
    cleaned = re.sub(r"[^A-Za-z0-9_]+", "_", text or "").strip("_")
    cleaned = re.sub(r"_+", "_", cleaned)[:MAX_IDENTIFIER].rstrip("_")
    if not cleaned:
        cleaned = fallback
    if cleaned[0].isdigit():
        cleaned = f"{fallback}_{cleaned}"[:MAX_IDENTIFIER]
    if keyword.iskeyword(cleaned) or keyword.issoftkeyword(cleaned) or cleaned in RESERVED:
        cleaned = f"{cleaned}_"
    return cleaned


def comment(text: str | None) -> str:
    """One line of printable ASCII, safe after '#' in Python and in prototxt."""
    flat = "".join(ch if " " <= ch <= "~" else " " for ch in (text or ""))
    flat = re.sub(r"\s+", " ", flat).strip()
    return flat if len(flat) <= MAX_COMMENT else flat[: MAX_COMMENT - 3] + "..."


class Namer:
    """Hands out unique identifiers: the second 'conv' becomes 'conv_2'."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self.taken: set[str] = set(taken or ())

    def __call__(self, text: str | None, fallback: str = "layer") -> str:
        base = identifier(text, fallback)
        name, k = base, 1
        while name in self.taken:
            k += 1
            name = f"{base[: MAX_IDENTIFIER - len(str(k)) - 1]}_{k}"
        self.taken.add(name)
        return name
