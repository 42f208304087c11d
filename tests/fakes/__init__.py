"""Local fakes of external services, started by the tests."""
