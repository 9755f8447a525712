"""``filiere serve`` and ``filiere apikey create|list|revoke`` from the command line."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from api_support import free_port, sample_store_and_key
from click.testing import CliRunner

from filiere.cli import cli

FILIERE = str(Path(sys.executable).with_name("filiere"))


def test_apikey_create_list_revoke(tmp_path: Path) -> None:
    env = {"FILIERE_API_KEYS_FILE": str(tmp_path / "keys.json")}
    runner = CliRunner()
    created = runner.invoke(cli, ["apikey", "create", "--role", "editor", "--name", "bot"], env=env)
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("fil_")
    listed = runner.invoke(cli, ["apikey", "list", "--format", "json"], env=env)
    [key] = json.loads(listed.stdout)
    assert (key["role"], key["name"], key["revoked_at"]) == ("editor", "bot", None)
    assert token not in listed.stdout and token not in (tmp_path / "keys.json").read_text()
    revoked = runner.invoke(cli, ["apikey", "revoke", key["id"]], env=env)
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    listed = runner.invoke(cli, ["apikey", "list", "--format", "json"], env=env)
    assert json.loads(listed.stdout)[0]["revoked_at"] is not None
    missing = runner.invoke(cli, ["apikey", "revoke", "nope"], env=env)
    assert missing.exit_code == 1 and "no API key 'nope'" in missing.output
    bad_role = runner.invoke(cli, ["apikey", "create", "--role", "root"], env=env)
    assert bad_role.exit_code == 2


def test_serve_answers_over_http(tmp_path: Path) -> None:
    store_path, env, token = sample_store_and_key(tmp_path)
    port = free_port()
    cmd = [FILIERE, "--store", str(store_path), "serve", "--port", str(port), "--workers", "2"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
        auth = {"Authorization": f"Bearer {token}"}
        r = httpx.get(f"{url}/analyses/bom/CAPT", headers=auth)
        assert r.status_code == 200 and r.json()["product"] == "CAPT"
        assert httpx.get(f"{url}/items/CAPT").status_code == 401
        assert "server" not in r.headers
    finally:
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=60)[0].decode()
    assert token not in output
