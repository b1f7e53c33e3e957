/**
 * Sizes as the explorer, `tree` and the size lenses show them: bytes below 1 KiB, then binary
 * units with one decimal below 10 (`670 B`, `1.3 KiB`, `27 MiB`), like `docker images`.
 */
export function compactSize(bytes: number | undefined): string {
  if (bytes === undefined) return '?';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}
