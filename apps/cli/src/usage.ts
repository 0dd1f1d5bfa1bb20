/** The usage text of each command, and of the whole CLI. */
export const COMMAND_USAGE: Readonly<Record<string, string>> = Object.freeze({
  server: `cohort server [--data DIR] [--host HOST] [--grpc-port PORT] [--http-port PORT]
    Runs an embedded coordinator (SQLite and files under DIR, default ./cohort-data).
    Prints "cohort server ready grpc=HOST:PORT http=URL data=DIR" once serving; logs go to stderr.
    Ports default to 7711 (gRPC) and 7712 (HTTP); 0 picks free ones. Ctrl-C or SIGTERM stops it.`,
  demo: `cohort demo [--url URL] [--steps N] [--ranks N] [--project NAME] [--data DIR]
    Logs a simulated training run (N ranks, one after another, in one group) and prints its URL.
    Uses the server at --url, COHORT_URL, or http://127.0.0.1:7712 if one answers there;
    otherwise starts an embedded one on DIR (default ./cohort-data) for the duration of the demo.`,
  sync: `cohort sync DIR [--url URL]
    Uploads the write-ahead logs of offline runs found under DIR (a run folder or a folder of them).
    Exits 1 when a WAL is corrupt or the server refused something; what was intact is uploaded.`,
  runs: `cohort runs [--url URL] [--project NAME] [--entity NAME]
    Lists runs (id, state, name, last step) of one project, or of every project.`,
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

The server URL defaults to COHORT_URL, else http://127.0.0.1:7712. Log level: COHORT_LOG_LEVEL (default info).
`;
}
