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
