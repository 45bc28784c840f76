"""Generated answers: the model backends, the prompt, and verification against the passages."""
