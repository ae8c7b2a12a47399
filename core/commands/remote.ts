import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isMap, parseDocument, type Document } from 'yaml';
import { CONFIG_FILE, loadConfig, LOCAL_CONFIG_FILE, type ResolvedRemote } from '../config.js';
import { GitmlError, UsageError } from '../errors.js';
import { UnknownRemoteError } from '../remote/errors.js';
import { parseRemoteUrl, type RemoteLocation } from '../remote/url.js';
import { readTextOrNull, writeFileAtomic } from '../util/fs.js';
import { suggest } from '../util/suggest.js';
import { findRoot, prepareStateDir } from '../workspace.js';

/** Settings `gitml remote modify` can change, as they are spelled in the config files. */
export const REMOTE_KEYS = ['url', 'endpoint', 'region', 'access_key_id', 'secret_access_key', 'session_token', 'force_path_style'] as const;
export type RemoteKey = (typeof REMOTE_KEYS)[number];

/** Keys that should stay out of the file git shares. */
const SECRET_KEYS: readonly RemoteKey[] = ['access_key_id', 'secret_access_key', 'session_token'];

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export interface RemoteEditOptions {
  cwd?: string;
  /** Write `.ml/config.local.yaml` (this machine only, ignored by git) instead of `.ml/config.yaml`. @default false */
  local?: boolean;
}

export interface RemoteEditResult {
  /** The config file written, relative to the workspace root. */
  file: string;
  /** Whether the remote is now the default (asked for, or the first remote added). */
  isDefault?: boolean;
  /** Something the user should know (a secret in the shared file, a directory that does not exist yet). */
  warnings: string[];
}

/**
 * `gitml remote add NAME URL`: records a remote, and with `makeDefault` makes it the default. The first remote added
 * becomes the default too, so that `push` and `pull` work without naming it.
 */
export function remoteAdd(opts: RemoteEditOptions & { name: string; url: string; makeDefault?: boolean }): RemoteEditResult {
  if (!NAME.test(opts.name)) throw new UsageError(`invalid remote name \`${opts.name}\`: use letters, digits, \`_\`, \`.\` and \`-\``);
  checkUrl(opts.url);
  const root = findRoot(opts.cwd ?? process.cwd());
  const file = opts.local ? LOCAL_CONFIG_FILE : CONFIG_FILE;
  const before = configAt(root);
  const makeDefault = opts.makeDefault === true || (Object.keys(before.remotes).length === 0 && before.defaultRemote === undefined);
  editConfig(root, file, (doc) => {
    if (doc.hasIn(['remotes', opts.name, 'url'])) {
      throw new GitmlError(
        'E_REMOTE_EXISTS',
        `remote \`${opts.name}\` already exists in ${file}; change it with \`gitml remote modify ${opts.name} url URL\` or remove it first`,
        { data: { name: opts.name, file } },
      );
    }
    doc.setIn(['remotes', opts.name, 'url'], opts.url);
    if (makeDefault) doc.set('default_remote', opts.name);
  });
  const location = (parseRemoteUrl(opts.url) as { location: RemoteLocation }).location;
  // Not an error: `push` creates it. Said anyway, since a typo in the path shows up here first.
  const warnings =
    location.kind === 'dir' && !existsSync(resolve(root, location.path))
      ? [`directory ${resolve(root, location.path)} does not exist yet; \`gitml push\` will create it`]
      : [];
  return { file, warnings, isDefault: makeDefault };
}

/** `gitml remote default NAME`: makes an existing remote the one `push`, `pull` and `fetch` use when none is named. */
export function remoteSetDefault(opts: RemoteEditOptions & { name: string }): RemoteEditResult {
  const root = findRoot(opts.cwd ?? process.cwd());
  const known = Object.keys(configAt(root).remotes).sort();
  if (!known.includes(opts.name)) throw new UnknownRemoteError(opts.name, suggest(opts.name, known), known);
  const file = opts.local ? LOCAL_CONFIG_FILE : CONFIG_FILE;
  editConfig(root, file, (doc) => doc.set('default_remote', opts.name));
  // The local file wins key by key: a default set there would silently override the shared one.
  const shadowed = !opts.local && configAt(root).defaultRemote !== opts.name;
  const warnings = shadowed ? [`${LOCAL_CONFIG_FILE} sets another default_remote, which wins on this machine`] : [];
  return { file, warnings, isDefault: !shadowed };
}

/** The default remote's name, or `undefined` when none is set. */
export function remoteDefault(opts: { cwd?: string } = {}): string | undefined {
  return configAt(findRoot(opts.cwd ?? process.cwd())).defaultRemote;
}

/** `gitml remote modify NAME KEY VALUE`: sets one setting of an existing remote. */
export function remoteModify(opts: RemoteEditOptions & { name: string; key: string; value: string }): RemoteEditResult {
  const key = opts.key as RemoteKey;
  if (!REMOTE_KEYS.includes(key)) {
    const guess = suggest(opts.key, REMOTE_KEYS);
    throw new UsageError(`unknown remote setting \`${opts.key}\`${guess ? `; did you mean \`${guess}\`?` : `; the settings are ${REMOTE_KEYS.join(', ')}`}`);
  }
  let value: string | boolean = opts.value;
  if (key === 'url') checkUrl(opts.value);
  if (key === 'force_path_style') {
    if (!/^(true|false)$/i.test(opts.value)) throw new UsageError(`force_path_style must be true or false, got \`${opts.value}\``);
    value = opts.value.toLowerCase() === 'true';
  }
  const root = findRoot(opts.cwd ?? process.cwd());
  const known = Object.keys(configAt(root).remotes).sort();
  if (!known.includes(opts.name)) throw new UnknownRemoteError(opts.name, suggest(opts.name, known), known);
  const file = opts.local ? LOCAL_CONFIG_FILE : CONFIG_FILE;
  editConfig(root, file, (doc) => doc.setIn(['remotes', opts.name, key], value));
  const warnings = SECRET_KEYS.includes(key) && !opts.local
    ? [`${key} is now in ${CONFIG_FILE}, which git shares; keep credentials in ${LOCAL_CONFIG_FILE} with --local`]
    : [];
  return { file, warnings };
}

/** `gitml remote remove NAME`: deletes the remote from both config files, and the default setting that names it. */
export function remoteRemove(opts: { cwd?: string; name: string }): { files: string[] } {
  const root = findRoot(opts.cwd ?? process.cwd());
  const files: string[] = [];
  for (const file of [CONFIG_FILE, LOCAL_CONFIG_FILE]) {
    const text = readTextOrNull(join(root, file));
    if (text === null) continue;
    const doc = parseDocument(text);
    if (!doc.hasIn(['remotes', opts.name]) && doc.get('default_remote') !== opts.name) continue;
    editConfig(root, file, (d) => {
      d.deleteIn(['remotes', opts.name]);
      const remotes = d.get('remotes');
      if (isMap(remotes) && remotes.items.length === 0) d.delete('remotes');
      if (d.get('default_remote') === opts.name) d.delete('default_remote');
    });
    files.push(file);
  }
  if (!files.length) {
    const known = Object.keys(configAt(root).remotes).sort();
    throw new UnknownRemoteError(opts.name, suggest(opts.name, known), known);
  }
  return { files };
}

export interface RemoteListEntry {
  name: string;
  url: string;
  default: boolean;
}

/** `gitml remote list`: every remote with its URL (never its credentials), the default one marked. */
export function remoteList(opts: { cwd?: string } = {}): RemoteListEntry[] {
  const config = configAt(findRoot(opts.cwd ?? process.cwd()));
  return Object.values(config.remotes)
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((r: ResolvedRemote) => ({ name: r.name, url: r.url, default: r.name === config.defaultRemote }));
}

function configAt(root: string) {
  return loadConfig((p) => readTextOrNull(join(root, p)));
}

function checkUrl(url: string): void {
  const parsed = parseRemoteUrl(url);
  if ('error' in parsed) throw new GitmlError('E_REMOTE_URL', `invalid remote URL \`${url}\`: ${parsed.error}`, { data: { url } });
}

/**
 * Edits one config file through the YAML document model, so comments, layout and other keys stay as they were. The
 * result is validated together with the other file before anything is written.
 */
function editConfig(root: string, file: string, edit: (doc: Document) => void): void {
  const text = readTextOrNull(join(root, file)) ?? '';
  const doc = parseDocument(text);
  // A file that does not parse is reported the way every command reports it, with line and column.
  if (doc.errors.length) configAt(root);
  edit(doc);
  const next = doc.toString();
  loadConfig((p) => (p === file ? next : readTextOrNull(join(root, p))));
  prepareStateDir(root);
  writeFileAtomic(join(root, file), next);
}
