"""Twin exporter plugin: facilities and telemetry as OpenUSD stages."""
