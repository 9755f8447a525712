"""Run the real Neo4j Community engine (embedded DBMS + Bolt on 127.0.0.1) without Docker.

Maven only resolves the Neo4j jars (cached in ``~/.m2`` and copied to the engine cache);
``javac`` compiles the one-file launcher ``java/FiliereNeo4j.java``. The JVM runs detached,
its stdout/stderr go to ``<home>/neo4j.log`` and its state is recorded in ``<home>/server.json``.

Transactions get memory limits sized from the heap (:func:`memory_limits`), so that one
query that builds a huge value fails alone instead of exhausting the JVM's heap.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from filiere.errors import FiliereError
from filiere.i18n import _

NEO4J_VERSION = "5.26.31"  # keep in sync with java/pom.xml
MAIN_CLASS = "FiliereNeo4j"
DEFAULT_USER = "neo4j"
DEFAULT_PASSWORD = "filiere-dev"
PASSWORD_ENV = "FILIERE_NEO4J_PASSWORD"

_JAVA_DIR = Path(__file__).resolve().parent / "java"
_STAMP = "stamp.txt"
_SERVER_JSON = "server.json"
_READY_FILE = "ready"
_LOG_FILE = "neo4j.log"
_DB_DIR = "db"
#: Left by a bulk import: the next start creates the schema's constraints, then removes it.
SCHEMA_PENDING = "schema-pending"
_JVM_OPTS = [
    "-XX:+UseG1GC",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.attach.allowAttachSelf=true",
    "-Dfile.encoding=UTF-8",
]

#: Share of the heap one transaction may use (``db.memory.transaction.max``) and all
#: transactions together (``dbms.memory.transaction.total.max``): the rest is left to
#: Neo4j itself (query plans, Bolt buffers, the page cache's own structures).
TX_MEMORY_SHARE = 0.25
TX_MEMORY_TOTAL_SHARE = 0.6
_UNITS = {"k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}

# Children started by this process: kept referenced so Popen never warns "still running".
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class Neo4jLauncherError(FiliereError):
    """The local Neo4j engine could not be built, started or stopped."""


@dataclass
class Neo4jServer:
    """A running local Neo4j server."""

    uri: str
    pid: int
    home: Path
    user: str
    password: str

    @property
    def port(self) -> int:
        """The Bolt port."""
        return int(self.uri.rsplit(":", 1)[1])

    @property
    def auth(self) -> tuple[str, str]:
        """``(user, password)`` for ``GraphDatabase.driver(uri, auth=...)``."""
        return (self.user, self.password)


# --------------------------------------------------------------------------- paths


def default_home() -> Path:
    """``$FILIERE_NEO4J_HOME`` or ``~/.local/share/filiere/neo4j``."""
    env = os.environ.get("FILIERE_NEO4J_HOME")
    return Path(env).expanduser() if env else Path.home() / ".local/share/filiere/neo4j"


def cache_dir() -> Path:
    """``$FILIERE_NEO4J_CACHE`` or ``~/.cache/filiere/neo4j-<version>``."""
    env = os.environ.get("FILIERE_NEO4J_CACHE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "filiere" / f"neo4j-{NEO4J_VERSION}"


def _home(home: Path | str | None) -> Path:
    return (Path(home).expanduser() if home is not None else default_home()).resolve()


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _text_tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``lock_path`` (created if missing)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _which(tool: str) -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and tool in ("java", "javac"):
        candidate = Path(java_home) / "bin" / tool
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(tool)
    if not found:
        hint = "install Maven" if tool == "mvn" else "install a JDK 17+ (or set JAVA_HOME)"
        raise Neo4jLauncherError(f"{tool!r} not found on PATH: {hint}")
    return found


def size_bytes(size: str) -> int:
    """Bytes in a JVM-style size: ``512m``, ``1g``, ``1G``, ``65536``.

    >>> size_bytes("1g"), size_bytes("512M"), size_bytes("4096")
    (1073741824, 536870912, 4096)
    """
    text = size.strip().lower().removesuffix("b")
    unit = _UNITS.get(text[-1:], 1)
    digits = text[:-1] if unit > 1 else text
    if not digits.isdigit() or int(digits) <= 0:
        raise Neo4jLauncherError(f"{size!r} is not a memory size (e.g. 512m, 2g)")
    return int(digits) * unit


def memory_limits(heap: str) -> tuple[str, str]:
    """Per-transaction and total transaction memory limits for a heap of ``heap``.

    >>> memory_limits("1g")
    ('256m', '614m')
    >>> memory_limits("4g")
    ('1024m', '2457m')
    """
    total = size_bytes(heap)
    one = int(total * TX_MEMORY_SHARE) // _UNITS["m"]
    every = int(total * TX_MEMORY_TOTAL_SHARE) // _UNITS["m"]
    return f"{max(one, 16)}m", f"{max(every, 32)}m"


# --------------------------------------------------------------------------- engine build


def _source_stamp() -> str:
    digest = hashlib.sha256()
    for name in ("pom.xml", f"{MAIN_CLASS}.java"):
        digest.update((_JAVA_DIR / name).read_bytes())
    return f"neo4j {NEO4J_VERSION}\nsource-sha256 {digest.hexdigest()}\n"


def _engine_ready(cache: Path, stamp: str) -> bool:
    try:
        current = (cache / _STAMP).read_text(encoding="utf-8")
    except OSError:
        return False
    return current == stamp and (cache / "classes" / f"{MAIN_CLASS}.class").is_file()


def _run(cmd: list[str], what: str, cwd: Path) -> None:
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise Neo4jLauncherError(f"{what} could not run ({cmd[0]}): {exc}") from exc
    if proc.returncode != 0:
        output = _text_tail(proc.stdout + "\n" + proc.stderr)
        raise Neo4jLauncherError(
            f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{output}"
        )


def ensure_engine(*, quiet: bool = False) -> Path:
    """Resolve the Neo4j jars and compile the launcher once; return the cache dir."""
    cache = cache_dir()
    stamp = _source_stamp()
    if _engine_ready(cache, stamp):
        return cache

    def say(msg: str) -> None:
        if not quiet:
            print(f"[filiere.neo4j_local] {msg}", file=sys.stderr, flush=True)

    cache.parent.mkdir(parents=True, exist_ok=True)
    with _locked(cache.parent / f".{cache.name}.lock"):
        if _engine_ready(cache, stamp):  # built by another process meanwhile
            return cache
        mvn, javac = _which("mvn"), _which("javac")
        build = Path(tempfile.mkdtemp(prefix=f".{cache.name}.build-", dir=cache.parent))
        try:
            shutil.copy2(_JAVA_DIR / "pom.xml", build / "pom.xml")
            started = time.monotonic()
            say(f"first setup: resolving Neo4j {NEO4J_VERSION} jars with Maven (a minute or two)")
            cmd = [mvn, "-B", "-q", "-f", str(build / "pom.xml")]
            repo_local = os.environ.get("MAVEN_REPO_LOCAL")
            if repo_local:
                cmd.append(f"-Dmaven.repo.local={repo_local}")
            cmd += [
                "dependency:copy-dependencies",
                f"-DoutputDirectory={build / 'lib'}",
                "-DincludeScope=runtime",
            ]
            _run(cmd, "Maven dependency resolution", build)
            say(f"compiling {MAIN_CLASS}.java")
            javac_cmd = [
                javac, "--release", "17", "-nowarn", "-encoding", "UTF-8",
                "-cp", str(build / "lib" / "*"), "-d", str(build / "classes"),
                str(_JAVA_DIR / f"{MAIN_CLASS}.java"),
            ]  # fmt: skip
            _run(javac_cmd, "javac", build)
            (build / _STAMP).write_text(stamp, encoding="utf-8")
            if cache.exists():
                trash = cache.with_name(f".{cache.name}.old-{os.getpid()}")
                cache.rename(trash)
                shutil.rmtree(trash, ignore_errors=True)
            build.rename(cache)
            say(f"engine ready in {cache} ({time.monotonic() - started:.0f}s)")
        finally:
            if build.exists():
                shutil.rmtree(build, ignore_errors=True)
    return cache


# --------------------------------------------------------------------------- processes


def _pid_alive(pid: int) -> bool:
    """True if ``pid`` runs our Java launcher (reaps it if it is our exited child)."""
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        del _CHILDREN[pid]
        return False
    with contextlib.suppress(ChildProcessError, OSError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # someone else's process: not ours
    proc = Path(f"/proc/{pid}")
    if proc.is_dir():
        try:
            stat = (proc / "stat").read_text()
            if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                return False
            return MAIN_CLASS.encode() in (proc / "cmdline").read_bytes()
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _read_server(home: Path) -> Neo4jServer | None:
    try:
        data = json.loads((home / _SERVER_JSON).read_text(encoding="utf-8"))
        return Neo4jServer(
            uri=str(data["uri"]),
            pid=int(data["pid"]),
            home=home,
            user=str(data["user"]),
            password=str(data["password"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_server(server: Neo4jServer) -> None:
    data = asdict(server)
    data["home"] = str(server.home)
    path = server.home / _SERVER_JSON
    tmp = path.with_name(f".{_SERVER_JSON}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds the password
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
    tmp.replace(path)


def _forget(home: Path) -> None:
    for name in (_SERVER_JSON, _READY_FILE):
        with contextlib.suppress(FileNotFoundError):
            (home / name).unlink()


def status(home: Path | str | None = None) -> Neo4jServer | None:
    """The server recorded in ``home``, or None when not running (stale records removed)."""
    root = _home(home)
    server = _read_server(root)
    if server is None:
        if (root / _SERVER_JSON).exists():
            _forget(root)
        return None
    if _pid_alive(server.pid):
        return server
    _forget(root)
    return None


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _pid_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def _kill(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def start(
    home: Path | str | None = None,
    *,
    port: int | None = None,
    heap: str = "1g",
    pagecache: str = "256m",
    password: str = DEFAULT_PASSWORD,
    timeout: float = 180.0,
    tx_timeout: str = "60s",
    tx_memory: str | None = None,
    tx_memory_total: str | None = None,
) -> Neo4jServer:
    """Start Neo4j in ``home`` (or return the server already running there).

    ``tx_memory`` and ``tx_memory_total`` default to :func:`memory_limits` of ``heap``.
    """
    if not password:
        raise Neo4jLauncherError("the Neo4j password must not be empty")
    one, every = memory_limits(heap)
    tx_memory = tx_memory or one
    tx_memory_total = tx_memory_total or every
    for size in (tx_memory, tx_memory_total):
        size_bytes(size)
    root = _home(home)
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / ".launcher.lock"):
        running = status(root)
        if running is not None:
            return running
        cache = ensure_engine()
        java = _which("java")
        bolt_port = port if port is not None else _free_port()
        ready = root / _READY_FILE
        log = root / _LOG_FILE
        _forget(root)
        cmd = [
            java, f"-Xmx{heap}", *_JVM_OPTS,
            "-cp", f"{cache / 'classes'}{os.pathsep}{cache / 'lib' / '*'}",
            MAIN_CLASS,
            "--home", str(root / _DB_DIR),
            "--port", str(bolt_port),
            "--ready-file", str(ready),
            "--pagecache", pagecache,
            "--tx-timeout", tx_timeout,
            "--tx-memory", tx_memory,
            "--tx-memory-total", tx_memory_total,
        ]  # fmt: skip
        env = dict(os.environ)
        env[PASSWORD_ENV] = password
        with open(log, "ab") as log_fh:
            log_fh.write(f"\n=== filiere: starting Neo4j on port {bolt_port} ===\n".encode())
            log_fh.flush()
            try:
                proc = subprocess.Popen(
                    cmd,
                    cwd=root,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log_fh,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    close_fds=True,
                )
            except OSError as exc:
                raise Neo4jLauncherError(f"cannot start java ({java}): {exc}") from exc
        _CHILDREN[proc.pid] = proc
        server = Neo4jServer(
            uri=f"bolt://127.0.0.1:{bolt_port}",
            pid=proc.pid,
            home=root,
            user=DEFAULT_USER,
            password=password,
        )
        _write_server(server)
        deadline = time.monotonic() + timeout
        while not ready.is_file():
            code = proc.poll()
            if code is not None:
                _forget(root)
                raise Neo4jLauncherError(
                    f"Neo4j exited with status {code} before it was ready; "
                    f"last lines of {log}:\n{_tail(log)}"
                )
            if time.monotonic() >= deadline:
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(15)
                _forget(root)
                raise Neo4jLauncherError(
                    f"Neo4j not ready after {timeout:.0f}s; last lines of {log}:\n{_tail(log)}"
                )
            time.sleep(0.1)
        _create_pending_schema(server)
        return server


def _create_pending_schema(server: Neo4jServer) -> None:
    """After a bulk import, create the schema's constraints (the import tool does not)."""
    marker = server.home / SCHEMA_PENDING
    if not marker.exists():
        return
    import neo4j

    from filiere.graph.schema import constraints_cypher

    try:
        with neo4j.GraphDatabase.driver(server.uri, auth=server.auth) as driver:
            for stmt in constraints_cypher():
                driver.execute_query(stmt, database_="neo4j")
    except neo4j.exceptions.Neo4jError as exc:
        raise Neo4jLauncherError(
            _(
                "Neo4j started at {uri} but the constraints of the imported graph could not "
                "be created: {error}"
            ).format(uri=server.uri, error=exc)
        ) from exc
    marker.unlink()


def stop(home: Path | str | None = None, *, timeout: float = 60.0) -> bool:
    """Stop the server in ``home`` (SIGTERM, then SIGKILL); True if it was running."""
    root = _home(home)
    if not root.is_dir():
        return False
    with _locked(root / ".launcher.lock"):
        server = status(root)
        if server is None:
            return False
        _kill(server.pid, signal.SIGTERM)
        if not _wait_gone(server.pid, timeout):
            _kill(server.pid, signal.SIGKILL)
            if not _wait_gone(server.pid, 15.0):
                raise Neo4jLauncherError(f"Neo4j (pid {server.pid}) survived SIGKILL")
        _forget(root)
        return True
