"""Model builders (dense, conv, recurrent), building blocks, the end-to-end model a run saves, and the NumPy reference.

Submodules are imported on demand so that `import kerasrecipes.models` stays cheap:
`from kerasrecipes.models import dense, conv, recurrent, layers, losses, metrics, regularizers, activations,
optimizers, reference, end_to_end`.
"""
