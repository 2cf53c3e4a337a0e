"""twin.telemetry"""
