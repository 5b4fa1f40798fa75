"""Run the real daemon as a child process, for tests that must ``kill -9`` it and for benches.

Readiness is learned the way systemd learns it: the child gets a ``NOTIFY_SOCKET`` and we wait
for ``READY=1``; then the bound addresses come from the runtime file in its data directory.
With ``watchdog_usec`` the child also gets ``WATCHDOG_USEC`` and the socket stays open: every
later notification (``WATCHDOG=1`` pings included) is kept in ``notified`` with the time it
arrived, as systemd's watchdog would see them.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any

RUNTIME_FILE = "recado.runtime.json"


def write_config(
    directory: Path, extra_toml: str = "", *, mode: str = "dry_run", http_toml: str = ""
) -> Path:
    """A config for a throwaway daemon: its own data dir, ports picked by the kernel.

    ``extra_toml`` goes in ``[whatsapp]`` (or opens tables of its own), ``http_toml`` in
    ``[http]``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "config.toml"
    path.write_text(
        "[daemon]\n"
        'data_dir = "./var"\n'
        "shutdown_grace_s = 5\n"
        "[http]\n"
        'public_listen = "127.0.0.1:0"\n'
        'operator_listen = "127.0.0.1:0"\n' + http_toml + "[whatsapp]\n"
        f'mode = "{mode}"\n' + extra_toml,
        encoding="utf-8",
    )
    return path


class DaemonProcess:
    def __init__(
        self,
        config_path: Path,
        *,
        test_hooks: bool = True,
        group_commit: bool = True,
        env: dict[str, str] | None = None,
        extra_args: tuple[str, ...] = (),
        watchdog_usec: int | None = None,
        soft_nofile: int | None = None,
    ) -> None:
        self.config_path = config_path
        # The child's soft RLIMIT_NOFILE, e.g. the 1,024 a unit without LimitNOFILE= gets.
        self.soft_nofile = soft_nofile
        self.data_dir = config_path.parent / "var"
        self.test_hooks = test_hooks
        self.group_commit = group_commit
        self.extra_args = extra_args
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = config_path.parent / "daemon.log"
        self._log: IO[bytes] | None = None
        self.public_url = ""
        self.operator_url = ""
        self.notifications: list[str] = []
        self.watchdog_usec = watchdog_usec
        # (time.monotonic(), message) for every notification after READY=1.
        self.notified: list[tuple[float, str]] = []
        self._listener: threading.Thread | None = None
        self._stop_listening = threading.Event()

    def start(self, timeout_s: float = 30.0) -> DaemonProcess:
        # A socket's path is limited to 107 bytes: a short private directory of its own, not
        # beside the config (a test's temporary directory can be longer than that).
        sock_path = Path(tempfile.mkdtemp(prefix="rn-")) / "notify.sock"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(sock_path))
        sock.settimeout(0.2)
        args = [*self.command(), "--config", str(self.config_path), *self.extra_args]
        env = {**os.environ, **self.env, "NOTIFY_SOCKET": str(sock_path)}
        env.pop("WATCHDOG_USEC", None)
        env.pop("WATCHDOG_PID", None)
        if self.watchdog_usec is not None:
            env["WATCHDOG_USEC"] = str(self.watchdog_usec)
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            args,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=self._limit_files if self.soft_nofile else None,
        )
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"daemon exited with {self.proc.returncode} before READY=1:\n"
                        + self.log_text()[-4000:]
                    )
                if time.monotonic() > deadline:
                    self.kill()
                    raise TimeoutError("daemon did not send READY=1:\n" + self.log_text()[-4000:])
                try:
                    message = sock.recv(4096).decode()
                except TimeoutError:
                    continue
                self.notifications.append(message)
                if "READY=1" in message.split("\n"):
                    break
        except BaseException:
            sock.close()
            _remove_socket(sock_path)
            raise
        if self.watchdog_usec is None:
            sock.close()
            _remove_socket(sock_path)
        else:
            self._stop_listening.clear()
            self._listener = threading.Thread(
                target=self._listen, args=(sock, sock_path), name="notify-listener", daemon=True
            )
            self._listener.start()
        info = json.loads((self.data_dir / RUNTIME_FILE).read_text("utf-8"))
        self.public_url = info["public"]
        self.operator_url = info["operator"]
        return self

    def command(self) -> list[str]:
        """``recado run``, or the testing entry point when a hook is asked for."""
        hooks = [
            *(["--test-hooks"] if self.test_hooks else []),
            *([] if self.group_commit else ["--no-group-commit"]),
        ]
        if not hooks:
            return [sys.executable, "-m", "recado", "run"]
        return [sys.executable, "-m", "recado.testing.run_with_hooks", *hooks]

    def _listen(self, sock: socket.socket, sock_path: Path) -> None:
        try:
            while not self._stop_listening.is_set():
                try:
                    message = sock.recv(4096).decode()
                except TimeoutError:
                    continue
                self.notified.append((time.monotonic(), message))
        finally:
            sock.close()
            _remove_socket(sock_path)

    def pings(self) -> list[float]:
        """When each ``WATCHDOG=1`` arrived (monotonic seconds)."""
        return [at for at, message in self.notified if "WATCHDOG=1" in message.split("\n")]

    def _limit_files(self) -> None:
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        assert self.soft_nofile is not None  # only set as preexec_fn when given
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.soft_nofile, hard))

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def peak_rss_mib(self) -> float:
        """The child's peak resident memory so far (VmHWM), for benchmarks."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def kill(self) -> None:
        """``kill -9``: no cleanup, no flush, exactly what a power cut leaves behind."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._close_log()

    def terminate(self, timeout_s: float = 30.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout_s)
        self._close_log()
        return code

    def signal(self, signum: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(signum)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_events(self) -> list[dict[str, Any]]:
        """Parsed ``key=value`` log lines (just enough for tests to find events)."""
        events = []
        for line in self.log_text().splitlines():
            try:
                parts = shlex.split(line)
            except ValueError:
                continue
            events.append(dict(p.split("=", 1) for p in parts if "=" in p))
        return events

    def _close_log(self) -> None:
        if self._listener is not None:
            self._stop_listening.set()
            self._listener.join(5)
            self._listener = None
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self) -> DaemonProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()


def _remove_socket(path: Path) -> None:
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()
