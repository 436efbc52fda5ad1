"""The text inside a figure's nodes, and what it says (issue 5)."""
