"""The turn engine: compiled scenarios, the Mesa model, the adjudicator and run results."""
