"""twin.physics"""
