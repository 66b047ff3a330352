"""evalscope arena: pairwise battles and ratings (arrives in a later issue; the judge is a model behind core's model port)."""
