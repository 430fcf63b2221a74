"""Model builders (dense, conv, recurrent), building blocks and the NumPy reference.

Submodules are imported on demand so that `import kerasrecipes.models` stays cheap:
`from kerasrecipes.models import dense, conv, recurrent, layers, losses, regularizers, activations,
optimizers, reference`.
"""
