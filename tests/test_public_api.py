"""The exported surface is a contract (DESIGN.md): guard it."""

import orchestrator


def test_error_tree() -> None:
    assert issubclass(orchestrator.EntryLoadError, orchestrator.OrchestratorError)
    assert issubclass(orchestrator.LifecycleError, orchestrator.OrchestratorError)
    err = orchestrator.LifecycleError("app1", "MOUNTING", "boom")
    assert str(err) == "application 'app1' died in status MOUNTING: boom"
    assert (err.app_name, err.status) == ("app1", "MOUNTING")
