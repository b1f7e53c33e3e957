/**
 * Typing a new layer entry into the seed manifest, one character at a time: every intermediate
 * text, for the engine, LSP, Neovim and E2E tests of error-tolerant linting (issue 12).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SEED_PATH = join(__dirname, '..', '..', 'samples', 'podman-22196-child.json');
export const SEED = readFileSync(SEED_PATH, 'utf8');

/** The Docker config mediaType the mixed-config error underlines, quotes included. */
export const DOCKER_CONFIG = '"application/vnd.docker.container.image.v1+json"';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';

/** What is typed after the last layer's `}`: a comma, then a whole new entry, as a person types it. */
export const NEW_ENTRY = ',\n      {\n         "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",\n         "size": 32,\n         "digest": "sha256:' + 'ab'.repeat(32) + '"\n      }';

/** Where the entry goes: right after the closing brace of the last layer. */
export const INSERT_AT = SEED.lastIndexOf('}', SEED.lastIndexOf(']'));

/** Every text from the seed to the seed with the new entry, one more character each (the seed first). */
export function typingStates(text = SEED, at = INSERT_AT, typed = NEW_ENTRY): string[] {
  return Array.from({ length: typed.length + 1 }, (_, i) => text.slice(0, at + 1) + typed.slice(0, i) + text.slice(at + 1));
}
