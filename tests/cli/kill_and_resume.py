#!/usr/bin/env python3
"""SIGKILL, then --resume: the run file equals an uninterrupted run's, dataset by dataset (docs/testing.md).

    kill_and_resume.py NMFLOW CONFIG WORKDIR KILL_AFTER [nmflow run options...]

Runs `nmflow run CONFIG --quick <options>` to the end; runs it again and kills it with SIGKILL as soon as a line of
its output matches the regular expression KILL_AFTER (a progress line printed after that unit's checkpoint is on
disk); continues the killed run with --resume; then requires every dataset of the two files to be equal bit for bit
(timing datasets, whose names end in "seconds", excepted) and both to say status = complete. Fails if the run ends
before it can be killed (the kill point must leave work to do).
"""
import os
import re
import signal
import subprocess
import sys

import h5py
import numpy as np


def run(cmd):
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        sys.exit(f"FAILED: {' '.join(cmd)} exited {result.returncode}:\n{result.stdout}")
    return result.stdout


def run_and_kill(cmd, kill_after):
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    seen = []
    for line in child.stdout:
        seen.append(line)
        if re.search(kill_after, line):
            child.send_signal(signal.SIGKILL)
            break
    child.wait()
    if child.returncode != -signal.SIGKILL:
        sys.exit(f"FAILED: the run ended (exit {child.returncode}) before a line matched '{kill_after}':\n"
                 + "".join(seen))
    return "".join(seen)


def datasets(path):
    found = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: found.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
        status = f.attrs["status"]
    return found, status


def main():
    nmflow, config, workdir, kill_after = sys.argv[1:5]
    options = sys.argv[5:]
    name = os.path.splitext(os.path.basename(config))[0]
    straight = os.path.join(workdir, f"kill_resume_{name}_straight.h5")
    killed = os.path.join(workdir, f"kill_resume_{name}_killed.h5")
    base = [nmflow, "run", config, "--quick", *options]
    run(base + ["-o", straight])
    run_and_kill(base + ["-o", killed], kill_after)
    with h5py.File(killed, "r") as f:
        print(f"killed run: status = {f.attrs['status']}")
    print(run(base + ["-o", killed, "--resume"]).rstrip())
    a, status_a = datasets(straight)
    b, status_b = datasets(killed)
    failures = []
    if sorted(a) != sorted(b):
        failures.append(f"dataset names differ: {sorted(set(a) ^ set(b))}")
    compared = 0
    for key in sorted(set(a) & set(b)):
        if key.endswith("seconds"):
            continue
        compared += 1
        if a[key].shape != b[key].shape or not np.array_equal(a[key], b[key], equal_nan=True):
            failures.append(f"{key}: differs")
    if status_a != "complete" or status_b != "complete":
        failures.append(f"status: {status_a} / {status_b} (expected complete)")
    if compared == 0:
        failures.append("no dataset compared")
    for path in (straight, killed, straight + ".checkpoint", killed + ".checkpoint"):
        if os.path.exists(path):
            os.remove(path)
    if failures:
        sys.exit("FAILED: the resumed run differs from the uninterrupted one:\n  " + "\n  ".join(failures))
    print(f"PASSED: {compared} datasets equal bit for bit after SIGKILL and --resume")


if __name__ == "__main__":
    main()
