"""Tasks, their frame instances, pools and jobs: tables, state machine and domain operations."""
