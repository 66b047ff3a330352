"""Run model-written Python in a separate, isolated, resource-limited process.

Never executes untrusted code in the evaluator's process. Each run gets a fresh launcher process
(``_launcher.py``, stdlib only) that, before exec'ing ``python -I main.py``:

* **Network**: unshares a new network namespace (only a downed loopback), so no TCP/UDP/abstract-unix
  connection leaves the sandbox, not even to 127.0.0.1 of the host.
* **Filesystem**: unshares a mount namespace, makes every mount read-only (``mount_setattr`` recursive,
  remount fallback on old kernels) and mounts a size-limited tmpfs (default 64 MiB) as the working
  directory. Writes outside it fail; the tmpfs and the host temp dir vanish after the run.
* **Processes**: a new pid namespace whose init waits for the program and then exits, so the kernel
  kills every process the program left behind (daemons, ``setsid`` escapes). On timeout the evaluator
  SIGKILLs the launcher's process group; init also has ``PDEATHSIG=SIGKILL``.
* **Privileges**: when the evaluator runs as root (CI does) the program runs as a random unprivileged uid
  (range 1.6e9..1.7e9, no supplementary groups); it cannot remount, read root-only files or signal
  other processes. As non-root an unprivileged user namespace provides the namespaces instead.
* **Limits** (``resource``): RLIMIT_AS (``memory_mb``), RLIMIT_CPU (timeout+1 s), RLIMIT_FSIZE
  (16 MiB, also bounds captured stdout/stderr), RLIMIT_NOFILE 256, RLIMIT_NPROC (``max_processes``,
  root only: it counts per uid), no core dumps; plus a wall-clock ``timeout``.
* **Environment**: scrubbed to PATH/HOME/TMPDIR/LANG; the interpreter runs isolated (``-I``), stdlib only
  (the base interpreter, not the evaluator's venv).

Limits of these guarantees: no seccomp syscall filter, so a kernel exploit escapes; world-readable host
files stay readable (read-only); RLIMIT_AS is address space, not RSS; no cgroup, so heavy CPU use can
slow the host until the time limit. If namespaces are unavailable (e.g. a container without
CAP_SYS_ADMIN and no user namespaces) runs fail with status ``error`` unless ``require_isolation=False``,
which keeps only the uid drop, rlimits, process-group/uid kill and env scrub (no network isolation).
Linux only.
"""

from evalscope.core.sandbox.pool import default_workers, run_limited, run_many
from evalscope.core.sandbox.runner import run_job, run_sandboxed
from evalscope.core.sandbox.types import SandboxJob, SandboxResult, SandboxStatus

__all__ = [
    "SandboxJob",
    "SandboxResult",
    "SandboxStatus",
    "default_workers",
    "run_job",
    "run_limited",
    "run_many",
    "run_sandboxed",
]
