"""The headless global object and qiankun's sandboxes (isolation, not security)."""
