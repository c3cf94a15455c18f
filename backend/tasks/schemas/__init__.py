"""Wire schemas of the Qarnot-compatible API: create, update and public models per resource."""
