/** The usage text of each command, and of the whole CLI. */
export const COMMAND_USAGE: Readonly<Record<string, string>> = Object.freeze({
  server: `cohort server [--data DIR] [--host HOST] [--grpc-port PORT] [--http-port PORT] [--advertise-host HOST]
              [--heartbeat-timeout-seconds S] [--heartbeat-sweep-interval-ms MS]
              [--redis URL --postgres URL [--prefix NAME] [--queue-shards N] [--max-queue-depth N] [--lost-job-check-ms MS]
               [--compaction-interval-ms MS]]
              [--blob-dir DIR | --blob-store s3://BUCKET/PREFIX [--s3-endpoint URL] [--s3-region R] [--s3-force-path-style]
               [--blob-redirect-seconds S]] [--blob-gc-interval-ms MS] [--blob-gc-grace-ms MS]
              [--alert-webhook URL] [--alert-slack URL] [--limit NAME=VALUE ...]
              [--auth keys|none] [--tls-cert PEM --tls-key PEM] [--rate-limit N] [--rate-burst N] [--metrics-port PORT]
    Runs an embedded coordinator (SQLite and files under DIR, default ./cohort-data).
    With --redis and --postgres (or COHORT_REDIS_URL and COHORT_POSTGRES_URL) it runs in scaled mode:
    runs live in PostgreSQL and record batches go to a BullMQ queue (Redis key prefix NAME, default cohort)
    that \`cohort worker\`s apply; --redis also takes redis+cluster://HOST:PORT,... and
    redis+sentinel://HOST:PORT/MASTER (docs/scaling.md). Prints "cohort server ready grpc=HOST:PORT http=URL data=DIR"
    (scaled: "... mode=scaled prefix=NAME") once serving; logs go to stderr.
    Ports default to 7711 (gRPC) and 7712 (HTTP, also /metrics, /healthz, /readyz); 0 picks free ones.
    --advertise-host names the host clients should dial (a load balancer). Ctrl-C or SIGTERM stops it.
    --heartbeat-timeout-seconds S (COHORT_HEARTBEAT_TIMEOUT_SECONDS, 1 to 86400, default 45): a running run
    with no heartbeat or record for S seconds is marked crashed (preempting: preempted); keep S at least twice
    the clients' heartbeat (the SDK's settings.heartbeatSeconds, default 15), or live runs are marked crashed.
    --heartbeat-sweep-interval-ms MS (COHORT_HEARTBEAT_SWEEP_INTERVAL_MS, 10 to 86400000, default 10000; 0
    turns crash detection off): how often it looks, once across coordinators; a dead run is marked within S + MS.
    In scaled mode give every coordinator the same two values.
    --auth (COHORT_AUTH): keys (every request needs an API key, see \`cohort keys\`) or none; the default is
    none on a loopback --host and keys otherwise, and none off loopback is refused. --tls-cert / --tls-key:
    serve gRPC and HTTPS with this PEM certificate and key. --rate-limit / --rate-burst: requests per second
    and burst per API key (default 50 and 200). --metrics-port (COHORT_METRICS_PORT): serve /metrics on
    127.0.0.1:PORT only; without it /metrics is on the HTTP port, behind an API key when keys are on.
    --lost-job-check-ms (COHORT_LOST_JOB_CHECK_MS): how often it looks for awaited jobs Redis lost (default 5000).
    --queue-shards N (COHORT_QUEUE_SHARDS, 1 to 256, default 1): the batch queue as N queues, on a Redis Cluster
    each in its own hash slot so they spread over the masters; every server and worker must give the same N.
    --compaction-interval-ms (COHORT_COMPACTION_INTERVAL_MS): how often small history chunks are merged, once
    across coordinators (default 10000; 0 turns it off).
    --blob-dir (COHORT_BLOB_DIR): the content-addressed file store (default DIR/blobs); in scaled mode a
    folder every coordinator mounts. --blob-store (COHORT_BLOB_STORE): S3-compatible object storage instead
    (AWS S3, GCS, MinIO, Ceph, R2; credentials and region from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
    AWS_REGION / AWS_ENDPOINT_URL or --s3-*); --blob-redirect-seconds S: downloads answer 302 to a presigned
    URL valid S seconds. --blob-gc-interval-ms / --blob-gc-grace-ms: blob garbage collection (default hourly,
    content unreferenced for a day; see \`cohort gc\`). --alert-webhook / --alert-slack (COHORT_ALERT_WEBHOOK_URL,
    COHORT_ALERT_SLACK_URL): where alerts are delivered (a JSON POST; a Slack incoming webhook).
    --limit NAME=VALUE (repeatable; COHORT_LIMITS=NAME=VALUE,...): overrides a limit, e.g. maxRunsPerProject=500,
    maxFileBytes=1GiB, maxKeysPerRecord=20000 (names and defaults: docs/SECURITY.md).`,
  worker: `cohort worker --redis URL --postgres URL [--concurrency N] [--host HOST] [--http-port PORT] [--prefix NAME]
                [--queue-shards N] [--lock-duration-ms MS] [--limit NAME=VALUE ...]
    Applies the record batches that scaled-mode coordinators queue (flags default to COHORT_REDIS_URL,
    COHORT_POSTGRES_URL and COHORT_QUEUE_PREFIX), N at once (default 4). --redis: redis://HOST:PORT, a Redis Cluster
    (redis+cluster://HOST:PORT,HOST:PORT,...; the prefix is hash-tagged, {NAME}) or a Sentinel-named master
    (redis+sentinel://HOST:PORT,.../MASTER), the same URL as the coordinators'. --queue-shards N
    (COHORT_QUEUE_SHARDS): the coordinators' count; the worker takes jobs from every shard, its --concurrency split over them.
    Serves /metrics, /healthz and /readyz on PORT (default 7713; 0 picks a free one).
    --lock-duration-ms (COHORT_LOCK_DURATION_MS, at least 1000, default 30000): a killed worker's jobs go to
    another worker this long after it died.
    --limit NAME=VALUE (repeatable; COHORT_LIMITS): the record limits job data is checked against; give the
    workers the same overrides as the coordinators.
    Prints "cohort worker ready http=URL concurrency=N" once working. Ctrl-C or SIGTERM stops it.`,
  demo: `cohort demo [--url URL] [--steps N] [--ranks N] [--project NAME] [--data DIR]
    Logs a simulated training group: N ranks, each a child process with a torchrun-like environment,
    logging at once; prints each rank's URL and the group's.
    Uses the server at --url, COHORT_URL, or http://127.0.0.1:7712 if one answers there;
    otherwise starts an embedded one on DIR (default ./cohort-data) for the duration of the demo.`,
  sync: `cohort sync DIR [--url URL]
    Uploads the write-ahead logs found under DIR (a run folder or a folder of them): offline runs, and
    what an online run left uncommitted (a killed process). Says per run: synced, up to date, nothing
    to upload, or FAILED; shows progress on a terminal. Exits 1 when DIR does not exist, a WAL is
    corrupt or the server refused something; what was intact is uploaded.`,
  keys: `cohort keys create --user NAME [--team T1,T2] [--label TEXT] [--data DIR | --postgres URL]
       cohort keys list [--user NAME] [--data DIR | --postgres URL]
       cohort keys revoke ID [--data DIR | --postgres URL]
    API keys of a server's store (DIR defaults to ./cohort-data; --postgres or COHORT_POSTGRES_URL for scaled mode).
    create makes the user (and its entity of the same name) and the teams when missing, adds the user to
    them, and prints the key (ck_<id>_<secret>) once on stdout: only its SHA-256 is stored. A key sees only
    its user's entities. list never shows secrets. revoke takes effect within the servers' key cache time (10 s).`,
  gc: `cohort gc blobs [--dry-run] [--grace-ms MS] [--data DIR | --postgres URL] [--blob-dir DIR | --blob-store s3://BUCKET/PREFIX]
                  [--s3-endpoint URL] [--s3-region R] [--s3-force-path-style]
    One pass of blob garbage collection, as the server runs it every --blob-gc-interval-ms: content that no
    artifact or run file (media included) references is marked once older than the grace period (default a day)
    and deleted once its mark is that old and it is still unreferenced; an upload or a client asking about it
    clears the mark. Prints each digest deleted (with --dry-run: that would be; nothing changes). S3 credentials
    and region: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION / AWS_ENDPOINT_URL, as for the server.`,
  k8s: `cohort k8s manifest --name N --image IMAGE --ranks R [--nodes K] [--jobset] [--url URL] [--project NAME]
                        [--grace-period S] [--pre-stop S] -- COMMAND...
    Prints an Indexed Job (or, with --jobset, a JobSet) of K pods (default R: one rank per pod) and a headless
    Service, as YAML for \`kubectl apply -f -\`. Each pod gets COHORT_URL (default http://cohort:7712), its group
    (the Job's name) and rank through the downward API; with several ranks per pod COMMAND runs under torchrun.
    terminationGracePeriodSeconds (default 30) covers the preStop wait (default 2 s) and the SDK's 10 s flush.`,
  runs: `cohort runs [--url URL] [--project NAME] [--entity NAME]
    Lists runs (id, state, name, last step) of one project, or of every project.`,
  sweep: `cohort sweep create FILE [--project P] [--entity E] [--url URL]
       cohort sweep pause|resume|stop|cancel SWEEP
    Creates a sweep from a config in W&B's format (YAML or JSON: method, metric, parameters, command,
    early_terminate, run_cap) and prints its id and URL; a bad config is refused naming every path and rule.
    pause: no new trials until resume; stop: no new trials, running ones finish; cancel: running ones are
    stopped too. SWEEP is entity/project/id, project/id, or an id with --project (docs/sweeps.md).`,
  agent: `cohort agent SWEEP [--count N] [--project P] [--interpreter PY] [--heartbeat-seconds S] [--grace-seconds S]
       cohort agent [--fd N]
    With SWEEP: runs the sweep's trials one after another (at most N), each its config's command in a process
    group of its own with COHORT_SWEEP_ID, COHORT_SWEEP_TRIAL, COHORT_SWEEP_PARAMS and COHORT_RUN_GROUP set, so
    every rank of a launcher (torchrun) joins the trial. A trial the sweep stops gets SIGTERM, then SIGKILL
    after the grace period (default 10 s). ${'${interpreter}'} is PY (COHORT_SWEEP_INTERPRETER, default python).
    With --fd: runs the TypeScript SDK for a client in another language: the Python package \`cohort\` starts it with one
    end of a Unix socket pair as file descriptor N (default 3) and hands it each Run call as a length-prefixed
    JSON frame (docs/python.md). It ends when the channel closes; a client that vanished without finishing
    leaves its run to be marked crashed once what it sent is committed.`,
});

/** The usage of the whole CLI. */
export function usage(command?: string): string {
  const known = command === undefined ? undefined : COMMAND_USAGE[command];
  if (known !== undefined) return `Usage:\n  ${known}\n`;
  return `Usage: cohort <command> [options]

Commands:
${Object.values(COMMAND_USAGE)
  .map((u) => `  ${u}`)
  .join('\n\n')}

The server URL defaults to COHORT_URL, else http://127.0.0.1:7712. Log level: COHORT_LOG_LEVEL (default info). Log format on stderr: COHORT_LOG_FORMAT=pretty|json (default: pretty lines on a terminal, JSON otherwise).
`;
}
