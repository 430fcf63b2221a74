"""Training runs: one `train`, one `reproduce`, and what they stand on.

`train` turns a recipe and data into a trained model and a run directory; `reproduce` checks a run
directory against its manifest. Beneath them: the fast road (`engine`), distributed training
(`distribute`), crash-safe checkpoints (`checkpoints`), run directories and manifests (`rundir`) and
W&B tracking (`tracking`). Importing this package does not import TensorFlow.
"""

from kerasrecipes.runs._reproduce import Reproduction, reproduce
from kerasrecipes.runs._train import RunResult, train

__all__ = ["Reproduction", "RunResult", "reproduce", "train"]
