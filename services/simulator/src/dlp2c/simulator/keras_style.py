"""The Keras model of a graph, its Keras JSON, and its diagrams in the two looks Keras has had.

Keras 3 look: made by Keras itself (``keras.utils.model_to_dot``, HTML-table nodes). Keras 2 look
(``name: Class`` record nodes, optional input/output shape columns): Keras 2's ``plot_model`` needs a
Keras 2 model, and tf_keras builds one at ~25 ms a layer in graph mode (5x Keras 3), so the same
record labels are written here from the Keras 3 model, with its shapes.

Models are built under a ``StatelessScope`` that never initialises variables: an ImageNet input with a
wide Dense after a Flatten would otherwise allocate gigabytes just to be drawn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dlp2c.common.graph import Graph
from dlp2c.common.inference import topological_order

LOOKS = ("keras3", "keras2")


@dataclass(frozen=True)
class KerasLook:
    look: str = "keras3"  # keras3 | keras2
    show_shapes: bool = True
    rankdir: str = "TB"
    dpi: int = 96

    @property
    def name(self) -> str:
        return f"{self.look}-{'shapes' if self.show_shapes else 'names'}-{self.rankdir.lower()}"


def build_model(graph: Graph) -> Any:
    """The Keras 3 functional model of a graph of the grammar's layers; variables left uninitialised."""
    import keras
    from keras.src.backend.common import global_state

    tensors: dict[str, Any] = {}
    feeds = graph.inputs_of()
    with keras.StatelessScope(initialize_variables=False):
        for node_id in topological_order(graph):
            node = graph.node(node_id)
            params = dict(node.params)
            if node.op == "Input":
                tensors[node_id] = keras.Input(shape=tuple(params["shape"]), dtype=params.get("dtype", "float32"),
                                               name=node.name)
                continue
            layer = getattr(keras.layers, node.op)(name=node.name, **params)
            inputs = [tensors[src] for src in feeds[node_id]]
            tensors[node_id] = layer(inputs if node.spec.max_inputs != 1 else inputs[0])
        inputs = [tensors[n.id] for n in graph.nodes if n.op == "Input"]
        outputs = [tensors[n.id] for n in graph.outputs()]
        model = keras.Model(inputs[0] if len(inputs) == 1 else inputs,
                            outputs[0] if len(outputs) == 1 else outputs, name=_model_name(graph.name))
    global_state.set_global_attribute("uninitialized_variables", [])  # nothing will ever initialise them
    return model


def _model_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name) or "model"


def keras_json(model: Any) -> str:
    return model.to_json()  # unindented, as Keras writes it; indenting costs 2.5x


def _stable_ids(text: str, names: dict[str, str] | None = None) -> tuple[str, dict[str, str]]:
    """Keras names DOT nodes by Python object ids; renumber them so a seed gives the same bytes.
    Returns the text and, for each new node name, ``names[old name]`` (the layer's name) when given."""
    ids: dict[str, str] = {}

    def rename(match: re.Match[str]) -> str:
        return ids.setdefault(match.group(0), f"n{len(ids)}")

    text = re.sub(r"(?m)(?:^|(?<=-> ))\d{12,}(?= )", rename, text)
    return text, {new: (names or {}).get(old, old) for old, new in ids.items()}


def _shape_text(shape: Any) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _io_text(tensors: Any) -> str:
    if isinstance(tensors, list | tuple) and len(tensors) != 1:
        return "[" + ", ".join(_shape_text(t.shape) for t in tensors) + "]"
    tensor = tensors[0] if isinstance(tensors, list | tuple) else tensors
    return _shape_text(tensor.shape)


def _record_escape(text: str) -> str:
    return re.sub(r'([{}|<>"\\])', r"\\\1", text)


def keras2_dot(model: Any, show_shapes: bool, rankdir: str, dpi: int) -> str:
    """Keras 2's ``plot_model`` look: record nodes ``name: Class``, shapes as input/output columns."""
    lines = ["digraph G {", f"rankdir={rankdir};", "concentrate=true;", f"dpi={dpi};", "node [shape=record];"]
    index = {id(layer): f"n{i}" for i, layer in enumerate(model.layers)}
    for layer in model.layers:
        label = _record_escape(f"{layer.name}: {type(layer).__name__}")
        if show_shapes:
            is_input = type(layer).__name__ == "InputLayer"
            inputs = "[" + _io_text(layer.output) + "]" if is_input else _io_text(layer.input)
            outputs = "[" + _io_text(layer.output) + "]" if is_input else _io_text(layer.output)
            label += f"|{{input:|output:}}|{{{{{_record_escape(inputs)}}}|{{{_record_escape(outputs)}}}}}"
        lines.append(f'{index[id(layer)]} [label="{label}"];')
    for layer in model.layers:
        for node in layer._inbound_nodes:
            for parent in node.parent_nodes:
                lines.append(f"{index[id(parent.operation)]} -> {index[id(layer)]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def keras_dot(model: Any, look: KerasLook) -> str:
    """The DOT text of one look; Keras 3's comes from Keras itself."""
    return keras_dot_and_layers(model, look)[0]


def keras_dot_and_layers(model: Any, look: KerasLook) -> tuple[str, dict[str, str]]:
    """The DOT text of one look and, for each DOT node, the name of the layer it draws."""
    if look.look == "keras2":
        return (keras2_dot(model, look.show_shapes, look.rankdir, look.dpi),
                {f"n{i}": layer.name for i, layer in enumerate(model.layers)})
    import keras

    dot = keras.utils.model_to_dot(model, show_shapes=look.show_shapes, rankdir=look.rankdir, dpi=look.dpi)
    return _stable_ids(dot.to_string(), {str(id(layer)): layer.name for layer in model.layers})
