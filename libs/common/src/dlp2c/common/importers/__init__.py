"""Existing model definitions in: Keras JSON / .keras, Caffe prototxt, ONNX."""
