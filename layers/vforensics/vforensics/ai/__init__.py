"""AI-generated image detection: format normalisation and the trained detector."""
