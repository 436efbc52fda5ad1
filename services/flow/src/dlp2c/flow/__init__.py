"""Flow detection: from a network figure's pixels to its nodes, edges and their direction."""
