"""Benchmark: the monthly overview of a province of 5,000,000 enrollments and 300,000 paid claims.

    .venv/bin/python bench/reporting_bench.py [--users 20] [--seconds 20] [--workers 4] [--direct]
        [--skip-alternative] [--skip-load]

Reuses the synthetic province of bench/enrollment_bench.py (database `mutualaid_bench`, or
`BENCH_DATABASE`, built once) and adds to it, once, by SQL: the enrollments' creation dates
spread over 2022–2026 (so "this year" and "all years" differ), 300,000 paid claims, annual targets of the cities, a
province leader and an API client; and the province's snapshots of the two years before the
month it times, as the monthly beat would have left them. Then measures, in the same run:

1. ours: the province's roll-up of the month before the latest closed one
   (`reporting.services.snapshot_rollup`: the overview computed, its checksum, the snapshot stored; the
   snapshot of an earlier run is removed first, so every run times a real roll-up), and the
   floor, a bare `GROUP BY` of the 5,000,000 enrollments by city;
2. the province's overview of the current month and of the latest closed month (neither rolled
   up) in this process, from the running monthly figures and recomputed from the rows: timed,
   and compared field by field (the bench loads its rows with the triggers off, so the running
   figures are rebuilt from the rows once, timed, when they lag);
3. the overview page (HTML, session cookie), the overview API (token) and the leaders'
   dashboard under `--users` concurrent users, with autocannon (bench/package.json) against
   nginx in front of gunicorn's sync workers, as docker-compose.yml deploys it (nginx comes with
   `scripts/system-packages.sh --bench`; without it, gunicorn alone, see `Server`), back to back
   and at one request a second per user (each user at moments of their own, and again all in
   the same instant, the worst case: see LOAD_SCRIPT): for the month just rolled up (read from its snapshot)
   and for the current month (not rolled up: read from the running monthly figures); then the
   alternative, the current month computed from the rows as before the running figures
   (`REPORTING_FROM_ROWS=1`, a server of its own; every user loads it once, all at the same
   moment; `--skip-alternative` leaves it out). The dashboard keeps its figures for
   DASHBOARD_CACHE_SECONDS in each worker's cache (a deployment with REDIS_URL shares one):
   under load it is read from there, as leaders opening it in the same minute are. The same
   leaders' home page (the to-do page every login lands on) is loaded the same two ways.

It is a measurement, not a test: it exits 0 even when a goal is missed.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import enrollment_bench as eb  # noqa: E402  (bench/ is not a package)

DATA = eb.DATA
EXISTING = 5_000_000
CLAIMS = 300_000
PASSWORD = "Bench-Passw0rd!"  # noqa: S105 - a synthetic account of the bench database
ROLLUP_GOAL = 3.0  # seconds
P95_GOAL = 300.0  # milliseconds, a rolled-up month
CURRENT_P95_GOAL = 500.0  # milliseconds, the current month (issue 20)
PACED_P95_GOAL = 150.0  # milliseconds, a rolled-up month, 50 users each asking once a second (issue 20)
HOME_P95_GOAL = 1000.0  # milliseconds, the province leaders' home page (issue 20: no page over 1 s)
FLOOR_SQL = "SELECT substr(org_path, 1, 14), count(*), sum(premium) FROM enrollment_enrollment GROUP BY 1"


# The reporting data, added once to the province -----------------------------------------------


def prepare(province_state: dict[str, int]) -> dict[str, Any]:
    """Spread the enrollments' dates, add the paid claims, targets and accounts; reused after."""
    from claims.models import Claim
    from mutualaid.models import User
    from mutualaid.tenancy import unscoped

    state_file = DATA / f"reporting-{EXISTING}.json"
    with unscoped():
        if state_file.exists():
            state = json.loads(state_file.read_text())
            if (
                state.get("province") == province_state["province"]
                and Claim.objects.filter(number__startswith="BENCH").count() == CLAIMS
                and User.auth_objects.filter(pk=state["leader"]).exists()
            ):
                return state
        print("adding dates, 300,000 paid claims and targets to the province; this is done once…", flush=True)
        started = time.perf_counter()
        state = _prepare(province_state)
    state_file.write_text(json.dumps(state))
    print(f"  added in {time.perf_counter() - started:.0f} s", flush=True)
    return state


def _prepare(province_state: dict[str, int]) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from enrollment.models import Period
    from mutualaid.models import Organisation, OrgKind, User
    from mutualaid.services import user_create
    from reporting.models import Target

    province = Organisation.objects.get(pk=province_state["province"])
    current = Period.objects.select_related("plan").get(pk=province_state["period"])
    now = timezone.now()
    this_year = datetime(current.starts_on.year, 1, 1, tzinfo=timezone.get_current_timezone())
    first_year = datetime(current.starts_on.year - 4, 1, 1, tzinfo=timezone.get_current_timezone())
    yesterday = timezone.localdate() - timedelta(days=1)
    with transaction.atomic(), connection.cursor() as cursor:
        # Generated rows, consistent by construction: no history triggers, no per-row FK checks.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM claims_claim WHERE number LIKE 'BENCH%%'")
        # This year's period: joined from 1 January until now; last year's: over the four years
        # before. A multiplicative hash of the id spreads each unit's people over the dates.
        cursor.execute(
            """
            UPDATE enrollment_enrollment SET created_at = CASE WHEN period_id = %s
                THEN %s::timestamptz + ((id * 7919) %% %s) * interval '1 second'
                ELSE %s::timestamptz + ((id * 7919) %% %s) * interval '1 second' END
            """,
            [
                current.pk,
                this_year,
                max(1, int((now - this_year).total_seconds())),
                first_year,
                int((this_year - first_year).total_seconds()),
            ],
        )
        # One enrollment in thirteen has a paid claim: admitted, discharged, documents complete,
        # paid, all after it joined and before today; the settlement adds up to the total cost.
        cursor.execute(
            """
            INSERT INTO claims_claim (org_id, org_path, number, province_id, enrollment_id, period_id,
                review_office_id, pay_office_id, id_hash, name, id_masked, care_type, admitted_on, discharged_on, hospital,
                diagnosis_cipher, member_category, severity, illness_days, total_cost, insurance_paid,
                deductible_part, self_paid, not_covered, payee_name, bank_name, account_cipher, account_masked,
                status, version, payout, calculation, refused_reason, schedule_version, flags, needs_leader,
                documents_complete_on, target_due_on, limit_due_on, reason, registered_by_id, registered_at,
                approved_at, paid_on, notified_at, callback_outcome, callback_note, assigned_status,
                assignee_overrides)
            WITH picked AS (
                SELECT e.id, e.org_id, e.org_path, e.province_id, e.period_id, e.id_hash, e.name, e.id_masked,
                       row_number() OVER (ORDER BY e.id) AS n,
                       (e.created_at AT TIME ZONE 'Asia/Shanghai')::date AS joined
                FROM enrollment_enrollment e
                WHERE e.id %% 13 = 3 AND e.status = 'active' AND e.created_at < %(latest)s::date - 60
                ORDER BY e.id
                LIMIT %(count)s
            ), dated AS (
                SELECT p.*,
                       p.joined + 40 + ((p.n * 37) %% greatest(1, %(latest)s::date - p.joined - 40))::int AS paid,
                       1 + (p.n %% 14)::int AS stay,
                       5 + (p.n %% 20)::int AS wait,
                       round(2000 + (p.n * 7919) %% 58000 + (p.n %% 100) / 100.0, 2) AS cost
                FROM picked p
            ), money AS (
                SELECT d.*, round(d.cost * 0.5, 2) AS insured, least(1000, round(d.cost * 0.1, 2)) AS deductible,
                       round(d.cost * 0.08, 2) AS uncovered
                FROM dated d
            )
            SELECT m.org_id, m.org_path, 'BENCH' || lpad(m.n::text, 9, '0'), m.province_id, m.id, m.period_id,
                   city.id, city.id, m.id_hash, m.name, m.id_masked, 'inpatient', m.paid - m.wait - m.stay, m.paid - m.wait,
                   '基准市第' || (m.n %% 50) || '人民医院', decode(md5('d' || m.n), 'hex'), '', '', 0,
                   m.cost, m.insured, m.deductible, m.cost - m.insured - m.deductible - m.uncovered, m.uncovered,
                   m.name, '中国工商银行', decode(md5('a' || m.n), 'hex'),
                   '6222********' || lpad((m.n %% 10000)::text, 4, '0'),
                   'paid', 8, round((m.cost - m.insured - m.deductible - m.uncovered) * 0.6, 2), '[]', '', 1, '[]',
                   false, m.paid - 3, m.paid + 4, m.paid + 39, '', %(registrar)s,
                   ((m.paid - m.wait + 1) + time '10:00') AT TIME ZONE 'Asia/Shanghai',
                   ((m.paid - 2) + time '15:00') AT TIME ZONE 'Asia/Shanghai', m.paid,
                   (m.paid + time '18:00') AT TIME ZONE 'Asia/Shanghai', '', '', '', false
            FROM money m JOIN mutualaid_organisation city ON city.path = substr(m.org_path, 1, 14)
            """,
            {"latest": yesterday, "count": CLAIMS, "registrar": province_state["head"]},
        )
        inserted = cursor.rowcount
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    assert inserted == CLAIMS, inserted
    with connection.cursor() as cursor:  # the update left a dead copy of every row behind
        for table in ("enrollment_enrollment", "claims_claim"):
            cursor.execute(f"VACUUM FULL {table}")
            # VACUUM FULL leaves the visibility map empty: until autovacuum got round to it, every
            # index-only read (the dashboard's turnaround, the overview's counts) visited the table
            # too, 4-5x slower than a server that has vacuumed them as autovacuum does.
            cursor.execute(f"VACUUM ANALYZE {table}")

    cities = list(Organisation.objects.filter(parent=province, kind=OrgKind.CITY).order_by("path"))
    for year in range(first_year.year, current.starts_on.year + 1):
        for index, city in enumerate(cities):
            Target.objects.update_or_create(
                target_org=city,
                plan=current.plan,
                year=year,
                defaults={"org": province, "people": 240_000 + 5_000 * index, "premium": 12_000_000 + 250_000 * index},
            )
    leader = User.auth_objects.filter(username="bench_leader").first() or user_create(
        username="bench_leader", password=PASSWORD, org=province, roles=["office_head"]
    )
    client = User.auth_objects.filter(username="bench_api").first() or user_create(
        username="bench_api", password=PASSWORD, org=province, roles=["api_client"]
    )
    token, _created = Token.objects.get_or_create(user=client)
    return {"province": province.pk, "leader": leader.pk, "token": token.key, "claims": CLAIMS}


# 1. The roll-up and its floor ---------------------------------------------------------------


def closed_months() -> list[date]:
    """Every closed month of the data, the latest first."""
    from mutualaid.dates import last_month

    month, months = last_month(), []
    while month.year >= 2022:
        months.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    return months


def pick_months() -> tuple[date, date]:
    """The month served live (the latest closed month, never rolled up here) and the month
    rolled up and timed (the one before)."""
    latest, before = closed_months()[:2]
    return latest, before


def roll_up_history(state: dict[str, Any], fresh: date) -> None:
    """What the monthly beat would have left behind: the province's snapshots of the months the
    dashboard of `fresh` reads (from December two years before it), rolled up once and kept."""
    from mutualaid.models import Organisation, User
    from mutualaid.tenancy import org_scope, unscoped
    from reporting import services
    from reporting.models import Snapshot, SnapshotKind

    months = [m for m in closed_months() if date(fresh.year - 2, 12, 1) <= m < fresh]
    with unscoped():
        province = Organisation.objects.get(pk=state["province"])
        leader = User.auth_objects.get(pk=state["leader"])
        done = set(
            Snapshot.objects.filter(org=province, kind=SnapshotKind.MONTHLY).values_list("period_start", flat=True)
        )
    todo = [m for m in months if m not in done]
    if not todo:
        return
    print(f"rolling up {len(todo)} earlier months of the province, as the beat would have; this is done once…")
    started = time.perf_counter()
    with org_scope(province, actor_id=leader.pk):
        for month in todo:
            services.snapshot_rollup(office=province, period=month, actor=leader)
    print(f"  rolled up in {time.perf_counter() - started:.0f} s", flush=True)


def forget_snapshots(state: dict[str, Any], month: date) -> None:
    """Remove the province's snapshots of `month` left by an earlier run, so each run times a
    roll-up that stores a new one. Snapshots are immutable by trigger; this bench database
    removes them with triggers off, as no application code can."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "DELETE FROM reporting_snapshot WHERE org_id = %s AND period_start = %s", [state["province"], month]
        )


def run_rollup(state: dict[str, Any], month: date) -> dict[str, Any]:
    """The province's roll-up of `month`: the overview computed, its checksum, the snapshot stored."""
    from mutualaid.models import Organisation, User
    from mutualaid.tenancy import org_scope, unscoped
    from reporting import services

    with unscoped():
        province = Organisation.objects.get(pk=state["province"])
        leader = User.auth_objects.get(pk=state["leader"])
    target = month
    with org_scope(province, actor_id=leader.pk):
        started = time.perf_counter()
        snapshot, created = services.snapshot_rollup(office=province, period=target, actor=leader)
        elapsed = time.perf_counter() - started
    return {
        "seconds": elapsed,
        "month": target,
        "created": created,
        "rows": len(snapshot.figures["rows"]),
        "totals": snapshot.figures["totals"],
    }


def run_floor(times: int = 3) -> list[float]:
    from django.db import connection

    results = []
    with connection.cursor() as cursor:
        for _ in range(times):
            started = time.perf_counter()
            cursor.execute(FLOOR_SQL)
            cursor.fetchall()
            results.append(time.perf_counter() - started)
    return results


# 2. The pages under load --------------------------------------------------------------------

# autocannon's CLI prints fixed percentiles (p50, p90, p97.5, p99): its API reports every
# response time, from which p50, p95 and p99 are exact. Each connection is one user; for the
# page each has its own session.
#
# At a person's pace (`rate`) autocannon's connections are phase-locked: each one's once-a-second
# timer starts when the run does, so all the users ask in the same instant every second, a burst
# of 50 requests (the worst case, kept as "all at once"). People do not click in step: with
# `stagger`, each user is an autocannon run of its own (one connection, once a second) that starts
# at a moment of the first second drawn at random (seeded: the same moments in every run).
LOAD_SCRIPT = r"""
const autocannon = require('autocannon');
const cfg = JSON.parse(process.argv[1]);
const times = [];
const at = (p) => times.length ? times[Math.min(times.length - 1, Math.ceil(p / 100 * times.length) - 1)] : null;
const report = (sums, seconds) => {
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({
    p50: at(50), p95: at(95), p99: at(99), max: times.length ? times[times.length - 1] : null,
    count: times.length, ok: sums.ok, non2xx: sums.non2xx, errors: sums.errors,
    timeouts: sums.timeouts, seconds,
  }));
};
const run = (options, cookie) => new Promise((resolve, reject) => {
  const instance = autocannon({
    url: cfg.url, timeout: cfg.timeout, headers: cfg.headers, ...options,
    setupClient: (client) => { if (cookie) client.setHeaders({...cfg.headers, cookie: cookie()}); },
  }, (err, result) => err ? reject(err) : resolve(result));
  instance.on('response', (client, statusCode, bytes, responseTime) => times.push(responseTime));
});
const cookieOf = (i) => cfg.cookies.length ? () => cfg.cookies[i % cfg.cookies.length] : null;
const main = async () => {
  const length = cfg.amount ? {amount: cfg.amount} : {duration: cfg.duration};
  let results, seconds;
  if (cfg.stagger) {
    let seed = 20261207;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const offsets = Array.from({length: cfg.connections}, () => Math.floor(random() * 1000));
    results = await Promise.all(offsets.map((offset, i) => new Promise((resolve) => setTimeout(resolve, offset))
      .then(() => run({connections: 1, connectionRate: 1, ...length}, cookieOf(i)))));
    seconds = Math.max(...results.map((r) => r.duration));
  } else {
    let next = 0;
    const cookie = cfg.cookies.length ? () => cfg.cookies[next++ % cfg.cookies.length] : null;
    results = [await run({connections: cfg.connections, ...length, ...(cfg.rate ? {connectionRate: cfg.rate} : {})}, cookie)];
    seconds = results[0].duration;
  }
  const sum = (key) => results.reduce((total, r) => total + r[key], 0);
  report({ok: sum('2xx'), non2xx: sum('non2xx'), errors: sum('errors'), timeouts: sum('timeouts')}, seconds);
};
main().catch((err) => { console.error(err); process.exit(1); });
"""


def ensure_load_tool() -> None:
    if not (BENCH / "node_modules" / "autocannon").exists():
        print("installing autocannon (npm ci --prefix bench)…", flush=True)
        subprocess.run(["npm", "ci", "--prefix", str(BENCH), "--no-audit", "--no-fund"], check=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


NGINX_CONF = """
worker_processes 1;
pid {data}/nginx.pid;
error_log {data}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {data}/body; proxy_temp_path {data}/proxy; fastcgi_temp_path {data}/fastcgi;
  uwsgi_temp_path {data}/uwsgi; scgi_temp_path {data}/scgi;
  upstream app {{ server unix:{data}/gunicorn.sock; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://app;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto http;
      proxy_read_timeout 900s;
    }}
  }}
}}
"""


class Server:
    """The application as the load sees it.

    With nginx on the machine (`scripts/system-packages.sh --bench`), as an office deploys it
    (docker-compose.yml): gunicorn's sync workers behind a reverse proxy that keeps the clients'
    connections and hands each request to the next free worker. Without it (or with `--direct`),
    gunicorn alone with threaded workers, which keep the connections themselves (sync workers close
    every connection, and autocannon then mismeasures): which worker holds which of the users'
    connections is then the kernel's choice, and the fullest worker's users wait."""

    def __init__(self, url: str, *, workers: int, users: int, direct: bool, from_rows: bool = False) -> None:
        self.proxied = not direct and shutil.which("nginx") is not None
        self.workers = workers
        self.threads = 1 if self.proxied else -(-users // workers)
        self.data = DATA / "server"
        self.data.mkdir(parents=True, exist_ok=True)
        self.socket = self.data / "gunicorn.sock"
        self.socket.unlink(missing_ok=True)
        env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
        env.update(
            DATABASE_URL=url,
            DJANGO_SETTINGS_MODULE="config.settings",
            MUTUALAID_TESTING="1",
            ALLOWED_HOSTS="127.0.0.1",
            HTTPS_ONLY="0",
            # The alternative: a month not rolled up computed from the rows, as before the running
            # monthly figures.
            REPORTING_FROM_ROWS="1" if from_rows else "",
        )
        port = free_port()
        bind = f"unix:{self.socket}" if self.proxied else f"127.0.0.1:{port}"
        kind = (
            ["--worker-class", "sync"]
            if self.proxied
            else ["--worker-class", "gthread", "--threads", str(self.threads)]
        )
        self.app = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "config.wsgi",
                *("--bind", bind, "--workers", str(workers), *kind),
                *("--timeout", "600", "--log-level", "warning"),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(DATA / "gunicorn.log", "ab"),  # noqa: SIM115 - closed with the process
        )
        self.proxy: subprocess.Popen[bytes] | None = None
        if self.proxied:  # gunicorn listens on the socket, nginx on the port
            conf = self.data / "nginx.conf"
            conf.write_text(NGINX_CONF.format(data=self.data, port=port))
            self.proxy = subprocess.Popen(
                ["nginx", "-c", str(conf), "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        self.base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=5):  # noqa: S310 - our own server
                    return
            except OSError:
                if self.app.poll() is not None or (self.proxy and self.proxy.poll() is not None):
                    self.stop()
                    raise SystemExit("the server did not start: see bench/data/gunicorn.log") from None
                time.sleep(0.2)
        self.stop()
        raise SystemExit("the server did not answer within two minutes")

    def describe(self) -> str:
        if self.proxied:
            return f"nginx in front of gunicorn, {self.workers} sync workers (as docker-compose.yml deploys it)"
        return (
            f"gunicorn alone, {self.workers} workers x {self.threads} threads (no nginx on this machine, or --direct)"
        )

    def stop(self) -> None:
        for process in (self.proxy, self.app):
            if process is None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def leaders(state: dict[str, Any], count: int) -> list[tuple[str, str]]:
    """`count` leaders of the province (bench_leader_1…), each with a confirmed authenticator:
    the office head approves payments, so the login asks for a code. Returns (username, key)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from mutualaid.models import Organisation, User
    from mutualaid.services import user_create
    from mutualaid.tenancy import unscoped

    found = []
    with unscoped():
        province = Organisation.objects.get(pk=state["province"])
        for n in range(1, count + 1):
            username = f"bench_leader_{n}"
            user = User.auth_objects.filter(username=username).first() or user_create(
                username=username, password=PASSWORD, org=province, roles=["office_head"]
            )
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
                user=user, name="bench", confirmed=True
            )
            found.append((username, device.key))
    return found


def _code(key: str) -> str:
    from django_otp.oath import totp

    return f"{totp(bytes.fromhex(key)):06d}"


class _Stay(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: the login only needs where each step sends the user (the home
    page it ends on is not what the bench measures)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _post_form(opener: urllib.request.OpenerDirector, url: str, fields: dict[str, str]) -> str:
    """GET the form at `url`, POST `fields` with its CSRF token; returns where the answer sends
    the user."""
    with opener.open(url, timeout=30) as response:
        form = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token, f"no CSRF token on {url}"
    body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token.group(1)}).encode()
    try:
        with opener.open(url, data=body, timeout=30) as response:
            response.read()
            return str(response.geturl())
    except urllib.error.HTTPError as answer:
        if answer.code not in (302, 303):
            raise
        return urllib.parse.urljoin(url, answer.headers["Location"])


def login(base: str, username: str, key: str) -> str:
    """A real login through the login form and the code page; returns the session's Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _Stay())
    landed = _post_form(opener, f"{base}/accounts/login/", {"username": username, "password": PASSWORD})
    if "/accounts/otp/" in landed:
        landed = _post_form(opener, landed, {"token": _code(key)})
    assert "/accounts/" not in urllib.parse.urlparse(landed).path, f"the login of {username} ended on {landed}"
    cookies = {cookie.name: cookie.value for cookie in jar}
    assert "sessionid" in cookies, "the login did not give a session"
    return f"sessionid={cookies['sessionid']}"


def fetch(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - our own server
    with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
        return response.status, response.read()


def load(url: str, *, users: int, cookies: list[str], headers: dict[str, str], **mode: int) -> dict[str, Any]:
    config = {"url": url, "connections": users, "timeout": 600, "headers": headers, "cookies": cookies, **mode}
    done = subprocess.run(
        ["node", "-e", LOAD_SCRIPT, json.dumps(config)],
        cwd=BENCH,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["rps"] = result["count"] / result["seconds"] if result["seconds"] else 0.0
    return result


def run_pages(
    url: str,
    state: dict[str, Any],
    *,
    current: date,
    frozen: date,
    users: int,
    seconds: int,
    workers: int,
    direct: bool,
    alternative: bool,
) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    """Page, API and dashboard: for the month rolled up (read from its snapshot) and for the
    current month (not rolled up: read from the running monthly figures), back to back and at a
    person's pace; then, with `alternative`, the current month computed from the rows as before
    the running figures (`REPORTING_FROM_ROWS=1`, a server of its own), every user once, all at
    the same moment (each request takes seconds)."""
    from django.urls import reverse

    from mutualaid.tenancy import unscoped
    from reporting.models import Snapshot

    with unscoped():
        frozen_figures = (
            Snapshot.objects.filter(org_id=state["province"], period_start=frozen).order_by("-revision").first()
        )
    assert frozen_figures is not None, frozen
    dashboard_path = reverse("reporting:dashboard")
    ensure_load_tool()
    office = state["province"]
    api_headers = {"authorization": f"Token {state['token']}", "accept": "application/json"}

    def cases(month: date, cookies: list[str]) -> list[tuple[str, str, list[str], dict[str, str]]]:
        query = f"?office={office}&month={month:%Y-%m}"
        return [
            ("page", f"/reporting/overview/{query}", cookies, {}),
            ("API", f"/api/v1/reporting/overview/{query}", [], api_headers),
            ("dashboard", f"{dashboard_path}{query}", cookies, {}),
        ]

    results: list[tuple[str, dict[str, Any]]] = []
    server = Server(url, workers=workers, users=users, direct=direct)
    base = server.base
    described = server.describe()
    print(f"  server: {described}", flush=True)
    try:
        cookies = [login(base, username, key) for username, key in leaders(state, users)]
        for label, month in (("snapshot", frozen), ("current", current)):
            for kind, path, case_cookies, headers in cases(month, cookies):
                name = f"{kind}, {label} {month:%Y-%m}"
                # One request first: it must succeed, and the API must serve the snapshot's figures
                # for the month rolled up, the running figures (not the snapshot's) for the current.
                first = {"cookie": case_cookies[0]} if case_cookies else headers
                status, body = fetch(base + path, first)
                assert status == 200, (name, status)
                if kind == "API":
                    assert (json.loads(body) == frozen_figures.figures) == (label == "snapshot"), name
                # A few seconds of warming up (each worker's first request opens its connection).
                load(base + path, users=users, cookies=case_cookies, headers=headers, duration=3)
                print(f"  load: {name} …", flush=True)
                results.append(
                    (name, load(base + path, users=users, cookies=case_cookies, headers=headers, duration=seconds))
                )
                # The same users at a human pace: each asks once a second rather than back to back,
                # at moments of their own, and (the worst case) all in the same instant.
                paced = load(
                    base + path, users=users, cookies=case_cookies, headers=headers, duration=seconds, stagger=1
                )
                results.append((f"{name}, 1/s each", paced))
                burst = load(base + path, users=users, cookies=case_cookies, headers=headers, duration=seconds, rate=1)
                results.append((f"{name}, 1/s all at once", burst))
        results += run_home(base, cookies, users=users, seconds=seconds)
    finally:
        server.stop()
    if not alternative:
        return described, results
    server = Server(url, workers=workers, users=users, direct=direct, from_rows=True)
    base = server.base
    try:
        cookies = [login(base, username, key) for username, key in leaders(state, users)]
        for kind, path, case_cookies, headers in cases(current, cookies):
            name = f"{kind}, current {current:%Y-%m} from the rows"
            print(f"  load: {name} (the alternative) …", flush=True)
            results.append((name, load(base + path, users=users, cookies=case_cookies, headers=headers, amount=users)))
    finally:
        server.stop()
    return described, results


def run_home(base: str, cookies: list[str], *, users: int, seconds: int) -> list[tuple[str, dict[str, Any]]]:
    """The home page (the to-do page every login lands on) of the province's leaders: what waits
    for them in the province (lists, claims, payments, remittances held back below, roll-ups not
    in, findings) and the office's figures; back to back and at a person's pace."""
    name = "home page (to-do)"
    status, body = fetch(base + "/", {"cookie": cookies[0]})
    assert status == 200 and b'data-testid="todo"' in body, (name, status)
    load(base + "/", users=users, cookies=cookies, headers={}, duration=3)
    print(f"  load: {name} …", flush=True)
    return [
        (name, load(base + "/", users=users, cookies=cookies, headers={}, duration=seconds)),
        (f"{name}, 1/s each", load(base + "/", users=users, cookies=cookies, headers={}, duration=seconds, stagger=1)),
        (
            f"{name}, 1/s all at once",
            load(base + "/", users=users, cookies=cookies, headers={}, duration=seconds, rate=1),
        ),
    ]


def check_running_figures(state: dict[str, Any], months: list[date]) -> list[dict[str, Any]]:
    """The province's overview of each month from the running figures and recomputed from the
    rows, timed in this process: they must be equal. Rows the bench loaded with the triggers off
    (its own bulk loads) leave the running figures behind: they are rebuilt first, once, and
    timed."""
    from mutualaid.models import Organisation
    from mutualaid.tenancy import org_scope, unscoped
    from reporting import running
    from reporting.overview import overview

    with unscoped():
        province = Organisation.objects.get(pk=state["province"])
    checks = []
    with org_scope(province):
        for month in months:
            started = time.perf_counter()
            rows = overview(node=province, month=month, from_rows=True)
            from_rows = time.perf_counter() - started
            started = time.perf_counter()
            kept = overview(node=province, month=month, from_rows=False)
            from_running = time.perf_counter() - started
            if kept != rows and not checks:
                started = time.perf_counter()
                written = running.rebuild()
                print(
                    f"  the running figures lagged the rows the bench loaded with the triggers off: "
                    f"rebuilt ({written:,} rows) in {time.perf_counter() - started:.1f} s",
                    flush=True,
                )
                started = time.perf_counter()
                kept = overview(node=province, month=month, from_rows=False)
                from_running = time.perf_counter() - started
            checks.append({"month": month, "equal": kept == rows, "rows": from_rows, "running": from_running})
    return checks


# Report --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20, help="concurrent users (connections)")
    parser.add_argument("--seconds", type=int, default=20, help="length of each load on a snapshot")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument(
        "--direct", action="store_true", help="gunicorn alone with threaded workers, even where nginx is installed"
    )
    parser.add_argument("--skip-load", action="store_true", help="only the roll-up and its floor")
    parser.add_argument(
        "--skip-alternative",
        action="store_true",
        help="not the current month computed from the rows (20 users at once take minutes)",
    )
    args = parser.parse_args()
    if not args.skip_load and not shutil.which("node"):
        raise SystemExit("node is needed for the load tool (autocannon)")
    DATA.mkdir(parents=True, exist_ok=True)
    url = eb._database_url()
    eb._ensure_database_exists(url)
    eb._setup_django(url)
    state = prepare(eb.build_province(EXISTING))

    from mutualaid import dates

    load_before = os.getloadavg()[0]
    current = dates.month_start(dates.business_today())
    latest, fresh = pick_months()
    roll_up_history(state, fresh)
    forget_snapshots(state, fresh)
    checks = check_running_figures(state, [current, latest])
    floor_times = run_floor(4)[1:]  # the first read brings the table into memory
    rollup = run_rollup(state, fresh)
    floor = min(floor_times)
    server, pages = (
        ("", [])
        if args.skip_load
        else run_pages(
            url,
            state,
            current=current,
            frozen=rollup["month"],
            users=args.users,
            seconds=args.seconds,
            workers=args.workers,
            direct=args.direct,
            alternative=not args.skip_alternative,
        )
    )

    total = rollup["totals"][0] if rollup["totals"] else {}
    print()
    print(
        f"machine: {os.cpu_count()} cores, load average {load_before:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end (other work on it slows every figure below alike)"
    )
    print(
        f"province: {EXISTING:,} enrollments, {CLAIMS:,} paid claims; "
        f"{rollup['month']:%Y-%m}: {total.get('people_all', 0):,} people, {total.get('claims_all', 0):,} claims "
        f"paid so far, {total.get('people_year', 0):,} people this year"
    )
    print(f"{'':58} {'seconds':>9}")
    how = "snapshot stored" if rollup["created"] else "unchanged"
    print(f"ours: roll-up of the province, {rollup['month']:%Y-%m} ({how})".ljust(58) + f" {rollup['seconds']:9.2f}")
    print(
        "floor: GROUP BY city over the enrollments (best of 3)".ljust(58)
        + f" {floor:9.2f}   (runs: {', '.join(f'{t:.2f}' for t in floor_times)})"
    )
    print(f"ours / floor: {rollup['seconds'] / floor:.1f}x")
    print()
    print("the province's overview of a month not rolled up, in this process (no server):")
    for check in checks:
        print(
            f"  {check['month']:%Y-%m}: from the running figures {check['running'] * 1000:.0f} ms, "
            f"recomputed from the rows {check['rows']:.2f} s; "
            f"{'equal, every field' if check['equal'] else 'DIFFERENT'}"
        )
    if pages:
        print()
        print(f"{args.users} concurrent users, autocannon; {server}")
        print(f"{'':52} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8} {'requests':>9} {'failed':>7}")
        for label, result in pages:
            failed = result["non2xx"] + result["errors"] + result["timeouts"]
            print(
                f"{label:52} {result['p50']:8.0f} {result['p95']:8.0f} {result['p99']:8.0f} "
                f"{result['rps']:8.1f} {result['count']:9d} {failed:7d}"
            )
    print()
    verdict = "met" if rollup["seconds"] < ROLLUP_GOAL else "MISSED"
    print(
        f"goal 1, roll-up under {ROLLUP_GOAL:.0f} s: {verdict} ({rollup['seconds']:.2f} s, {rollup['seconds'] / floor:.1f}x the floor)"
    )
    if pages:
        back_to_back = [(label, r) for label, r in pages if "1/s" not in label and "from the rows" not in label]
        for goal, which in ((P95_GOAL, "snapshot"), (CURRENT_P95_GOAL, "current")):
            served = [(label, r) for label, r in back_to_back if which in label]
            worst = max(served, key=lambda item: item[1]["p95"])
            ok = all(r["p95"] < goal and not (r["non2xx"] + r["errors"] + r["timeouts"]) for _label, r in served)
            print(
                f"goal, page, API and dashboard of the {which} month, p95 under {goal:.0f} ms with {args.users} "
                f"users back to back: {'met' if ok else 'MISSED'} (worst p95 {worst[1]['p95']:.0f} ms, {worst[0]})"
            )
        home = [r for label, r in back_to_back if label.startswith("home page")]
        if home:
            ok = home[0]["p95"] < HOME_P95_GOAL and not (home[0]["non2xx"] + home[0]["errors"] + home[0]["timeouts"])
            print(
                f"goal, the province leaders' home page, p95 under {HOME_P95_GOAL:.0f} ms with {args.users} users "
                f"back to back: {'met' if ok else 'MISSED'} ({home[0]['p95']:.0f} ms)"
            )
        paced_served = [(label, r) for label, r in pages if "snapshot" in label and label.endswith("1/s each")]
        if paced_served:
            worst = max(paced_served, key=lambda item: item[1]["p95"])
            ok = all(
                r["p95"] < PACED_P95_GOAL and not (r["non2xx"] + r["errors"] + r["timeouts"]) for _l, r in paced_served
            )
            print(
                f"goal, page, API and dashboard of the snapshot month, p95 under {PACED_P95_GOAL:.0f} ms with "
                f"{args.users} users each asking once a second: {'met' if ok else 'MISSED'} "
                f"(worst p95 {worst[1]['p95']:.0f} ms, {worst[0]})"
            )
        for kind, note in (
            ("1/s each", "each at moments of their own"),
            ("1/s all at once", "all in the same instant"),
        ):
            paced = ", ".join(
                f"{label.rsplit(',', 1)[0]} {r['p95']:.0f} ms" for label, r in pages if label.endswith(kind)
            )
            print(f"  the same users asking once a second each ({note}): p95 {paced}")
        rows = ", ".join(
            f"{label.split(',')[0]} {r['p95'] / 1000:.1f} s" for label, r in pages if "from the rows" in label
        )
        if rows:
            print(f"  the alternative, the current month computed from the rows (20 users at once): p95 {rows}")
    if not all(check["equal"] for check in checks):
        print("the running figures DIFFER from the rows: see above")


if __name__ == "__main__":
    main()
