/**
 * What `inspect` and `digest` share before their first request: the reference parsed (a bad one
 * is a usage error, exit 2), the registry client made from the command-line options, and
 * messages kept to one line.
 */
import { statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { MANIFEST_ACCEPT_TYPES } from '../engine/mediaTypes';
import { programName } from './program';
import { echoed } from './terminalText';
import { createRegistryClient, dockerConfigCredentials, parseReference, type ImageReference, type RegistryClient } from '../registry';

/** The longest message {@link oneLine} passes whole: past it, a value echoed inside (a 10,000-character tag) is cut. */
export const MAX_MESSAGE_CHARS = 1000;

/**
 * A message on one line (registry bodies and causes can span several), fit for a terminal: the
 * other control and bidi characters escaped (terminalText.ts), and cut with its length past
 * MAX_MESSAGE_CHARS.
 */
export function oneLine(text: string): string {
  return echoed(text.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ').trim(), MAX_MESSAGE_CHARS);
}

/**
 * A reference that names a file or folder here (`digest manifest.json`) would be read as a
 * Docker Hub repository and sent to registry-1.docker.io: say what it is and what to run.
 */
export function localPathMessage(command: string, reference: string): string | undefined {
  let st;
  try {
    st = statSync(reference);
  } catch {
    return undefined;
  }
  const prog = programName();
  if (st.isDirectory()) return `${command}: ${reference} is a local folder, not an image reference; to check the manifests in it: ${prog} lint ${reference}`;
  const how = command === 'digest' ? `its digest is sha256: followed by what \`sha256sum ${reference}\` prints; to check it: ${prog} lint ${reference}` : `to check it: ${prog} lint ${reference}`;
  let alsoReference = false;
  try {
    parseReference(reference);
    alsoReference = true;
  } catch {
    // only a path
  }
  const image = alsoReference ? ` For an image of that name, write it with its registry (docker.io/${reference}).` : '';
  return `${command}: ${reference} is a local file, not an image reference (nothing was fetched); ${how}.${image}`;
}

export interface SessionOptions {
  readonly reference: string;
  readonly insecureHosts: readonly string[];
  readonly noCreds: boolean;
  readonly timeoutSeconds?: number;
}

/**
 * V8 flags for a one-shot process that makes a few requests. undici parses HTTP with a
 * WebAssembly llhttp; V8 compiles it with Liftoff, then tiers it up with TurboFan on a background
 * thread, and a one-shot process waits for that job at exit (measured: 60-150 ms of a ~300 ms
 * run). One request never needs the optimised code. dist/cli.js (cliStart.ts) sets this before it
 * loads the command's code, so that the code cache it writes is valid for the next start (V8
 * rejects a cache made under other flags); setting it again here is a no-op then.
 */
export function oneShotEngineFlags(): void {
  try {
    setFlagsFromString('--liftoff-only');
  } catch {
    // an engine without the flag: only slower
  }
}

/**
 * Parses the reference and makes the client; writes `command: why` to `err` and returns the
 * exit code 2 when the reference is not one.
 */
export function openSession(command: string, options: SessionOptions, err: NodeJS.WritableStream): { ref: ImageReference; client: RegistryClient } | 2 {
  const local = localPathMessage(command, options.reference);
  if (local) {
    err.write(`${local}\n`);
    return 2;
  }
  let ref: ImageReference;
  try {
    ref = parseReference(options.reference);
  } catch (e) {
    err.write(`${command}: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
    return 2;
  }
  oneShotEngineFlags();
  const client = createRegistryClient({
    accept: MANIFEST_ACCEPT_TYPES,
    insecureHosts: options.insecureHosts,
    credentials: options.noCreds ? undefined : dockerConfigCredentials({ allowHelpers: true }),
    timeoutMs: options.timeoutSeconds !== undefined ? Math.round(options.timeoutSeconds * 1000) : undefined,
  });
  return { ref, client };
}
