"""STEP (ISO 10303-21) adapter: the Part 21 reader and its mapping to the ontology."""
