"""The one case pipeline: load -> domain check -> synthesise -> write -> report -> evaluate.

`dcreview synthesize`, a batch's workers, a reader study's preparation and the viewer all call
these functions, so one set of rules decides how inputs are opened (pacs:// included), which
outputs are written and how they are labelled, what the run report says, and how a real
contrast scan is put on the non-contrast grid before anything is compared.
"""
