"""Predictive lead scoring without Django: CSV reading and type inference
(`tabular`), candidate pipelines, selection, calibration and reasons
(`pipeline`), the baselines the model must beat (`baselines`) and the
measures and chart (`metrics`)."""
