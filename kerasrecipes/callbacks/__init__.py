"""Keras 3 callbacks that work in any `model.fit`: clipping, gradient monitoring, early stopping,
crash-safe weight saving and fit diagnosis. Each module holds one public class."""

from kerasrecipes.callbacks.early_stopping import EarlyStopping, StopReason
from kerasrecipes.callbacks.fit_diagnosis import (
    Diagnosis,
    FitDiagnosis,
    baseline_loss,
    diagnose,
    plot_learning_curves,
)
from kerasrecipes.callbacks.gradient_clipping import AutoClip, GradientClipping, apply_clipping
from kerasrecipes.callbacks.gradient_monitor import GradientMonitor
from kerasrecipes.callbacks.weight_saver import WeightSaver, weights_path

__all__ = [
    "AutoClip",
    "Diagnosis",
    "EarlyStopping",
    "FitDiagnosis",
    "GradientClipping",
    "GradientMonitor",
    "StopReason",
    "WeightSaver",
    "apply_clipping",
    "baseline_loss",
    "diagnose",
    "plot_learning_curves",
    "weights_path",
]
