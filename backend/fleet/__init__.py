"""The fleet: heater nodes known to the server, their credentials and latest telemetry."""
