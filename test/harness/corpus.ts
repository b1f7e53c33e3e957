/** The corpus and the samples, and a seeded random source, for the engine's bulk tests. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The corpus copied into the repository (test/fixtures/corpus, with its SOURCES.tsv and NOTICE), or $MANIFEST_LENS_CORPUS. */
export const CORPUS = process.env.MANIFEST_LENS_CORPUS ?? join(__dirname, '..', 'fixtures', 'corpus');
export const SAMPLES = join(__dirname, '..', '..', 'samples');

/** mulberry32: small, fast, deterministic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The texts of the samples and of every corpus document (latin1, so binary ones survive). */
export function corpusDocuments(): string[] {
  const texts = readdirSync(SAMPLES).filter((f) => f.endsWith('.json')).map((f) => readFileSync(join(SAMPLES, f), 'utf8'));
  for (const line of readFileSync(join(CORPUS, 'SOURCES.tsv'), 'utf8').trim().split('\n').slice(1)) {
    texts.push(readFileSync(join(CORPUS, line.split('\t')[0]), 'latin1'));
  }
  return texts;
}
