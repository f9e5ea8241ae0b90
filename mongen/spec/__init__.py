"""Loading and validating specs into the typed model."""
