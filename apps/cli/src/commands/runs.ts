import { httpPath, parseHttpBody, projectsSchema, runPageSchema, serverInfoSchema } from '@cohort/protocol';
import { parseFlags, readArgs, textFlag, urlFlag } from '../args.js';
import { serverUrl, type CliContext } from '../cli-context.js';
import { getJson } from '../http-json.js';
import { formatTable } from '../table.js';

/** Most projects `cohort runs` walks when no --project is given. */
const MAX_PROJECTS = 100;

/** `cohort runs`: a table of runs (id, state, name, last step) from the HTTP API. */
export async function runsCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values } = readArgs('runs', argv, { url: { type: 'string' }, project: { type: 'string' }, entity: { type: 'string' } }, false);
  if (values.help) return -1;
  const flags = parseFlags('runs', values, { url: urlFlag.optional(), project: textFlag.optional(), entity: textFlag.optional() });
  const base = serverUrl(ctx, flags.url);
  const apiKey = ctx.env['COHORT_API_KEY'];
  const get = (path: string) => getJson(`${base}${path}`, 30_000, apiKey);
  // The answers' shapes are the API's own (@cohort/protocol): a mismatch names the request and the field.
  const entity = flags.entity ?? parseHttpBody(serverInfoSchema, await get('/api/v1/info'), 'GET /api/v1/info').defaultEntity;
  const projects =
    flags.project !== undefined
      ? [flags.project]
      : parseHttpBody(projectsSchema, await get(`/api/v1/projects?entity=${encodeURIComponent(entity)}`), 'GET /api/v1/projects')
          .projects.slice(0, MAX_PROJECTS)
          .map((p) => p.project);
  const rows: string[][] = [];
  for (const project of projects) {
    // A page at a time (docs/http-api.md, "Runs").
    let cursor: string | undefined;
    do {
      const path = `${httpPath('/api/v1/runs/{entity}/{project}', { entity, project })}?limit=1000${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
      const page = parseHttpBody(runPageSchema, await get(path), `GET ${path}`);
      for (const r of page.runs) rows.push([project, r.id, r.state, r.name, r.lastStep === null ? '-' : String(r.lastStep), r.group]);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
  }
  if (rows.length === 0) {
    ctx.stdout.write(flags.project !== undefined ? `no runs in ${entity}/${flags.project}\n` : `no runs in entity ${entity}\n`);
    return 0;
  }
  ctx.stdout.write(formatTable(['PROJECT', 'ID', 'STATE', 'NAME', 'LAST STEP', 'GROUP'], rows));
  return 0;
}
