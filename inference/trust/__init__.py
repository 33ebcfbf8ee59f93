"""Trust gates: model-agnostic checks run after every synthesis, each a named finding with its
value and threshold, and one verdict from them (consistent / review with care / real contrast
recommended) that goes wherever the synthetic goes, except into a blinded reader-study arm."""
