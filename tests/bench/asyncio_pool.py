#!/usr/bin/env python3
"""The Python peer of repopool: the classic asyncio.Semaphore + gather pool.

All N coroutines are created up front and handed to gather(); each one waits
for a slot with `async with sem:` and then does its work.  This is the pattern
repopool's design names as the thing it replaces, written the way it is
usually written, with no tuning that the usual version lacks.

Modes:
  zero   N zero-length tasks (`await asyncio.sleep(0)`), the analogue of
         `repopool --demo N --demo-mean 0`.
  spawn  run COMMAND in each directory listed in FILE (one per line), the
         analogue of `repopool -f FILE -- COMMAND`.  Output is captured per
         task, as repopool does, so both do the same work.

Like `repopool -q`, it prints only the tasks that did not end ok, and exits 1
if there was any.

  asyncio_pool.py -j 8 zero -n 100000
  asyncio_pool.py -j 8 spawn -f dirs.txt -- true
"""

import argparse
import asyncio
import subprocess
import sys


async def zero_task(sem: asyncio.Semaphore, i: int) -> bool:
    async with sem:
        await asyncio.sleep(0)
        return True


async def spawn_task(sem: asyncio.Semaphore, directory: str, command: list) -> bool:
    async with sem:
        try:
            proc = await asyncio.create_subprocess_exec(
                *command, cwd=directory, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        except OSError as e:
            print(f"{directory}: failed: {e}")
            return False
        output, _ = await proc.communicate()
        if proc.returncode != 0:
            last = output.decode(errors="replace").strip().splitlines()[-1:]
            print(f"{directory}: failed: exit {proc.returncode}", *last)
            return False
        return True


async def pool(args: argparse.Namespace) -> int:
    sem = asyncio.Semaphore(args.jobs)
    if args.mode == "zero":
        coros = [zero_task(sem, i) for i in range(args.n)]
    else:
        with open(args.file, encoding="utf-8") as f:
            dirs = [line.rstrip("\n") for line in f if line.strip()]
        coros = [spawn_task(sem, d, args.command) for d in dirs]
    results = await asyncio.gather(*coros)
    return 0 if all(results) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-j", "--jobs", type=int, default=8, help="semaphore size")
    sub = parser.add_subparsers(dest="mode", required=True)
    zero = sub.add_parser("zero", help="N zero-length tasks")
    zero.add_argument("-n", type=int, required=True, help="number of tasks")
    spawn = sub.add_parser("spawn", help="run COMMAND in each directory of FILE")
    spawn.add_argument("-f", "--file", required=True, help="directories, one per line")
    spawn.add_argument("command", nargs="+", help="command and arguments (after --)")
    args = parser.parse_args()
    return asyncio.run(pool(args))


if __name__ == "__main__":
    sys.exit(main())
