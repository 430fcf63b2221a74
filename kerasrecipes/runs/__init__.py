"""Training runs: one `train`, one `reproduce`, and what they stand on.

`train` turns a recipe and data into a trained model and a run directory; `cross_validate` trains it once per
fold and scores the folds; `lr_find` suggests its
learning rate from a range test; `reproduce` checks a run
directory against its manifest; `load_run` opens one for prediction on new raw rows; `export`
writes its end-to-end model for serving. Beneath them: the fast road (`engine`), distributed training
(`distribute`), crash-safe checkpoints (`checkpoints`), run directories and manifests (`rundir`) and
W&B tracking (`tracking`). Importing this package does not import TensorFlow.
"""

from kerasrecipes.runs._cross_validate import CrossValidation, cross_validate
from kerasrecipes.runs._export import export
from kerasrecipes.runs._lr_find import lr_find
from kerasrecipes.runs._lr_range import LRFindResult
from kerasrecipes.runs._predict import Run, load_run
from kerasrecipes.runs._reproduce import Reproduction, reproduce
from kerasrecipes.runs._train import RunResult, train

__all__ = [
    "CrossValidation",
    "LRFindResult",
    "Reproduction",
    "Run",
    "RunResult",
    "cross_validate",
    "export",
    "load_run",
    "lr_find",
    "reproduce",
    "train",
]
