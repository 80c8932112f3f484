"""A real Label Studio server on 127.0.0.1, for the tests of fairpool's Label Studio sync.

``label-studio`` is a Django application with heavy pinned dependencies (Django, DRF,
boto3, ...: about 800 MB), so it lives in its own virtual environment,
``.venv-labelstudio`` at the repository root (git-ignored; ``FAIRPOOL_LABELSTUDIO_VENV``
moves it), never in fairpool's. This script makes that environment when it is missing,
starts the server on a free port with a fresh data directory, a preset user and API token
and no browser, waits until ``/health`` answers, and stops it.

A fresh server applies Label Studio's ~400 database migrations (about a minute on two
cores), so ``install`` does that once into a template database kept inside the venv;
every server then starts on a copy of it in a new temporary data directory.

Usage::

    python benchmarks/labelstudio_server.py install  # make the venv and template (timed)
    python benchmarks/labelstudio_server.py check    # start a fresh server, time it, stop
    python benchmarks/labelstudio_server.py serve    # run until Ctrl-C (prints URL, key)

From Python (``tests/sessions/test_labelstudio_server.py``)::

    with LabelStudioServer() as server:
        server.url, server.api_key
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The Label Studio release the tests run against.
VERSION = "1.23.2"
VENV = Path(os.environ.get("FAIRPOOL_LABELSTUDIO_VENV", ROOT / ".venv-labelstudio"))
USERNAME = "fairpool@localhost"
PASSWORD = "fairpool-labelstudio"
#: A legacy API token (Label Studio's ``Authorization: Token ...``), preset for the user.
API_KEY = "fairpool-labelstudio-token"
_TEMPLATE = "fairpool-template"
_DATABASE = "label_studio.sqlite3"


def _executable(venv: Path) -> Path:
    return venv / "bin" / "label-studio"


def _installed_version(venv: Path) -> str | None:
    python = venv / "bin" / "python"
    if not python.exists() or not _executable(venv).exists():
        return None
    out = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('label-studio'))"],
        capture_output=True, text=True, check=False,
    )
    return out.stdout.strip() or None


def _environment(data_dir: Path) -> dict[str, str]:
    """The server's environment: its data, the preset user, and nothing sent anywhere."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_NAME", "PYTHONPATH")}
    env.update({
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "LABEL_STUDIO_USERNAME": USERNAME,
        "LABEL_STUDIO_PASSWORD": PASSWORD,
        "LABEL_STUDIO_USER_TOKEN": API_KEY,
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "LATEST_VERSION_CHECK": "false",  # no request to PyPI at start
        "COLLECT_ANALYTICS": "false",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        "SECRET_KEY": "fairpool-tests-only-" + os.urandom(8).hex(),
    })
    return env


def install(venv: Path = VENV, *, quiet: bool = False) -> dict[str, float]:
    """Make the venv with ``label-studio`` and the migrated template database if missing.

    Returns the seconds each step took (0 when it was already done).
    """
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    times = {"install_s": 0.0, "template_s": 0.0}
    if _installed_version(venv) != VERSION:
        say(f"installing label-studio=={VERSION} into {venv} ...")
        start = time.perf_counter()
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
               "--disable-pip-version-check", "--no-compile"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, f"label-studio=={VERSION}"], check=True)
        shutil.rmtree(venv / _TEMPLATE, ignore_errors=True)
        times["install_s"] = time.perf_counter() - start
    template = venv / _TEMPLATE
    if not (template / _DATABASE).is_file():
        say("migrating a template database ...")
        start = time.perf_counter()
        scratch = Path(tempfile.mkdtemp(prefix="template-", dir=venv))
        command = [str(_executable(venv)), "init", "--quiet", "--no-browser",
                   "--enable-legacy-api-token", "--data-dir", str(scratch),
                   "--username", USERNAME, "--password", PASSWORD, "--user-token", API_KEY]
        done = subprocess.run(command, cwd=scratch, env=_environment(scratch),
                              capture_output=True, text=True, check=False)
        if done.returncode != 0 or not (scratch / _DATABASE).is_file():
            shutil.rmtree(scratch, ignore_errors=True)
            raise RuntimeError(f"`label-studio init` failed:\n{done.stdout}\n{done.stderr}")
        shutil.rmtree(template, ignore_errors=True)
        os.replace(scratch, template)
        times["template_s"] = time.perf_counter() - start
    return times


def venv_megabytes(venv: Path = VENV) -> float:
    total = sum(p.lstat().st_size for p in venv.rglob("*") if p.is_file() or p.is_symlink())
    return total / 2**20


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LabelStudioServer:
    """A Label Studio server on 127.0.0.1 with a fresh data directory.

    ``url``, ``api_key``, ``username`` and ``password`` say how to reach it;
    ``startup_seconds`` how long it took to answer ``/health``. Stopping it removes the
    data directory (``keep=True`` leaves it, with the server's log ``server.log``).
    """

    def __init__(self, venv: Path = VENV, *, port: int | None = None, keep: bool = False):
        self.venv = Path(venv)
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_key = API_KEY
        self.username = USERNAME
        self.password = PASSWORD
        self.keep = keep
        self.data_dir: Path | None = None
        self.startup_seconds: float | None = None
        self._process: subprocess.Popen | None = None

    def start(self, timeout: float = 240.0) -> LabelStudioServer:
        template = self.venv / _TEMPLATE / _DATABASE
        if _installed_version(self.venv) != VERSION or not template.is_file():
            raise RuntimeError(
                f"no label-studio {VERSION} with a template database in {self.venv}: run "
                "`python benchmarks/labelstudio_server.py install` first"
            )
        self.data_dir = Path(tempfile.mkdtemp(prefix="fairpool-labelstudio-"))
        shutil.copy2(template, self.data_dir / _DATABASE)
        log = open(self.data_dir / "server.log", "wb")  # closed in stop()
        command = [str(_executable(self.venv)), "start", "--no-browser",
                   "--internal-host", "127.0.0.1", "--port", str(self.port),
                   "--data-dir", str(self.data_dir), "--enable-legacy-api-token"]
        began = time.perf_counter()
        self._log = log
        self._process = subprocess.Popen(
            command, cwd=self.data_dir, env=_environment(self.data_dir), stdout=log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        while True:
            if self._process.poll() is not None:
                tail = self.log_tail()
                self.stop()
                raise RuntimeError(f"label-studio exited with {self._process.returncode}:\n"
                                   f"{tail}")
            if self._healthy():
                break
            if time.perf_counter() - began > timeout:
                tail = self.log_tail()
                self.stop()
                raise RuntimeError(f"label-studio did not answer in {timeout:.0f} s:\n{tail}")
            time.sleep(0.25)
        self.startup_seconds = time.perf_counter() - began
        return self

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as answer:
                return answer.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def log_tail(self, lines: int = 40) -> str:
        if self.data_dir is None or not (self.data_dir / "server.log").exists():
            return ""
        text = (self.data_dir / "server.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # its own session: the server alone
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None
        if self.data_dir is not None and not self.keep:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> LabelStudioServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["install", "check", "serve"])
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    times = install()
    if args.command == "install":
        print(f"install {times['install_s']:.0f} s, template {times['template_s']:.0f} s, "
              f"venv {venv_megabytes():.0f} MB ({VENV})")
        return 0
    server = LabelStudioServer(port=args.port, keep=args.command == "serve")
    with server:
        print(f"Label Studio {VERSION} answered at {server.url} after "
              f"{server.startup_seconds:.1f} s")
        if args.command == "serve":
            print(f"user {server.username} / {server.password}, API key {server.api_key}, "
                  f"data {server.data_dir}; Ctrl-C stops it")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
