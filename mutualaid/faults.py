"""Named points where a test can hold a background job still, to kill its worker there.

The fault tests (tests/test_faults.py) start a real Celery worker with MUTUALAID_FAULT_PAUSE set
to the name of one point. When the job reaches that point, the worker writes
`<name>.reached` into MUTUALAID_FAULT_DIR and waits until `<name>.release` appears there (or
MUTUALAID_FAULT_TIMEOUT seconds pass), so "the middle of the job" is a place in the code, not a
guess about timing. Outside the tests (MUTUALAID_TESTING unset) a pause point does nothing,
whatever the environment says.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path


def pause_point(name: str) -> None:
    wanted = os.environ.get("MUTUALAID_FAULT_PAUSE", "")
    if not wanted or not os.environ.get("MUTUALAID_TESTING") or name not in wanted.split(","):
        return
    folder = Path(os.environ.get("MUTUALAID_FAULT_DIR") or tempfile.gettempdir())
    (folder / f"{name}.reached").write_text(str(os.getpid()))
    release = folder / f"{name}.release"
    deadline = time.monotonic() + float(os.environ.get("MUTUALAID_FAULT_TIMEOUT", "120"))
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def crash_point(name: str) -> None:
    """A named point where a test makes the process die at once, as the kernel's out-of-memory
    killer would: MUTUALAID_FAULT_CRASH lists the names. Outside the tests it does nothing."""
    wanted = os.environ.get("MUTUALAID_FAULT_CRASH", "")
    if wanted and os.environ.get("MUTUALAID_TESTING") and name in wanted.split(","):
        os._exit(70)


FAULT_VARIABLES = (
    "MUTUALAID_TESTING",
    "MUTUALAID_FAULT_PAUSE",
    "MUTUALAID_FAULT_CRASH",
    "MUTUALAID_FAULT_DIR",
    "MUTUALAID_FAULT_TIMEOUT",
)


def passed_on() -> dict[str, str]:
    """The fault settings of this process, for a process started from a fork server (which has
    the environment of the moment it started, not of now)."""
    return {key: os.environ[key] for key in FAULT_VARIABLES if key in os.environ}


def take_on(environment: dict[str, str]) -> None:
    """In such a process: the fault settings its parent has now, and none other."""
    for key in FAULT_VARIABLES:
        if key in environment:
            os.environ[key] = environment[key]
        else:
            os.environ.pop(key, None)
