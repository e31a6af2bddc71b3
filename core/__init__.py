"""The ground layer: what every app stands on (base model, audit, roles, helpers)."""
