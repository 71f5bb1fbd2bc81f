#!/usr/bin/python3
"""Holds the dpkg locks (/var/lib/dpkg/lock-frontend and lock: fcntl locks,
as apt and dpkg take them) the way another apt does on a first boot
(apt-daily, unattended-upgrades), and lets go SECONDS after the first
`apt-get ... install` started waiting for them (or after --max seconds): so
the first install waits just past SECONDS. Run inside the host (nsenter).

usage: hold_dpkg_lock.py SECONDS [--max SECONDS]
"""

import fcntl
import os
import sys
import time


def waiting_install():
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"apt-get") and b"install" in argv:
            return True
    return False


def main():
    hold = int(sys.argv[1])
    cap = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--max" else 900
    locks = [open(p, "w") for p in ("/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/lock")]
    for f in locks:
        fcntl.lockf(f, fcntl.LOCK_EX)
    start = time.time()
    seen = None
    while time.time() - start < cap:
        if seen is None and waiting_install():
            seen = time.time()
            print(f"hold_dpkg_lock: an apt-get install is waiting; letting go in {hold} s", flush=True)
        if seen is not None and time.time() - seen >= hold:
            break
        time.sleep(0.5)


if __name__ == "__main__":
    main()
