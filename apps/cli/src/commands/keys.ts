import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateApiKey } from '@cohort/coordinator';
import { openPostgresStore, openSqliteStore, type Store } from '@cohort/store';
import { CliUsageError, parseFlags, postgresUrlFlag, readArgs, textFlag } from '../args.js';
import type { CliContext } from '../cli-context.js';
import { formatTable } from '../table.js';
import { nonEmpty } from './server.js';

/**
 * `cohort keys create|list|revoke`: API keys of a server's store (the
 * embedded one under --data, or --postgres). `create` makes the user (and its
 * personal entity) and any `--team` when missing, adds the user to them, and
 * prints the key once: only its SHA-256 is stored.
 */
export async function keysCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = readArgs(
    'keys',
    argv,
    { data: { type: 'string' }, postgres: { type: 'string' }, user: { type: 'string' }, team: { type: 'string' }, label: { type: 'string' } },
    true,
  );
  if (values.help) return -1;
  const [action, id, ...extra] = positionals;
  if (extra.length > 0) throw new CliUsageError(`unexpected argument ${JSON.stringify(extra[0])}`, 'keys');
  const flags = parseFlags(
    'keys',
    { data: values.data, postgres: values.postgres ?? nonEmpty(ctx.env['COHORT_POSTGRES_URL']), user: values.user, team: values.team, label: values.label },
    { data: textFlag.optional(), postgres: postgresUrlFlag.optional(), user: textFlag.optional(), team: textFlag.optional(), label: textFlag.optional() },
  );
  if (action !== 'create' && action !== 'list' && action !== 'revoke') {
    throw new CliUsageError(`expected an action: create, list or revoke; got ${action === undefined ? 'none' : JSON.stringify(action)}`, 'keys');
  }
  if (action === 'create' && flags.user === undefined) throw new CliUsageError('create: --user is required (the user the key acts for)', 'keys');
  if (action === 'revoke' && id === undefined) throw new CliUsageError('revoke: give the key id (from `cohort keys list`)', 'keys');
  if (action !== 'revoke' && id !== undefined) throw new CliUsageError(`unexpected argument ${JSON.stringify(id)}`, 'keys');
  await using store = await openStore(ctx, flags.data, flags.postgres);
  const identity = store.identity;
  switch (action) {
    case 'create': {
      const user = flags.user!;
      const teams = (flags.team ?? '').split(',').map((t) => t.trim()).filter((t) => t !== '');
      await identity.ensureUser(user);
      for (const team of teams) {
        await identity.ensureTeam(team);
        await identity.addMember(team, user);
      }
      const key = generateApiKey();
      await identity.createKey({ id: key.id, user, label: flags.label ?? '', hash: key.hash, createdAt: Date.now() / 1000 });
      ctx.stderr.write(`created key ${key.id} for ${user} (entities: ${(await identity.entitiesOf(user)).join(', ')}); it is shown once, store it now:\n`);
      ctx.stdout.write(`${key.key}\n`);
      return 0;
    }
    case 'list': {
      const keys = await identity.listKeys(flags.user);
      const when = (t: number | undefined) => (t === undefined ? '-' : new Date(t * 1000).toISOString().replace(/\.\d+Z$/, 'Z'));
      ctx.stdout.write(formatTable(['ID', 'USER', 'LABEL', 'CREATED', 'LAST USED', 'REVOKED'], keys.map((k) => [k.id, k.user, k.label, when(k.createdAt), when(k.lastUsedAt), when(k.revokedAt)])));
      return 0;
    }
    case 'revoke': {
      if (!(await identity.revokeKey(id!))) {
        ctx.stderr.write(`cohort keys: no key ${JSON.stringify(id)}; see \`cohort keys list\`\n`);
        return 1;
      }
      ctx.stdout.write(`revoked ${id!}; servers stop accepting it within their key cache time (10 s by default)\n`);
      return 0;
    }
  }
}

/** The store of `--data` (embedded) or `--postgres` (scaled), for commands that work on it directly (`keys`, `gc`). */
export async function openStore(ctx: CliContext, data: string | undefined, postgres: string | undefined, command = 'keys'): Promise<Store> {
  if (postgres !== undefined) {
    if (data !== undefined) throw new CliUsageError('give --data (embedded) or --postgres (scaled), not both', command);
    return openPostgresStore(postgres);
  }
  const dir = resolve(ctx.cwd, data ?? 'cohort-data');
  mkdirSync(dir, { recursive: true });
  return openSqliteStore(join(dir, 'cohort.db'));
}
