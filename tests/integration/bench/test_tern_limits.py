#!/usr/bin/env python3
"""tern-limits smoke test: a short run (--seconds 0.05) must print one JSON object with a
positive MB/s figure for md5, sha256, crc32c and loopback, and the text form must name them;
a bad option exits 2. No timing assertions (the machine is shared).

Usage: test_tern_limits.py TERN_LIMITS. Prints "N passed, N failed".
"""
import json
import subprocess
import sys

from ternt import check, done

LIMITS = sys.argv[1]

p = subprocess.run([LIMITS, "--seconds", "0.05", "--json"], capture_output=True, text=True,
                   timeout=60)
check(p.returncode == 0, f"--json exits 0 (got {p.returncode}: {p.stderr.strip()})")
try:
    r = json.loads(p.stdout)
except ValueError:
    r = {}
check(r.get("unit") == "MB/s", f"JSON report with unit MB/s: {p.stdout.strip()[:200]}")
for k in ("md5", "sha256", "crc32c", "loopback"):
    check(isinstance(r.get(k), (int, float)) and r[k] > 0, f"{k} rate is positive ({r.get(k)})")

p = subprocess.run([LIMITS, "--seconds", "0.05"], capture_output=True, text=True, timeout=60)
check(p.returncode == 0 and all(k in p.stdout for k in ("md5", "sha256", "crc32c", "loopback")),
      "text report names every limit")
p = subprocess.run([LIMITS, "--bogus"], capture_output=True, text=True, timeout=10)
check(p.returncode == 2, f"a bad option exits 2 (got {p.returncode})")
done()
