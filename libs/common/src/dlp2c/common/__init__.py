"""DLPaper2Code shared library: the graph IR, the layer catalog, shape inference and importers."""
