"""Ground truth for figure extraction: the paper's grammar, random valid models, drawn in every style."""
