import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * A project outside the repository that depends on packed Cohort tarballs and
 * installs without a network. `npm install --offline` needs each third-party
 * package's registry metadata to resolve a range, and `npm ci` caches only the
 * tarballs; so the project gets a package-lock.json that pins every package to
 * the version and place the repository's own lock gives it (the versions the
 * suite tests), and npm takes each tarball from its cache by integrity. The
 * Cohort packages come from the tarballs (`file:`), like a user's install of them.
 */

interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

export interface OfflineProjectOptions {
  /** The Cohort repository (its package-lock.json). */
  repo: string;
  /** The project folder (exists, empty). */
  dir: string;
  /** The folder of `npm pack` tarballs (`<scope>-<name>-<version>.tgz`). */
  packs: string;
  /** The Cohort packages the project depends on, e.g. `@cohort/sdk`; those they need come along. */
  packages: readonly string[];
  /** Written into the project's package.json (npm 11's install-script approvals). */
  allowScripts?: Record<string, boolean>;
}

/** Writes the project's package.json and package-lock.json; returns the packages it will hold, by folder. */
export function writeOfflineProject(o: OfflineProjectOptions): string[] {
  const lock = (JSON.parse(readFileSync(join(o.repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }).packages;
  const entry = (loc: string): LockEntry => {
    const e = lock[loc];
    if (e === undefined) throw new Error(`package-lock.json has no ${loc}`);
    return e;
  };
  // Workspace folder -> package name (node_modules/@cohort/x links to it).
  const workspaces = new Map<string, string>();
  for (const [loc, e] of Object.entries(lock)) if (e.link === true && e.resolved !== undefined) workspaces.set(e.resolved, loc.slice('node_modules/'.length));
  const tarball = (name: string, version: string) => `file:${relative(o.dir, join(o.packs, `${name.slice(1).replace('/', '-')}-${version}.tgz`))}`;

  // Node's lookup from a folder of the repository's tree: its node_modules, then each parent's.
  const lookup = (from: string, dep: string): string | undefined => {
    for (let base = from; ; ) {
      const loc = base === '' ? `node_modules/${dep}` : `${base}/node_modules/${dep}`;
      const e = lock[loc];
      if (e !== undefined) return e.link === true ? e.resolved : loc;
      if (base === '') return undefined;
      const up = base.lastIndexOf('/node_modules/');
      base = up >= 0 ? base.slice(0, up) : '';
    }
  };
  // Where a folder of the repository's tree lands in the project: workspaces under node_modules/@cohort.
  const placed = (loc: string): string => {
    for (const [ws, name] of workspaces) if (loc === ws || loc.startsWith(`${ws}/`)) return `node_modules/${name}${loc.slice(ws.length)}`;
    return loc;
  };

  const roots = o.packages.map((name) => {
    const loc = lookup('', name);
    if (loc === undefined || !workspaces.has(loc)) throw new Error(`${name} is not a workspace package`);
    return loc;
  });
  const packages: Record<string, LockEntry> = {};
  const cohort: Record<string, string> = {};
  const queue = [...roots];
  for (let loc = queue.shift(); loc !== undefined; loc = queue.shift()) {
    if (packages[placed(loc)] !== undefined) continue;
    const e = entry(loc);
    const optionalPeer = (dep: string) => e.peerDependenciesMeta?.[dep]?.optional === true;
    for (const dep of Object.keys({ ...e.dependencies, ...e.optionalDependencies, ...e.peerDependencies })) {
      if (optionalPeer(dep)) continue;
      const found = lookup(loc, dep);
      if (found !== undefined) queue.push(found);
      else if (e.optionalDependencies?.[dep] === undefined) throw new Error(`package-lock.json: ${loc} needs ${dep}, which it does not hold`);
    }
    // npm recomputes the dev/peer flags; the workspace's name field belongs to the root entry only.
    const { dev: _dev, devOptional: _devOptional, peer: _peer, name, ...kept } = e;
    if (workspaces.has(loc)) {
      const resolved = tarball(name!, e.version!);
      cohort[name!] = resolved;
      const bytes = readFileSync(join(o.dir, resolved.slice('file:'.length)));
      kept.resolved = resolved;
      kept.integrity = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
    }
    packages[placed(loc)] = kept;
  }

  // A user names every Cohort tarball: they are on no registry.
  const dependencies = Object.fromEntries(Object.entries(cohort).sort(([a], [b]) => a.localeCompare(b)));
  const pkg = { name: 'cohort-user-project', version: '1.0.0', private: true, type: 'module', dependencies, ...(o.allowScripts && { allowScripts: o.allowScripts }) };
  writeFileSync(join(o.dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => a.localeCompare(b)));
  const projectLock = { name: pkg.name, version: pkg.version, lockfileVersion: 3, requires: true, packages: { '': { name: pkg.name, version: pkg.version, dependencies }, ...sorted } };
  writeFileSync(join(o.dir, 'package-lock.json'), `${JSON.stringify(projectLock, null, 2)}\n`);
  return Object.keys(sorted);
}
