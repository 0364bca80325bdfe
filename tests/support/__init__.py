"""Helpers shared by the tests: brokers, SDK and server fakes, scenes, event factory."""
