"""twin.render"""
