"""Facility data: layout schema, load/save, catalog, topology graph, edits and checks (no Qt, no VTK)."""
