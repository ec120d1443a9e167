"""Predictive lead scoring without Django: CSV reading and type inference
(`tabular`; free text as the words it mentions: `text`), the leakage guard
(`leakage`), candidate pipelines, selection, calibration and reasons
(`pipeline`), the baselines the model must beat (`baselines`) and the
measures and chart (`metrics`)."""
