"""Live events: a persisted, resumable log that the SSE endpoint streams to each account."""
