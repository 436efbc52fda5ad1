"""PDF splitting: a paper in, its figures (cropped, with captions) and tables (with cells) out."""
