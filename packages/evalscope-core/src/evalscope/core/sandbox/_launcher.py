"""Sandbox launcher: runs as its own process (``python -I -S _launcher.py CONFIG_JSON``), never imported.

Stdlib only and self-contained. It isolates itself (namespaces, read-only mounts, tmpfs workdir), then
forks an init process that forks and execs the untrusted program with dropped privileges and rlimits.
It reports to the evaluator through the status fd: ``isolation <tier>``, ``error <msg>``, ``exit <code> <sig>``.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import stat
import sys
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_MOVE = 8192
MS_REC = 16384
MS_PRIVATE = 1 << 18
AT_FDCWD = -100
AT_RECURSIVE = 0x8000
MOUNT_ATTR_RDONLY = 0x1
MOUNT_ATTR_NOSUID = 0x2
SYS_MOUNT_SETATTR = 442  # same number on x86_64 and aarch64 (unified syscall table)
PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(None, use_errno=True)


class SetupError(Exception):
    pass


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise SetupError(f"{what}: {os.strerror(err)}")


def _mount(src: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    def enc(s: str | None) -> bytes | None:
        return None if s is None else s.encode()

    _check(_libc.mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


def _mount_setattr(path: str, flags: int, attr_set: int, attr_clr: int) -> None:
    attr = _MountAttr(attr_set, attr_clr, 0, 0)
    ret = _libc.syscall(SYS_MOUNT_SETATTR, AT_FDCWD, path.encode(), flags, ctypes.byref(attr),
                        ctypes.sizeof(attr))
    _check(ret, f"mount_setattr {path}")


def _mountpoints() -> list[str]:
    with open("/proc/self/mountinfo") as fh:
        return [line.split()[4].replace("\\040", " ") for line in fh]


def _make_tree_readonly(workdir: str) -> None:
    """Everything read-only except the workdir tmpfs."""
    try:
        _mount_setattr("/", AT_RECURSIVE, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, 0)
        _mount_setattr(workdir, 0, 0, MOUNT_ATTR_RDONLY)
        return
    except SetupError:
        pass
    # Old kernel: remount every mount point read-only one by one.
    for mp in _mountpoints():
        if mp == workdir:
            continue
        st = os.statvfs(mp)
        keep = st.f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC)
        try:
            _mount(None, mp, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | keep)
        except SetupError:
            if mp == "/":
                raise


def _read_tree(root: str) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            full = os.path.join(dirpath, name)
            with open(full, "rb") as fh:
                out[os.path.relpath(full, root)] = fh.read()
    return out


def _write_tree(root: str, files: dict[str, bytes], uid: int, gid: int) -> None:
    for rel, data in files.items():
        full = os.path.join(root, rel)
        parent = os.path.dirname(full)
        if not os.path.isdir(parent):
            os.makedirs(parent)
            d = parent
            while d != root:
                os.chown(d, uid, gid)
                d = os.path.dirname(d)
        with open(full, "wb") as fh:
            fh.write(data)
        os.chown(full, uid, gid)


def _blocked_ancestor(path: str) -> str | None:
    """Highest ancestor of ``path`` that others cannot traverse (e.g. /root), or None."""
    parts = os.path.realpath(path).strip("/").split("/")
    cur = ""
    for part in parts:
        cur = f"{cur}/{part}"
        if not os.stat(cur).st_mode & stat.S_IXOTH:
            return cur
    return None


def _expose_prefix(prefix: str, workdir: str) -> None:
    """Make the interpreter prefix reachable for an unprivileged uid (mask the blocking ancestor)."""
    blocked = _blocked_ancestor(prefix)
    if blocked is None:
        return
    staging = os.path.join(workdir, ".evalscope-prefix")
    os.mkdir(staging)
    _mount(prefix, staging, None, MS_BIND | MS_REC)
    _mount("tmpfs", blocked, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
    target = os.path.realpath(prefix)
    os.makedirs(target, exist_ok=True)
    _mount(staging, target, None, MS_MOVE)
    os.rmdir(staging)


def _isolate(cfg: dict[str, Any], as_root: bool) -> None:
    workdir = cfg["workdir"]
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID
    if not as_root:
        uid, gid = os.getuid(), os.getgid()
        _check(_libc.unshare(flags | CLONE_NEWUSER), "unshare(user)")
        with open("/proc/self/setgroups", "w") as fh:
            fh.write("deny")
        with open("/proc/self/uid_map", "w") as fh:
            fh.write(f"{uid} {uid} 1")
        with open("/proc/self/gid_map", "w") as fh:
            fh.write(f"{gid} {gid} 1")
    else:
        _check(_libc.unshare(flags), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    files = _read_tree(workdir)
    uid, gid = cfg["uid"], cfg["gid"]
    _mount("tmpfs", workdir, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=0700,uid={uid},gid={gid},size={cfg['tmpfs_mb']}m")
    if as_root:
        _expose_prefix(cfg["prefix"], workdir)
    _write_tree(workdir, files, uid, gid)
    _make_tree_readonly(workdir)


def _limits(cfg: dict[str, Any]) -> None:
    lim = cfg["limits"]
    mb = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (lim["memory_mb"] * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (lim["cpu_s"], lim["cpu_s"] + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (lim["file_mb"] * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (lim["nofile"],) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if lim["nproc"] is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (lim["nproc"],) * 2)


def _run_program(cfg: dict[str, Any], as_root: bool) -> None:
    """In the grandchild: drop privileges, apply limits, exec the program. Never returns."""
    try:
        os.chdir(cfg["workdir"])
        _limits(cfg)
        if as_root:
            os.setgroups([])
            os.setgid(cfg["gid"])
            os.setuid(cfg["uid"])
        for sig in (signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(sig, signal.SIG_DFL)
        os.execve(cfg["argv"][0], cfg["argv"], cfg["env"])
    except BaseException as exc:  # noqa: BLE001 - report anything, then die
        os.write(2, f"evalscope-sandbox: exec failed: {exc}\n".encode())
    os._exit(127)


def _init(cfg: dict[str, Any], as_root: bool, status_fd: int) -> None:
    """Process 1 of the new pid namespace: start the program, wait for it, report, exit (kills the rest)."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if cfg["isolated"]:
        try:
            _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        except SetupError:
            pass  # keep the read-only host /proc
    pid = os.fork()
    if pid == 0:
        _run_program(cfg, as_root)
    while True:
        try:
            got, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(1)
        if got == pid:
            break
    code = os.waitstatus_to_exitcode(status)
    sig = -code if code < 0 else 0
    os.write(status_fd, f"exit {code if code >= 0 else -1} {sig}\n".encode())
    os._exit(0)


def main() -> None:
    cfg = json.loads(sys.argv[1])
    status_fd = cfg["status_fd"]
    os.set_inheritable(status_fd, False)

    def report(line: str) -> None:
        os.write(status_fd, (line.replace("\n", " ") + "\n").encode())

    as_root = os.geteuid() == 0
    tier = "none"
    try:
        _isolate(cfg, as_root)
        tier = "namespaces" if as_root else "userns"
    except (SetupError, OSError) as exc:
        if cfg["require_isolation"]:
            report(f"error isolation unavailable: {exc}")
            sys.exit(0)
        report(f"warning isolation unavailable: {exc}")
        if as_root:
            os.chown(cfg["workdir"], cfg["uid"], cfg["gid"])
            for dirpath, dirs, files in os.walk(cfg["workdir"]):
                for name in dirs + files:
                    os.chown(os.path.join(dirpath, name), cfg["uid"], cfg["gid"])
    cfg["isolated"] = tier != "none"
    if not as_root:
        cfg["uid"], cfg["gid"] = os.getuid(), os.getgid()
    report(f"isolation {tier}")
    try:
        pid = os.fork()
    except OSError as exc:
        report(f"error fork failed: {exc}")
        sys.exit(0)
    if pid == 0:
        try:
            _init(cfg, as_root, status_fd)
        finally:
            os._exit(1)
    os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
