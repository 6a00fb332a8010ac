"""Applications built from the platform's own parts."""
