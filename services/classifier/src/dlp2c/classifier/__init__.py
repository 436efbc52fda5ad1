"""Figure classification, the paper's step (ii) for figures: is a figure a network design, and in which
of its five styles is it drawn."""
