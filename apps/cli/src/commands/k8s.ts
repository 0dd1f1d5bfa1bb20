import { CliUsageError, intFlag, parseFlags, readArgs, textFlag, urlFlag } from '../args.js';
import type { CliContext } from '../cli-context.js';
import { buildK8sManifest, ManifestOptionError } from '../k8s-manifest.js';
import { toYamlDocuments } from '../yaml-text.js';

/** The most ranks and pods a manifest describes. */
const MAX_RANKS = 100_000;

/**
 * `cohort k8s manifest --name N --image I --ranks R [--nodes K] [--jobset] -- CMD...`:
 * prints an Indexed Job (or a JobSet) and a headless Service as YAML, for
 * `kubectl apply -f -`.
 */
export async function k8sCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') return -1;
  if (sub !== 'manifest') throw new CliUsageError(`unknown subcommand ${JSON.stringify(sub)} (expected manifest)`, 'k8s');
  const dash = rest.indexOf('--');
  const allFlags = dash < 0 ? rest : rest.slice(0, dash);
  // `--jobset` is a switch; readArgs only knows string flags, so it is taken out here.
  const jobset = allFlags.includes('--jobset');
  const flagsArgv = allFlags.filter((a) => a !== '--jobset');
  const command = dash < 0 ? [] : rest.slice(dash + 1);
  const { values } = readArgs(
    'k8s',
    flagsArgv,
    {
      name: { type: 'string' },
      image: { type: 'string' },
      ranks: { type: 'string' },
      nodes: { type: 'string' },
      url: { type: 'string' },
      project: { type: 'string' },
      'grace-period': { type: 'string' },
      'pre-stop': { type: 'string' },
    },
    false,
  );
  if (values.help) return -1;
  const flags = parseFlags('k8s', { ...values, gracePeriod: values['grace-period'], preStop: values['pre-stop'], 'grace-period': undefined, 'pre-stop': undefined }, {
    name: textFlag,
    image: textFlag,
    ranks: intFlag(1, MAX_RANKS),
    nodes: intFlag(1, MAX_RANKS).optional(),
    url: urlFlag.optional(),
    project: textFlag.optional(),
    gracePeriod: intFlag(1, 86_400).optional(),
    preStop: intFlag(0, 3600).optional(),
  });
  try {
    const docs = buildK8sManifest({
      name: flags.name,
      image: flags.image,
      ranks: flags.ranks,
      command,
      jobset,
      ...(flags.nodes !== undefined && { nodes: flags.nodes }),
      ...(flags.url !== undefined && { url: flags.url }),
      ...(flags.project !== undefined && { project: flags.project }),
      ...(flags.gracePeriod !== undefined && { gracePeriodSeconds: flags.gracePeriod }),
      ...(flags.preStop !== undefined && { preStopSeconds: flags.preStop }),
    });
    ctx.stdout.write(toYamlDocuments(docs));
    return 0;
  } catch (err) {
    if (err instanceof ManifestOptionError) throw new CliUsageError(err.message, 'k8s');
    throw err;
  }
}
