"""Scheduling frames onto heater nodes: placement policies, claims, timeouts and retries."""
