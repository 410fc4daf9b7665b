"""Load test: 50 concurrent users mixing reads and edits for 60 s against gunicorn on loopback.

    python benchmarks/load.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench \
                              [--users 50] [--seconds 60] [--workers 4]

It starts gunicorn with WORKERS workers on 127.0.0.1 (a free port; plain HTTP on loopback, so
the session cookie is not marked Secure), logs each
simulated user in as an admin, and for `--seconds` each user loops: open the invoice list (a
sorted page or a search), open an account, and one time in four edit one of ten shared accounts
(open the edit form, post a change with the version it loaded). Every edit ends saved (302) or
refused as stale (200 with the conflict message); anything else is an error. At the end the
saved edits are counted against the database: each saved edit bumped an account's version by
one, so no update may be lost. Traffic goes only to 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from auth.passwords import hash_password  # noqa: E402
from extensions import db  # noqa: E402
from models import Account, User  # noqa: E402

PASSWORD = "load-test-password"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
VERSION = re.compile(
    r'name="loaded_version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="loaded_version"'
)
STALE = "Someone else changed this record"
SHARED_ACCOUNTS = 10


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    saved: int = 0
    stale: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def prepare(url: str, users: int) -> list[int]:
    """Admin logins for the simulated users and the ids of the accounts they fight over."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "load"})
    with app.app_context():
        hashed = hash_password(PASSWORD)
        for number in range(users):
            email = f"load{number}@example.test"
            if db.session.scalar(sa.select(User.id).where(User.email == email)) is None:
                db.session.add(User(email=email, role="admin", password_hash=hashed))
        db.session.commit()
        return list(
            db.session.scalars(sa.select(Account.id).order_by(Account.id).limit(SHARED_ACCOUNTS))
        )


def total_versions(url: str, account_ids: list[int]) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        total = connection.scalar(
            sa.select(sa.func.sum(Account.version_id)).where(Account.id.in_(account_ids))
        )
    engine.dispose()
    return int(total)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SimulatedUser:
    def __init__(self, base: str, email: str, tally: Tally) -> None:
        self.base, self.tally = base, tally
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        page = self.fetch("/login")
        self.fetch(
            "/login",
            {"email": email, "password": PASSWORD, "csrf_token": TOKEN.search(page).group(1)},
        )

    def fetch(self, path: str, form: dict[str, str] | None = None) -> str:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, data=data, timeout=30) as response:
                body = response.read().decode()
        except urllib.error.HTTPError as error:
            with self.tally.lock:
                self.tally.errors.append(f"{error.code} {path}")
            return ""
        finally:
            with self.tally.lock:
                self.tally.latencies.append(time.perf_counter() - started)
        return body

    def edit(self, account_id: int, new_name: str) -> None:
        form_page = self.fetch(f"/admin/account/edit/?id={account_id}")
        version = VERSION.search(form_page)
        fields = dict(
            re.findall(
                r'name="(code|name|type|status|payment_terms_days)"[^>]*value="([^"]*)"', form_page
            )
        )
        fields.update(type="customer", status="enabled", name=new_name)
        fields["loaded_version"] = version.group(1) or version.group(2)
        fields["csrf_token"] = TOKEN.search(form_page).group(1)
        body = self.fetch(f"/admin/account/edit/?id={account_id}", fields)
        with self.tally.lock:
            if STALE in body:
                self.tally.stale += 1
            elif "Record was successfully saved." in body:
                self.tally.saved += 1
            else:
                self.tally.errors.append(f"edit of account {account_id} neither saved nor refused")


def run_user(base: str, number: int, account_ids: list[int], stop_at: float, tally: Tally) -> None:
    rng = random.Random(number)
    user = SimulatedUser(base, f"load{number}@example.test", tally)
    edits = 0
    while time.monotonic() < stop_at:
        user.fetch(
            rng.choice(
                ["/admin/invoice/?sort=3", "/admin/invoice/?search=INV-00", "/admin/invoice/"]
            )
        )
        user.fetch(f"/admin/account/details/?id={rng.choice(account_ids)}")
        if rng.random() < 0.25:
            edits += 1  # a name no other edit uses, so every saved edit changes the row
            user.edit(rng.choice(account_ids), f"Edited by user {number}, edit {edits}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    options = parser.parse_args()

    account_ids = prepare(options.database_url, options.users)
    versions_before = total_versions(options.database_url, account_ids)
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": options.database_url, "SECRET_KEY": "load-test"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(options.workers), "--threads", "4",
         "-b", f"127.0.0.1:{port}", "app:create_app({'SESSION_COOKIE_SECURE': False})"],
        cwd=PROJECT_ROOT, env=environment, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/login", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        tally = Tally()
        stop_at = time.monotonic() + options.seconds
        threads = [
            threading.Thread(target=run_user, args=(base, n, account_ids, stop_at, tally))
            for n in range(options.users)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)

    lost = versions_before + tally.saved - total_versions(options.database_url, account_ids)
    print(f"{options.users} users, {options.workers} gunicorn workers x 4 threads, {elapsed:.0f} s")
    print(f"requests: {len(tally.latencies)} ({len(tally.latencies) / elapsed:.1f}/s)")
    p50, p95, p99 = (percentile(tally.latencies, share) for share in (0.5, 0.95, 0.99))
    mean = statistics.mean(tally.latencies) * 1000
    print(f"latency ms: p50 {p50:.0f}, p95 {p95:.0f}, p99 {p99:.0f}, mean {mean:.0f}")
    print(f"edits: {tally.saved} saved, {tally.stale} refused as stale; lost updates: {lost}")
    print(f"errors: {len(tally.errors)} {sorted(set(tally.errors))[:5]}")


if __name__ == "__main__":
    main()
