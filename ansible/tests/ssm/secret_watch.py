#!/usr/bin/python3
"""Samples every process's command line on this machine (the stand-in
hosts' processes included: their PID namespaces are children of this one)
every --interval seconds until it is stopped, and records each process
whose command line holds one of the secret values (one a line in --values,
never printed: a hit names the secret by its line number). On SIGTERM it
writes the hits to --out as JSON lines and exits.

usage: secret_watch.py --values FILE --out FILE [--interval S]
"""

import argparse
import json
import os
import signal
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--values", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--interval", type=float, default=0.1)
    a = p.parse_args()
    with open(a.values) as f:
        values = [(i + 1, v.encode()) for i, v in enumerate(f.read().splitlines()) if len(v) >= 8]
    hits, samples = {}, 0

    def finish(*_):
        with open(a.out, "w") as f:
            for h in hits.values():
                f.write(json.dumps(h) + "\n")
            f.write(json.dumps({"samples": samples}) + "\n")
        sys.exit(0)

    signal.signal(signal.SIGTERM, finish)
    me = str(os.getpid())
    while True:
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or pid == me:
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            for line, v in values:
                if v in cmd:
                    try:
                        comm = open(f"/proc/{pid}/comm").read().strip()
                    except OSError:
                        comm = "?"
                    words = cmd.split(b"\0")
                    hits.setdefault((pid, line), {"pid": int(pid), "comm": comm, "secret_line": line,
                                                  "argv0": words[0].decode(errors="replace")[:80],
                                                  "argc": len(words)})
        samples += 1
        time.sleep(a.interval)


if __name__ == "__main__":
    main()
