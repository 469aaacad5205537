"""How pytest-xdist shares the suite between workers (`-n auto --dist loadscope`, pyproject).

A work unit runs start to end on one worker:
- all of tests/infra is one unit: its session-scoped synthesized environments (`dev`, `prod`,
  `dev_code`, `dev_a2a`, `each_env`, which only tests under tests/infra can use) are then
  built once per run, and the tests read their live construct tree, not only the JSON;
- each emulated-arm64 test (tests/arm64) is a unit of its own: they take minutes each;
- every other module is a unit, so its module-scoped fixtures (agent servers, moto doubles)
  start once, as in a serial run. The order-status gateway double below, and the plain agent
  servers of tests/agent and tests/invoke, are session-scoped: one per worker.
Free workers take the longest unit left, by the durations the previous run left in pytest's
cache (.pytest_cache); without them, the emulated tests first, then the units with most tests.
`-n auto` starts one worker more than there are CPUs (see pytest_xdist_auto_num_workers).
(Units are chosen here because `--dist loadgroup` sets item._nodeid, which pytest 9 no longer
reads: with pytest-xdist 3.8, xdist_group marks are silently ignored.)
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator

import pytest
from xdist.scheduler import LoadScopeScheduling

from tests.doubles.processes import McpServer, running_mcp_server

DURATIONS_KEY = "agentcore/durations"
EMULATED_SECONDS = 600.0  # an emulated-arm64 test the cache has not timed yet
UNKNOWN_SECONDS = 1.0  # any other test the cache has not timed yet
MAX_AUTO_WORKERS = 8  # each worker collects the whole suite (about 4 s of CPU)

_durations: dict[str, float] = defaultdict(float)


class LongestUnitFirst(LoadScopeScheduling):
    """loadscope with this suite's units, handed out longest first."""

    def __init__(self, config: pytest.Config, log=None) -> None:
        super().__init__(config, log)
        cache = getattr(config, "cache", None)
        self.known: dict[str, float] = cache.get(DURATIONS_KEY, {}) if cache else {}

    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        if path.startswith("tests/infra/"):
            return "tests/infra"
        if path.startswith("tests/arm64/"):
            return nodeid
        return path

    def _estimate(self, nodeid: str) -> float:
        if nodeid.startswith("tests/arm64/"):
            return self.known.get(nodeid, EMULATED_SECONDS)
        return self.known.get(nodeid, UNKNOWN_SECONDS)

    def _assign_work_unit(self, node) -> None:
        longest = max(
            self.workqueue, key=lambda scope: sum(map(self._estimate, self.workqueue[scope]))
        )
        self.workqueue.move_to_end(longest, last=False)  # the unit super() hands out next
        super()._assign_work_unit(node)


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: a worker more than CPUs. Workers spend much of their time waiting on the
    processes under test (agent servers, moto, checkov, pip), and the extra one fills those
    gaps: on 2 CPUs, 3 workers finished 3-5 s sooner than 2 in our measurements."""
    return min(len(os.sched_getaffinity(0)) + 1, MAX_AUTO_WORKERS)


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log) -> LoadScopeScheduling | None:
    return LongestUnitFirst(config, log) if config.getvalue("dist") == "loadscope" else None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _durations[report.nodeid] += report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The controller (or a serial run) keeps each test's duration for the next run."""
    config = session.config
    cache = getattr(config, "cache", None)
    if hasattr(config, "workerinput") or cache is None or not _durations:
        return
    recorded: dict[str, float] = cache.get(DURATIONS_KEY, {})
    recorded.update({nodeid: round(seconds, 3) for nodeid, seconds in _durations.items()})
    cache.set(DURATIONS_KEY, recorded)


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[McpServer]:
    """The order-status gateway double, one per worker: it keeps no state between calls.
    (Tests that stop it, or count what it saw, start their own.)"""
    with running_mcp_server(tmp_path_factory.mktemp("gateway")) as server:
        yield server
