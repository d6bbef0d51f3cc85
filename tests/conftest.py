"""Shared fixtures: an isolated JUDGE_HOME, instant retries, real servers only when asked (--live).

Plain `pytest` is offline and fast: tests marked `llamacpp` or `vllm` start real model servers and
run only with `--live`, and tests marked `slow` (the subprocess-heavy corpora) only with `--slow`;
`make test` and CI pass both. Under CI (`CI=true`) a live test that would skip for a missing engine
fails instead: a silent skip there would hide a broken set-up.

The whole suite (`pytest` with no path) runs on two pytest-xdist workers, as `make test` does: one
worker needs about twice the 3 minutes plain pytest is allowed on two cores. A run of chosen files
stays on one worker (no start-up cost, `-s` and `--pdb` work); `-n 0` keeps a whole run on one too.
"""

from __future__ import annotations

import os

import pytest

LIVE_MARKERS = ("llamacpp", "vllm")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--live", action="store_true", help="also run the tests that start real llama.cpp / vLLM servers")
    parser.addoption("--slow", action="store_true", help="also run the slow subprocess-heavy tests (make test does)")


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads -n
def pytest_cmdline_main(config: pytest.Config) -> None:
    opt = config.option
    whole_suite = config.args_source == pytest.Config.ArgsSource.TESTPATHS
    if (
        whole_suite
        and config.pluginmanager.hasplugin("xdist")
        and getattr(opt, "numprocesses", 0) is None  # -n not given (-n 0 is an answer)
        and not (opt.collectonly or opt.usepdb or os.environ.get("PYTEST_XDIST_WORKER"))
        and (os.cpu_count() or 1) >= 2
    ):
        opt.numprocesses = 2


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    live, slow = config.getoption("--live"), config.getoption("--slow")
    skip_live = pytest.mark.skip(reason="starts a real model server: run with --live (make test does)")
    skip_slow = pytest.mark.skip(reason="slow: run with --slow (make test does)")
    for item in items:
        engines = [m for m in LIVE_MARKERS if m in item.keywords]
        if not live and engines:
            item.add_marker(skip_live)
        elif not slow and "slow" in item.keywords and not engines:
            item.add_marker(skip_slow)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """In CI, a live test that skips itself (engine missing) is a failure, not a skip."""
    outcome = yield
    report = outcome.get_result()
    live = any(m in item.keywords for m in LIVE_MARKERS) and item.config.getoption("--live")
    if live and report.skipped and os.environ.get("CI") == "true" and call.when in ("setup", "call"):
        report.outcome = "failed"
        report.longrepr = f"live test skipped in CI: {report.longrepr}"


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the user's cache; retries do not sleep (Retry-After is capped to 0)."""
    from judge.model import retry

    home = os.environ.get("JUDGE_TEST_HOME") or str(tmp_path_factory.getbasetemp() / "judge-home")
    monkeypatch.setenv("JUDGE_HOME", home)
    monkeypatch.setattr(retry, "BACKOFF", retry.Backoff(initial=0, maximum=0, retry_after_cap=0))


@pytest.fixture(scope="session")
def llamacpp_server():
    """A real llama.cpp server (xllamacpp wheel) with SmolLM2-135M from PyPI, shared by the session."""
    from judge.serve.embedded import LlamaCppServer, model_path

    srv = LlamaCppServer(model_path("smollm2"), alias="smollm2", n_parallel=4, ctx_per_slot=4096, exit_with_parent=True)
    srv.start(timeout=180)
    yield srv
    srv.stop()
