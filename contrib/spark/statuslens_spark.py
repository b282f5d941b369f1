#!/usr/bin/env python3
"""statuslens on Spark: one partial aggregate per group of log files, merged on the driver.

Each Spark task receives whole files (``SparkContext.binaryFiles``: local paths, ``s3a://``,
``gs://``, ``hdfs://``; gzip and zstd stay compressed, statuslens detects them), writes them
under their base names into a scratch directory, runs ``statuslens --format partial`` there and
returns the partial. The driver writes the partials out and runs ``statuslens`` once over them,
which merges them exactly (SPEC section 7): the report is the one a single run over every file
would give.

A task whose statuslens fails (exit status other than 0, or 2 with a partial: input problems
are recorded in the partial and reported by the driver) raises, so Spark retries it and then
fails the job.

Usage (see the README, "Beyond one machine"):

    spark-submit --master local[2] contrib/spark/statuslens_spark.py \
        --statuslens /path/to/statuslens logs/ -- --format json -o report.json

Everything after ``--`` is passed to the final statuslens run on the driver; ``--map-args``
passes options to every task's run (for example ``--log-format alb``).
"""

import argparse
import os
import posixpath
import shlex
import subprocess
import sys
import tempfile


def run_partial(statuslens, map_args, files):
    """Run statuslens over (path, bytes) pairs; return the partial aggregate's bytes."""
    files = list(files)
    if not files:
        return []
    with tempfile.TemporaryDirectory(prefix="statuslens-") as tmp:
        names = []
        for path, data in files:
            name = posixpath.basename(path.rstrip("/")) or "input"
            # Same base name in two directories: keep both, apart.
            while name in names:
                name = "_" + name
            names.append(name)
            with open(os.path.join(tmp, name), "wb") as f:
                f.write(data)
        cmd = [statuslens, *sorted(names), "--format", "partial", *map_args]
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True)
        if proc.returncode not in (0, 2) or not proc.stdout:
            raise RuntimeError(
                "statuslens failed on %s (exit %d): %s"
                % (", ".join(names), proc.returncode, proc.stderr.decode("utf-8", "replace"))
            )
        return [proc.stdout]


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    final_args = []
    if "--" in argv:
        cut = argv.index("--")
        argv, final_args = argv[:cut], argv[cut + 1 :]
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("paths", nargs="+", help="log files or directories (local, s3a://, gs://, hdfs://)")
    p.add_argument("--statuslens", default="statuslens", help="the binary on the executors")
    p.add_argument("--groups", type=int, default=0, help="file groups (tasks); default: Spark's choice")
    p.add_argument("--map-args", default="", help="options for every task's statuslens run")
    p.add_argument("--keep-partials", default="", help="also save the partials in this local directory")
    p.add_argument("--master", default="", help="Spark master when not run by spark-submit (e.g. local[2])")
    args = p.parse_args(argv)

    from pyspark.sql import SparkSession  # imported here so --help works without pyspark

    builder = SparkSession.builder.appName("statuslens")
    if args.master:
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    sc = spark.sparkContext
    statuslens, map_args = args.statuslens, shlex.split(args.map_args)
    rdd = sc.binaryFiles(",".join(args.paths), minPartitions=args.groups or None)
    partials = rdd.mapPartitions(lambda it: run_partial(statuslens, map_args, it)).collect()
    spark.stop()

    out_dir = args.keep_partials or tempfile.mkdtemp(prefix="statuslens-partials-")
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for i, data in enumerate(partials):
        path = os.path.join(out_dir, "part-%05d.partial" % i)
        with open(path, "wb") as f:
            f.write(data)
        paths.append(path)
    if not paths:
        print("statuslens-spark: no input files matched", file=sys.stderr)
        return 2
    return subprocess.run([statuslens, *paths, *final_args]).returncode


if __name__ == "__main__":
    sys.exit(main())
