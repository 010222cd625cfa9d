"""ternt — what tern's Python tests share: counted checks with the closing line CI reads
("N passed, N failed") and free loopback ports. ctest puts this directory on PYTHONPATH."""
import socket
import sys

passed = 0
failed = 0


def check(cond, what, detail=""):
    """Counts one check; prints what failed (and detail) to stderr. Returns cond."""
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"not ok - {what}\n    {detail}", file=sys.stderr)
    return cond


def done():
    """Prints the closing line and returns the exit status: 0 only if something was checked
    and nothing failed."""
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


def free_ports(n=1):
    """n distinct loopback ports that were free a moment ago (all bound at once, then closed)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()
