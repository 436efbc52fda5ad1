"""The network: one small convolutional trunk and two heads.

Why two heads on one trunk rather than two models: the paper found a cascade (design or not, then the
style of designs) better than one six-way classifier, because "not a design" is a far broader class
than any style. Two heads keep that cascade's decision (the style head is trained on designs only and
read only when the design head says yes) while the figure goes through the trunk once, so the service
runs one forward pass per batch and ships one small file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
from dlp2c.classifier.data import SIZE, STYLES
from keras import layers

WIDTHS = (24, 32, 64, 96, 128)
EMBEDDING = "embedding"


def build(seed: int = 0, name: str = "figure_classifier", with_embedding: bool = False) -> keras.Model:
    """The untrained network: uint8 RGB squares in, P(design) and P(style) out (and the embedding, for a
    member of an :func:`ensemble`)."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((SIZE, SIZE, 3), name="figure")
    x = layers.Rescaling(1 / 127.5, offset=-1.0)(inputs)
    # training-time jitter of position and scale; these layers pass images through unchanged at inference
    x = layers.RandomTranslation(0.04, 0.04, fill_mode="constant", fill_value=1.0, seed=seed)(x)
    x = layers.RandomZoom((-0.1, 0.1), fill_mode="constant", fill_value=1.0, seed=seed + 1)(x)
    # a strided stem, then depthwise-separable blocks: about 20 M multiply-adds per figure, so that
    # training fits in minutes on two cores and inference in milliseconds
    x = layers.Conv2D(WIDTHS[0], 3, strides=2, padding="same", use_bias=False, name="stem")(x)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ReLU()(x)
    for k, width in enumerate(WIDTHS[1:]):
        for part in ("a", "b") if k else ("a",):
            x = layers.SeparableConv2D(width, 3, padding="same", use_bias=False, name=f"conv{k}{part}")(x)
            x = layers.BatchNormalization(name=f"bn{k}{part}")(x)
            x = layers.ReLU()(x)
        x = layers.MaxPooling2D(2)(x)
    # global average and max: "how much of this texture" and "is there one of these anywhere"
    pooled = layers.Concatenate()([layers.GlobalAveragePooling2D()(x), layers.GlobalMaxPooling2D()(x)])
    pooled = layers.Dropout(0.3, seed=seed)(pooled)
    embedding = layers.Dense(128, activation="relu", name=EMBEDDING)(pooled)
    design = layers.Dense(1, activation="sigmoid", name="design")(embedding)
    style = layers.Dense(len(STYLES), activation="softmax", name="style")(embedding)
    outputs = {"design": design, "style": style} | ({"embedding": embedding} if with_embedding else {})
    return keras.Model(inputs, outputs, name=name)


def ensemble(members: Sequence[keras.Model]) -> keras.Model:
    """Networks trained alike from different seeds, as one model: each figure goes through every member
    and their probabilities are averaged; the embedding is the members' embeddings side by side.

    Why: trained only on simulated figures, one network's answers on real figures swing from one
    training seed to the next (bench/REPORT.md) far more than its simulated accuracy does; the mean of
    a few members swings less."""
    if len(members) == 1:
        return members[0]
    inputs = keras.Input((SIZE, SIZE, 3), name="figure")
    designs, styles, embeddings = [], [], []
    for k, member in enumerate(members):
        net = build(k, name=f"member{k}", with_embedding=True)
        net.set_weights(member.get_weights())
        out = net(inputs)
        designs.append(out["design"])
        styles.append(out["style"])
        embeddings.append(out["embedding"])
    return keras.Model(inputs, {"design": layers.Average(name="design")(designs),
                                "style": layers.Average(name="style")(styles),
                                EMBEDDING: layers.Concatenate(name=EMBEDDING)(embeddings)},
                       name="figure_classifier")


def embedder(model: keras.Model) -> keras.Model:
    """The trunk up to the 128-value embedding: the features the baselines are trained on."""
    return keras.Model(model.inputs, model.get_layer(EMBEDDING).output)
