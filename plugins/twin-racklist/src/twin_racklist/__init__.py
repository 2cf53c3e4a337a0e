"""Twin importer plugin: rack lists (CSV, XLSX) into layouts."""
