"""Hearth backend: the bundled farm server (REST API, S3 storage, scheduler) and the heater-node agent."""
