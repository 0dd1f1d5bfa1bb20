import { z } from 'zod';
import { parseFlags, readArgs, textFlag, urlFlag } from '../args.js';
import { serverUrl, type CliContext } from '../cli-context.js';
import { getJson } from '../http-json.js';
import { formatTable } from '../table.js';

/** Most projects `cohort runs` walks when no --project is given. */
const MAX_PROJECTS = 100;

const runSchema = z.object({
  id: z.string(),
  project: z.string(),
  state: z.string(),
  name: z.string(),
  lastStep: z.number().nullable(),
  group: z.string().optional(),
});
const runsSchema = z.object({ runs: z.array(runSchema), nextCursor: z.string().optional() });
const projectsSchema = z.object({ projects: z.array(z.object({ project: z.string() })) });
const infoSchema = z.object({ defaultEntity: z.string() });

/** `cohort runs`: a table of runs (id, state, name, last step) from the HTTP API. */
export async function runsCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values } = readArgs('runs', argv, { url: { type: 'string' }, project: { type: 'string' }, entity: { type: 'string' } }, false);
  if (values.help) return -1;
  const flags = parseFlags('runs', values, { url: urlFlag.optional(), project: textFlag.optional(), entity: textFlag.optional() });
  const base = serverUrl(ctx, flags.url);
  const apiKey = ctx.env['COHORT_API_KEY'];
  const get = (path: string) => getJson(`${base}${path}`, 30_000, apiKey);
  const entity = flags.entity ?? infoSchema.parse(await get('/api/v1/info')).defaultEntity;
  const projects =
    flags.project !== undefined
      ? [flags.project]
      : projectsSchema
          .parse(await get(`/api/v1/projects?entity=${encodeURIComponent(entity)}`))
          .projects.slice(0, MAX_PROJECTS)
          .map((p) => p.project);
  const rows: string[][] = [];
  for (const project of projects) {
    // A page at a time (docs/http-api.md, "Runs").
    let cursor: string | undefined;
    do {
      const page = runsSchema.parse(await get(`/api/v1/runs/${encodeURIComponent(entity)}/${encodeURIComponent(project)}?limit=1000${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`));
      for (const r of page.runs) rows.push([project, r.id, r.state, r.name, r.lastStep === null ? '-' : String(r.lastStep), r.group ?? '']);
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
