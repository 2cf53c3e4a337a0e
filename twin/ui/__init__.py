"""twin.ui: the Qt user interface (the only package that imports Qt)."""
