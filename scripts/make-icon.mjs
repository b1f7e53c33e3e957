// Draws images/icon.png (128×128): a lens over a stack of layers. Run once; the PNG is committed.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const N = 128;
const px = new Uint8Array(N * N * 4);
function set(x, y, [r, g, b, a = 255]) {
  if (x < 0 || y < 0 || x >= N || y >= N) return;
  const i = (y * N + x) * 4;
  const al = a / 255;
  px[i] = px[i] * (1 - al) + r * al; px[i + 1] = px[i + 1] * (1 - al) + g * al; px[i + 2] = px[i + 2] * (1 - al) + b * al;
  px[i + 3] = Math.max(px[i + 3], a);
}
// Rounded background.
for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) {
  const dx = Math.max(0, Math.abs(x - 63.5) - 48), dy = Math.max(0, Math.abs(y - 63.5) - 48);
  if (dx * dx + dy * dy <= 15 * 15) set(x, y, [29, 43, 58]);
}
// Three layers (parallelograms): blue, teal, amber.
const colors = [[66, 133, 244], [38, 166, 154], [255, 179, 0]];
colors.forEach((c, k) => {
  const top = 34 + k * 20;
  for (let y = top; y < top + 14; y++) for (let x = 22 + (y - top); x < 78 + (y - top); x++) set(x, y, c);
});
// Lens: ring and handle.
const cx = 84, cy = 78;
for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) {
  const d = Math.hypot(x - cx, y - cy);
  if (d < 20) set(x, y, [255, 255, 255, 60]);
  if (d >= 20 && d <= 26) set(x, y, [236, 239, 241]);
}
for (let t = 0; t < 26; t++) for (let w = -4; w <= 4; w++) {
  const x = Math.round(cx + 20 + t * 0.7 + w * 0.7), y = Math.round(cy + 20 + t * 0.7 - w * 0.7);
  set(x, y, [236, 239, 241]); set(x + 1, y, [236, 239, 241]);
}
// PNG encoding.
const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 255] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
const chunk = (type, data) => {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
  return Buffer.concat([len, td, c]);
};
const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(N, 0); ihdr.writeUInt32BE(N, 4); ihdr[8] = 8; ihdr[9] = 6;
const raw = Buffer.alloc(N * (N * 4 + 1));
for (let y = 0; y < N; y++) { raw[y * (N * 4 + 1)] = 0; Buffer.from(px.subarray(y * N * 4, (y + 1) * N * 4)).copy(raw, y * (N * 4 + 1) + 1); }
writeFileSync(new URL('../images/icon.png', import.meta.url), Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]));
console.log('wrote images/icon.png');
