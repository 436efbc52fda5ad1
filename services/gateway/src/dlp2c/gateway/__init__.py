"""The REST gateway: papers in, jobs followed, figures, designs and code out (OpenAPI at /openapi.json)."""
