"""Running a snippet as a user whom file modes bind, even when the tests run as root (as CI does).

Root reads a file of mode 000 regardless; dropping the two capabilities that let it
(``setpriv``, from util-linux) makes such a file unreadable to the child as it is to
any user, so "permission denied" paths are tested for real everywhere.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DROP = "-dac_override,-dac_read_search"


def run_python(code: str) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter with the project importable and file modes enforced."""
    command = [sys.executable, "-c", code]
    if os.geteuid() == 0:
        command = ["setpriv", f"--inh-caps={DROP}", f"--bounding-set={DROP}", *command]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=60)


def refusal(imports: str, call: str) -> str:
    """The one-line ``NotAnExportError`` that ``call`` raises, run as above (fails if it raises nothing else)."""
    result = run_python(f"from connectors.base import NotAnExportError\n{imports}\n"
                        f"try:\n    {call}\nexcept NotAnExportError as error:\n    print(error)\n")
    assert result.returncode == 0, result.stderr
    return result.stdout
