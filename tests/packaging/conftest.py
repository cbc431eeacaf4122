"""Registers the ``slow`` marker used by the packaging smoke test."""


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes minutes (the packaged-build smoke test); see tests/packaging")
