"""Twin colour-mode plugin: each GPU's thermal margin to its slowdown temperature."""
