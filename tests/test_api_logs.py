"""``filiere serve``'s access log never holds a credential, even one sent in the URL."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from api_support import free_port, sample_store_and_key

FILIERE = str(Path(sys.executable).with_name("filiere"))


def test_the_access_log_masks_keys_and_tokens_in_urls(tmp_path: Path) -> None:
    store_path, env, token = sample_store_and_key(tmp_path)
    secret = token.split("_", 2)[2]
    port = free_port()
    log = tmp_path / "serve.log"
    cmd = [FILIERE, "--store", str(store_path), "serve", "--port", str(port)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        sent = {
            f"/items?key={token}": 401,
            f"/items?api_key={token}&limit=2": 401,
            f"/search?q=aimant&apikey={secret}": 401,
            f"/items?token={secret}": 401,
            f"/items?Access_Token={secret}&X-Api-Key={secret}": 401,
            f"/health?password={secret}": 200,
            f"/items/{token}": 401,
        }
        for path, status in sent.items():
            assert httpx.get(url + path).status_code == status, path
        auth = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{url}/items/AIM?session={secret}", headers=auth).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
    text = log.read_text(encoding="utf-8")
    assert text.count('"GET /') >= len(sent) + 2  # the access log ran: the startup poll too
    assert secret not in text and token not in text
    assert "GET /items?api_key=***&limit=2" in text
    assert "GET /items/AIM?session=***" in text
