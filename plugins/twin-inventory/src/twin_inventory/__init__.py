"""Twin command plugin: `twin inventory`, what a layout holds per row, hall or type."""
