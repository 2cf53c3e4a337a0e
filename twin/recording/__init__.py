"""twin.recording"""
