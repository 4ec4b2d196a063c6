"""Decision tools over the ledger and the engine: plan, alerts, diff and forecast."""
