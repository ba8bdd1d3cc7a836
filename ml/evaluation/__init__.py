"""Scoring a model folder: metrics (scikit-learn), operating points, calibration and plots."""
