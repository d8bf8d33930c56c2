"""RunStop.claim() puts the run's SIGTERM handler back in front at the C level too.

A library that installs its own C-level handler hides Python's (polars does so for SIGINT); the
run calls claim() after its imports and at each stage. For SIGTERM, claim() re-installs the run's
handler only while it is the one Python has (Prefect's flow engine installs its own while it
runs); the check compared bound methods with ``is`` and so never re-installed it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import dateline_env

SCRIPT = textwrap.dedent(
    """
    import ctypes, os, signal, time
    from dateline.runtime.interrupts import Interrupted, RunStop

    stop = RunStop("test")
    with stop.handling():
        libc = ctypes.CDLL(None)
        libc.signal.restype = ctypes.c_void_p
        libc.signal(int(signal.SIGTERM), ctypes.c_void_p(1))  # SIG_IGN, behind Python's back
        stop.claim()
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.5)
        except Interrupted as exc:
            print("raised:", exc, flush=True)
        else:
            print("ignored", flush=True)
        os._exit(0)  # before the stop's deadline ends the process
    """
)


def test_claim_puts_the_sigterm_handler_back() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=dateline_env(None),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "raised: interrupted by SIGTERM during test", proc.stdout
