"""The tooling: the ``legcheck`` CLI, the simulator, the validator and the packager.

Nothing here runs on Alexa's behalf; the Lambda zip never ships this package.
"""
