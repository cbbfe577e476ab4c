"""The end-to-end tests import the benchmark's stand-ins from tools/ (journal_app.py,
bench_servers.py, bench_sync.py)."""

import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[2] / "tools"
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))
