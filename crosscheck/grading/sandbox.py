"""A submission's process, sandboxed by bubblewrap (``bwrap``, as Flatpak uses it), and the
channel to it: crosscheck/sandboxed/serve.py runs there and answers requests; nothing else
of handgrad's is there to import.

The sandbox: its own pid, network, IPC and mount namespaces, and its own user namespace
as uid 65534 (run as root, a real unprivileged uid instead, set by ``setpriv``: a user
namespace of root's maps back to root, whom process limits do not bind); the system and
the Python environment read-only (handgrad's own packages hidden), its own copy of its
files read-only in /submission, an empty /tmp of its own, a cleared environment, no
network, and ``--die-with-parent``: when the grader ends it, or ends, nothing it started
lives on. serve.py limits its processes, file size, CPU time and address space (shared
mappings included) before any of the submission runs. What it prints, the grader keeps a
tail of; its answers are data the grader checks (wire.py).
"""
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from crosscheck.sandboxed import wire

SERVER = Path(__file__).resolve().parent.parent / "sandboxed"
# the server, run from the folder that holds sandboxed/ (/handgrad in the sandbox)
LAUNCH = "import sys; sys.path.insert(0, {home!r}); from sandboxed import serve; serve.main()"
HANDGRAD = ("manual", "torch_ref", "crosscheck", "handgrad")  # hidden inside, wherever installed
TAIL = 4096  # bytes of what a submission prints that the grader keeps


@dataclass(frozen=True)
class Limits:
    seconds: float = 60.0  # wall clock, the whole submission
    memory_gb: float = 2.0  # address space beyond Python's and torch's own
    processes: int = 64  # threads count too
    file_mb: int = 16  # the largest file it may write
    tmp_mb: int = 64  # its /tmp, all files together
    message_mb: int = 256  # the largest answer the grader reads


class SandboxGone(BaseException):  # noqa: N818 (not an error of the grader's: its end)
    """The submission's process ended or was ended: ``why`` is 'timeout', 'exited' or
    'garbled' (an answer that is not data); ``status`` its exit status (negative: the
    signal), ``last`` the last line it printed."""

    def __init__(self, why, status=None, last=""):
        super().__init__(why)
        self.why, self.status, self.last = why, status, last


class Raised(Exception):
    """An exception inside the sandbox, as data: its kind's name, its first line, and (a
    refusal's) the argument it names."""

    def __init__(self, kind, text, argument=None):
        super().__init__(text)
        self.kind, self.text, self.argument = kind, text, argument


def printable(text, most):
    """A submission's text as it may appear in the grade's files: at most ``most``
    characters, none a control character (a NUL, an escape) but a newline or a tab."""
    text = str(text)[:most]
    return "".join(c if c.isprintable() or c in "\n\t" else "?" for c in text)


def engine():
    """The path of bwrap, or None where it is missing or cannot make namespaces here."""
    found = shutil.which("bwrap")
    if found is None:
        return None
    probe = subprocess.run([found, "--unshare-all", "--ro-bind", "/", "/", "true"],
                           capture_output=True)
    return found if probe.returncode == 0 else None


def _ro_bind(path, made):
    """bwrap arguments that show ``path`` read-only, its missing parents readable."""
    args = []
    for parent in reversed(Path(path).parents):
        if str(parent) != "/" and parent not in made:
            made.add(parent)
            args += ["--perms", "0755", "--dir", str(parent)]
    return args + ["--ro-bind", str(path), str(path)]


def _python_roots():
    """The folders the sandbox's Python needs: its prefixes and where torch is."""
    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(torch.__file__).parent.parent,
             Path(os.path.realpath(sys.executable)).parent.parent}
    return sorted({r.resolve() for r in roots} | roots)


def command(folder, limits, slot):
    """(bwrap's options, the command it runs): serve.py on ``folder`` (the submission's
    copy) in the sandbox."""
    made = set()
    args = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv",
            "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp",
            "--setenv", "OMP_NUM_THREADS", "1", "--setenv", "LANG", "C.UTF-8"]
    as_root = os.geteuid() == 0
    if not as_root:
        args += ["--unshare-user", "--uid", "65534", "--gid", "65534"]
    # its /tmp first: what is bound below it (a Python environment in /tmp) stays seen
    args += ["--perms", "1777", "--size", str(limits.tmp_mb << 20), "--tmpfs", "/tmp"]
    for top in ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += _ro_bind(top, made)
    for etc in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d"):
        args += ["--ro-bind-try", etc, etc]
    for root in _python_roots():
        if not any(root.is_relative_to(top) for top in ("/usr", "/lib", "/bin")):
            args += _ro_bind(root, made) + _hide(root)
    args += ["--perms", "0755", "--dir", "/handgrad",
             "--ro-bind", str(SERVER), "/handgrad/sandboxed",
             "--ro-bind", str(folder), "/submission",
             "--proc", "/proc", "--dev", "/dev", "--chdir", "/tmp"]
    run = []
    if as_root:
        uid = str(61000 + slot % 1000)
        run = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
               "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"]
    return args, run + _server(limits)


def _hide(root):
    """An empty folder over each of handgrad's packages installed under ``root``."""
    return [arg for name in HANDGRAD for found in root.glob(f"lib*/python*/site-packages/{name}")
            for arg in ("--tmpfs", str(found))]


def _server(limits, home="/handgrad"):
    budget = int(limits.memory_gb * 1024**3)
    cpu = int(limits.seconds) + 5  # CPU time: the wall clock's limit, if the clock misses
    return [sys.executable, "-I", "-c", LAUNCH.format(home=home), str(limits.processes),
            str(limits.file_mb << 20), str(cpu), str(budget)]


class Sandbox:
    """One submission's sandboxed process: ``ask`` sends a request and returns the answer's
    value, raises Raised (the submission raised) or SandboxGone. ``bwrap`` None: the same
    process, without isolation (only where the teacher asked for it)."""

    def __init__(self, folder, limits, bwrap, deadline, slot=0):
        self.limits, self.deadline = limits, deadline
        given = ()
        if bwrap:  # its options through a pipe: bwrap is the sandbox's pid 1, and a
            #        submission can read pid 1's command line, not what came by --args
            options, run = command(folder, limits, slot)
            given = _pipe("".join(f"{a}\0" for a in options).encode())
            argv, cwd = [bwrap, "--args", str(given[0]), *run], None
        else:
            argv, cwd = _server(limits, str(SERVER.parent)), folder
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=cwd, start_new_session=True,
                                     env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1",
                                          "LANG": "C.UTF-8"} if not bwrap else {},
                                     pass_fds=given)
        for fd in given:
            os.close(fd)
        self.root = "/submission" if bwrap else str(folder)
        self.isolated = bool(bwrap)
        self.printed, self.printed_bytes = b"", 0
        self._reader = threading.Thread(target=self._keep_tail, daemon=True)
        self._reader.start()
        self._answers = _Timed(self.proc.stdout.fileno(), self)
        self._ask_ready()

    def _keep_tail(self):
        for chunk in iter(lambda: self.proc.stderr.read1(65536), b""):
            self.printed = (self.printed + chunk)[-TAIL:]
            self.printed_bytes += len(chunk)

    def _ask_ready(self):
        if self._read() != {"ready": True}:
            self.gone("garbled")

    def ask(self, op, **request):
        text, blob = wire.encode({"op": op, **request})
        try:
            _write_all(self.proc.stdin.fileno(), wire.HEADER.pack(len(text), len(blob))
                       + text + blob, self)
        except BrokenPipeError:
            self.gone("exited")
        answer = self._read()
        if not isinstance(answer, dict):
            self.gone("garbled")
        if "raised" in answer and isinstance(answer["raised"], dict):
            r = answer["raised"]
            argument = r.get("argument")
            raise Raised(printable(r.get("type", "Exception"), 60),
                         printable(r.get("text", ""), 300),
                         None if argument is None else printable(argument, 60))
        if "value" not in answer:
            self.gone("garbled")
        return answer["value"]

    def _read(self):
        try:
            return wire.receive(self._answers, self.limits.message_mb << 20)
        except EOFError:
            self.gone("exited")
        except wire.WireError:
            self.gone("garbled")

    def last_line(self):
        lines = [ln for ln in self.printed.decode(errors="replace").splitlines() if ln.strip()]
        return printable(lines[-1].strip(), 200) if lines else ""

    def gone(self, why):
        if why == "exited":  # its answers ended: let it finish ending, and say how it did
            try:
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        status = self.close()
        if self.isolated and status is not None and status > 128:
            status = 128 - status  # bwrap's exit status for a sandbox a signal ended
        raise SandboxGone(why, status, self.last_line())

    def close(self):
        """End it, and everything in its session (outside bwrap's pid namespace too)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self._reader.join(timeout=5)
        return self.proc.returncode


def _pipe(data):
    """(the read end of a pipe that holds ``data``, and is then closed for writing)."""
    read, write = os.pipe()
    os.write(write, data)  # a few KiB: within a pipe's buffer
    os.close(write)
    return (read,)


class _Timed:
    """A pipe read against the sandbox's deadline: past it, the sandbox ends ('timeout').
    What a read brings beyond what was asked waits for the next."""

    def __init__(self, fd, sandbox):
        self.fd, self.sandbox, self.kept = fd, sandbox, b""

    def read(self, n):
        if not self.kept:
            _wait(self.fd, select.POLLIN, self.sandbox)
            self.kept = os.read(self.fd, 1 << 20)
        found, self.kept = self.kept[:n], self.kept[n:]
        return found


def _wait(fd, event, sandbox):
    poller = select.poll()
    poller.register(fd, event | select.POLLHUP | select.POLLERR)
    while True:
        left = sandbox.deadline - time.monotonic()
        if left <= 0:
            sandbox.gone("timeout")
        if poller.poll(min(left, 1.0) * 1000):
            return


def _write_all(fd, data, sandbox):
    view = memoryview(data)
    os.set_blocking(fd, False)
    while view:
        _wait(fd, select.POLLOUT, sandbox)
        try:
            sent = os.write(fd, view)
        except BlockingIOError:
            continue
        view = view[sent:]
