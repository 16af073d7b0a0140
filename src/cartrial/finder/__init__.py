"""The trial finder: every CAR-cell trial in autoimmune disease from a dated registry snapshot,
places and distances, similar trials and plain-language summaries. No web code."""
