#!/usr/bin/env python3
"""Runs one Node.js client test against a fresh local cluster.

Usage: run_node.py TERN_OSD TERN_GATEWAY NPM_DIR SCRIPT.cjs [TERN_MIGRATE]
Starts 6 OSDs (3 hosts) and a gateway (tests/lib/ternt_cluster.py), then runs
`node SCRIPT.mjs` with NODE_PATH=NPM_DIR/node_modules and the cluster in the environment:
TERN_ENDPOINT (http://127.0.0.1:PORT), TERN_AK, TERN_SK, TERN_AK2, TERN_SK2, TERN_TMP (a scratch
directory) and, when given, TERN_MIGRATE (the tern-migrate binary). The script prints
"N passed, N failed" like every tern test and exits non-zero on failure; this runner passes
its status on and kills the cluster by PID.
"""
import os
import subprocess
import sys

import ternt_cluster as tc


def main():
    osd, gw, npm_dir, script = sys.argv[1:5]
    extra = {"TERN_MIGRATE": sys.argv[5]} if len(sys.argv) > 5 else {}
    modules = os.path.join(npm_dir, "node_modules")
    if not os.path.isdir(modules):
        print(f"npm clients not installed in {npm_dir}: run ./tools/dev test (it runs npm ci)",
              file=sys.stderr)
        return 1
    with tc.Cluster(osd, gw, name="tern-node") as c:
        env = dict(os.environ, NODE_PATH=modules, TERN_ENDPOINT=c.endpoint, TERN_AK=tc.AK,
                   TERN_SK=tc.SK, TERN_AK2=tc.AK2, TERN_SK2=tc.SK2, TERN_TMP=c.tmp, **extra)
        try:
            r = subprocess.run(["node", script], env=env, timeout=300)
        except subprocess.TimeoutExpired:
            print(f"{script} timed out", file=sys.stderr)
            return 1
        if r.returncode != 0 and not os.environ.get("TERN_KEEP_TMP"):
            sys.stderr.write(c.log_text("gw")[-4000:])
        return r.returncode


if __name__ == "__main__":
    sys.exit(main())
