"""twin.ui"""
