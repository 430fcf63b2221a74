"""Names vulture reports as unused that are used, by whom (read by tests/test_dead_code.py).

Each line is a use vulture cannot see: Python, Keras, scikit-learn or W&B call or read it.
"""

from vulture.whitelist_utils import Whitelist

_ = Whitelist()

_.__getattr__  # kerasrecipes/__init__.py: PEP 562 lazy exports, called by Python on `kr.train`
_.__dir__  # kerasrecipes/__init__.py: PEP 562, what dir(kerasrecipes) and tab completion list
_.get_monitor_value  # EarlyStopping: Keras' EarlyStopping.on_epoch_end calls this hook
_.showwarning  # cli.py: the warnings module calls warnings.showwarning for every warning
_.input_spec  # models/layers.py: Keras checks a layer's inputs against it
_.supports_masking  # models/layers.py: Keras reads it to pass masks through
_.__signature__  # Recipe.__init__, RecipeClassifier/RecipeRegressor.__init__: inspect and scikit-learn read it
_.allow_nan  # sklearn_api.py: scikit-learn's estimator tags
_.scenario_  # sklearn_api.py: a fitted attribute for users (the scenario row the estimator chose)
_.summary_metrics  # tuning/runner.py: W&B's sweeps engine reads SweepRun.summary_metrics
_.VERDICTS  # callbacks/fit_diagnosis.py: the closed set of verdicts, documented and doctested
_.REGIMES  # recipes/_table.py: the closed set of data regimes, named in docstrings
_.final_loss  # fit_diagnosis.Diagnosis field, in the manifest and the diagnosis for users
_._close_spare  # runs/tracking.py: registered with @atexit.register, Python calls it at exit
_.disable_meta_optimizer  # runs/fast_road/_traces.py: a field of TensorFlow's RewriterConfig proto, which TensorFlow reads
