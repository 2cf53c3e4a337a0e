"""NVML telemetry source plugin for Twin."""
