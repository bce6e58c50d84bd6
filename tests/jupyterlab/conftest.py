"""Fixtures for the JupyterLab suite: a private `jupyter lab` server and one headless Chromium.

Run it explicitly (plain `pytest` never collects this folder):

    pytest -q tests/jupyterlab --jupyterlab

The server runs on 127.0.0.1 with a free port, no token, --allow-root, no
browser, over a temporary copy of chapters/. Its settings, workspaces, runtime
files and trust database are temporary as well, so the user's own JupyterLab
settings are never read or written; the news pop-up, update checks and
autosave are switched off in that temporary settings folder. The server's
whole process group is killed when the session ends, whatever happened.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from headless import CHROMIUM, chromium_context

_HERE = Path(__file__).resolve().parent
REPO = _HERE.parents[1]
CHAPTERS = REPO / "chapters"
# Lab kernels keep running in tabs the test is not looking at: no background throttling.
LAB_CHROMIUM_ARGS = ["--disable-renderer-backgrounding", "--disable-background-timer-throttling"]
# Settings of the temporary JupyterLab profile: plugin id -> values.
LAB_SETTINGS = {
    # no "Would you like to receive official Jupyter news?" pop-up, no update check
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    # every cell in the DOM (JupyterLab 4 renders only the visible ones by default)
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    # the temporary copies stay as they were copied
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
}


def pytest_addoption(parser):
    parser.addoption(
        "--jupyterlab",
        action="store_true",
        default=False,
        help="run the JupyterLab suite in tests/jupyterlab (starts `jupyter lab` and headless Chromium)",
    )
    parser.addoption(
        "--jupyterlab-runs",
        type=int,
        default=5,
        help="how many times the JupyterLab suite runs chapter 3 (default 5)",
    )


def pytest_ignore_collect(collection_path, config):
    """Leave this folder alone unless --jupyterlab is given (the option exists only when it is)."""
    if config.getoption("--jupyterlab", default=False):
        return None
    if collection_path == _HERE or _HERE in collection_path.parents:
        return True
    return None


def chapter_notebooks() -> list[Path]:
    return sorted(CHAPTERS.glob("[0-9][0-9]_*.ipynb"))


def pytest_generate_tests(metafunc):
    """Every chapter once; chapter 3 (the one with two live explorers) --jupyterlab-runs times."""
    if "visit_key" in metafunc.fixturenames:
        runs = max(1, metafunc.config.getoption("--jupyterlab-runs", default=5))
        keys = []
        for nb in chapter_notebooks():
            n = runs if nb.name.startswith("03_") else 1
            keys += [(nb.name, k) for k in range(1, n + 1)]
        metafunc.parametrize("visit_key", keys, ids=[f"{name[:2]}-run{k}" for name, k in keys], scope="session")


# --------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """`jupyter lab` in its own process group, with a private profile, over a copy of chapters/."""

    def __init__(self, base: Path, disabled_extensions: tuple[str, ...] = ()):
        self.base = base
        self.disabled_extensions = disabled_extensions
        self.root = base / "root"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = base / "jupyterlab.log"
        self._copies = 0

    def start(self, timeout: float = 120.0) -> "LabServer":
        self.root.mkdir(parents=True)
        settings = self.base / "settings"
        for plugin, values in LAB_SETTINGS.items():
            pkg, _, name = plugin.partition(":")
            path = settings / pkg / f"{name}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        if self.disabled_extensions:  # to show that a check fails without an extension
            labconfig = self.base / "config" / "labconfig"
            labconfig.mkdir(parents=True)
            (labconfig / "page_config.json").write_text(
                json.dumps({"disabledExtensions": {e: True for e in self.disabled_extensions}}))
        env = dict(os.environ)
        env.update(
            JUPYTERLAB_SETTINGS_DIR=str(settings),
            JUPYTERLAB_WORKSPACES_DIR=str(self.base / "workspaces"),
            JUPYTER_CONFIG_DIR=str(self.base / "config"),
            JUPYTER_RUNTIME_DIR=str(self.base / "runtime"),
            PYTHONUNBUFFERED="1",
        )
        env.pop("JUPYTER_TOKEN", None)
        cmd = [
            sys.executable, "-m", "jupyterlab",
            "--no-browser", "--allow-root",
            "--ip=127.0.0.1", f"--port={self.port}", "--port-retries=0",
            f"--ServerApp.root_dir={self.root}",
            "--IdentityProvider.token=", "--ServerApp.password=",
            "--NotebookNotary.db_file=:memory:",  # nothing is trusted: a fresh clone
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to drive and inspect the lab
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.news_url=",
        ]
        self._log_fh = self.log.open("w")
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=self._log_fh, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"jupyter lab did not answer within {timeout:.0f} s:\n{self.log.read_text()[-3000:]}")

    def copy(self, src: Path, run: int) -> str:
        """A pristine copy of a notebook under a new name (no state from an earlier run); its name."""
        name = f"{src.stem}-run{run}{src.suffix}"
        shutil.copy(src, self.root / name)
        return name

    def api(self, method: str, path: str) -> object:
        req = urllib.request.Request(f"{self.url}{path}", method=method)
        with urllib.request.urlopen(req, timeout=20) as r:
            body = r.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Stop every kernel (each visit's kernel ends with it, so runs do not share the CPU)."""
        try:
            for s in self.api("GET", "/api/sessions") or []:
                self.api("DELETE", f"/api/sessions/{s['id']}")
        except OSError:
            pass

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)
        # Kernels run in sessions of their own; kill any that outlived the server (their
        # command line names a connection file in this server's private runtime folder).
        runtime = str(self.base / "runtime")
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                if runtime in (proc / "cmdline").read_bytes().decode(errors="replace"):
                    os.kill(int(proc.name), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        self._log_fh.close()
        self.proc = None


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    server = LabServer(tmp_path_factory.mktemp("jupyterlab"))
    try:
        server.start()
        yield server
    finally:
        server.shutdown_kernels()
        server.stop()


@pytest.fixture(scope="session")
def lab_browser(tmp_path_factory):
    with chromium_context(tmp_path_factory.mktemp("chromium-profile"), width=1400, height=1000,
                          timeout_ms=60000, extra_args=LAB_CHROMIUM_ARGS) as context:

        def handle(route):
            from urllib.parse import urlsplit

            parts = urlsplit(route.request.url)
            if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != "127.0.0.1":
                route.abort("blockedbyclient")
            else:
                route.continue_()

        context.route("**/*", handle)
        yield context


# --------------------------------------------------------------------------
# Results: benchmarks/results/jupyterlab_roundtrip.csv and a summary line
# --------------------------------------------------------------------------


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("jupyterlab", "ipywidgets", "ipympl", "ipykernel", "matplotlib", "jupyterlab-myst", "playwright"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    try:
        out["chromium"] = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True,
                                         timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out["chromium"] = "unknown"
    return out


def pytest_sessionfinish(session, exitstatus):
    if not session.config.getoption("--jupyterlab", default=False):
        return
    import statistics

    import labdriver

    visits = list(labdriver.VISITS.values())
    if not visits:
        return
    groups: dict[tuple, list[dict]] = {}
    for v in visits:
        for r in v.roundtrips:
            groups.setdefault((v.notebook, r["cell"], r["kind"], r["slider"]), []).append(r)
    rows = []
    for (nb, cell, kind, slider), rs in sorted(groups.items()):
        paint = [r["paint_ms"] for r in rs if r["paint_ms"] is not None]
        words = [r["words_ms"] for r in rs if r["words_ms"] is not None]
        rows.append({
            "notebook": nb, "cell": cell, "figure": kind, "slider": slider, "presses": len(rs),
            "repainted": len(paint),
            "paint_median_ms": statistics.median(paint) if paint else None,
            "paint_min_ms": min(paint) if paint else None, "paint_max_ms": max(paint) if paint else None,
            "words_median_ms": statistics.median(words) if words else None,
        })
    blank = {}
    for v in visits:
        b = blank.setdefault(v.notebook, [0, 0])
        b[0] += any("transparent" in p or "no pixels" in p for p in v.problems["drawn"])
        b[1] += 1
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from _common import provenance, write_csv
    finally:
        sys.path.pop(0)
    meta = provenance(**_versions(),
                      what="from the keydown of ArrowRight on a focused slider to the moment the figure's pixels change "
                           "(paint: ipympl's drawImage onto the visible canvas, or the PNG widget's image load, "
                           "confirmed by a pixel check at the next animation frame) and to the change of the "
                           "words below it (words: a MutationObserver), in headless Chromium",
                      visits="; ".join(f"{nb}: {n} run(s), {k} with a blank figure" for nb, (k, n) in blank.items()),
                      suite_seconds=f"{sum(v.seconds for v in visits):.0f}")
    if rows:
        path = write_csv("jupyterlab_roundtrip", rows, meta)
        tr = session.config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            tr.write_line(f"JupyterLab round trips written to {path}")
            for row in rows:
                tr.write_line(f"  {row['notebook'][:2]} cell {row['cell']} {row['slider']}: paint median "
                              f"{row['paint_median_ms']} ms over {row['repainted']}/{row['presses']} presses, "
                              f"words {row['words_median_ms']} ms")
            tr.write_line("  blank figures: " + meta["visits"])
