/**
 * `manifest-lens push FILE REF`: writes a local manifest or index to a registry as `crane
 * manifest put` and `regctl manifest put` do (issue 19 item 2): the file's bytes exactly,
 * Content-Type from its `mediaType`. It lints first and refuses a document with errors unless
 * --force, and refuses (before writing) when a blob or child manifest the document names is not
 * in the target repository: a push uploads no blob.
 *
 * Exit codes: 0 written, 1 refused (lint errors, a missing blob or child, no mediaType), 2 usage
 * (a file that cannot be read is one), 3 the registry could not serve or accept.
 */
import { readFileSync, statSync } from 'node:fs';
import { kindOfMediaType } from '../engine/documentKind';
import { missing, namedContent } from '../graph/pushCheck';
import { formatReference, isRegistryError } from '../registry';
import { applyRegistryOption, type RegistryOptions } from './inspectCommand';
import { lintBytes, writeFindings } from './lint';
import { programName } from './program';
import { oneLine, openSession } from './registrySession';
import { safeWriter, terminalSafe } from './terminalText';

const USAGE = (): string => `usage: ${programName()} push [--force] [--format text|json] [--insecure HOST]… [--no-creds] [--timeout SECONDS] FILE REFERENCE\n`;
const MAX_FILE_BYTES = 4 * 1024 * 1024;

interface PushOptions extends RegistryOptions {
  readonly file: string;
  readonly reference: string;
  readonly force: boolean;
  readonly format: 'text' | 'json';
}

function parsePushArgs(args: readonly string[]): PushOptions | string {
  const shared: RegistryOptions = { noCreds: false, insecureHosts: [] };
  let force = false;
  let format: 'text' | 'json' = 'text';
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string | undefined => (eq > 0 ? arg.slice(eq + 1) : args[++i]);
    if (name === '--platform') return 'push: --platform does not apply (the file is pushed as it is)';
    const applied = applyRegistryOption(name, value, shared);
    if (typeof applied === 'string') return applied;
    if (applied) continue;
    if (name === '--force') force = true;
    else if (name === '--format') {
      const v = value();
      if (v !== 'text' && v !== 'json') return `--format must be text or json, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`;
      format = v;
    } else if (arg.startsWith('-')) return `unknown option ${arg}`;
    else positional.push(arg);
  }
  if (positional.length !== 2) return `push: expects FILE and REFERENCE, got ${positional.length} argument${positional.length === 1 ? '' : 's'}`;
  return { ...shared, file: positional[0]!, reference: positional[1]!, force, format };
}

/** Runs `push`; never throws; resolves to the exit code. */
export async function runPush(args: string[], rawOut: NodeJS.WritableStream, rawErr: NodeJS.WritableStream): Promise<number> {
  // File names and registry text are escaped value by value; stderr and the text output go through the net too.
  const err = safeWriter(rawErr);
  const options = parsePushArgs(args);
  const out = typeof options !== 'string' && options.format === 'json' ? rawOut : safeWriter(rawOut);
  if (typeof options === 'string') {
    err.write(`${options}\n${USAGE()}`);
    return 2;
  }
  let bytes: Buffer;
  try {
    const st = statSync(options.file);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_FILE_BYTES) throw new Error(`${st.size} bytes, over the 4 MiB a manifest may have`);
    bytes = readFileSync(options.file);
  } catch (e) {
    err.write(`push: cannot read ${terminalSafe(options.file)}: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
    return 2;
  }
  let doc: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    doc = parsed as Record<string, unknown>;
  } catch (e) {
    err.write(`push: ${terminalSafe(options.file)} is not a manifest: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
    return 1;
  }
  const mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const kind = kindOfMediaType(mediaType);
  if (!mediaType || !kind || !['oci-manifest', 'oci-index', 'docker-manifest', 'docker-list'].includes(kind)) {
    err.write(`push: ${terminalSafe(options.file)} ${mediaType ? `has mediaType ${JSON.stringify(mediaType.slice(0, 100))}, not an image manifest or index type` : 'has no mediaType'}; the Content-Type of the push is the document's mediaType, so write it in the file\n`);
    return 1;
  }
  const lint = lintBytes(options.file, bytes);
  const errors = lint.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    writeFindings([{ ...lint, findings: errors }], err);
    if (!options.force) {
      err.write(`push: ${terminalSafe(options.file)} has ${errors.length} error${errors.length === 1 ? '' : 's'}; nothing was written (--force pushes it anyway)\n`);
      return 1;
    }
  }
  const session = openSession('push', options, err);
  if (session === 2) return 2;
  const { ref, client } = session;
  try {
    const absent = await missing(client, ref, namedContent(doc));
    if (absent.length > 0) {
      for (const n of absent) err.write(`push: ${terminalSafe(n.what)} (${n.kind} ${terminalSafe(n.digest)}) is not in ${terminalSafe(`${ref.registry}/${ref.repository}`)}\n`);
      err.write(`push: nothing was written: push ${absent.some((n) => n.kind === 'blob') ? 'the blobs' : 'the child manifests'} there first (push uploads no blob)\n`);
      return 1;
    }
    const put = await client.putManifest(ref, bytes, mediaType, { byDigest: ref.tag === undefined || ref.digest !== undefined });
    const result = formatReference({ registry: ref.registry, apiHost: ref.apiHost, repository: ref.repository, ...(ref.digest === undefined && ref.tag ? { tag: ref.tag } : {}), digest: put.digest });
    if (options.format === 'json') out.write(JSON.stringify({ file: options.file, mediaType, digest: put.digest, size: bytes.length, result }, null, 2) + '\n');
    else out.write(`${terminalSafe(result)}\n`);
    err.write(`push: wrote ${terminalSafe(options.file)} (${bytes.length} bytes, ${terminalSafe(mediaType)}) as ${terminalSafe(put.digest)}\n`);
    return 0;
  } catch (e) {
    err.write(`push: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
    return isRegistryError(e) && e.kind === 'invalid-reference' ? 2 : 3;
  } finally {
    await client.close().catch(() => undefined);
  }
}
