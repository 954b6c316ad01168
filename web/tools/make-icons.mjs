// Draws the app icons (a white car in a gold club ring on the brand blue) and writes them as PNG.
// Run from the repository root: `node web/tools/make-icons.mjs`; the PNGs are committed.
// No dependencies: shapes are signed distance functions, supersampled 4×4, written with node:zlib.

import { writeFileSync, mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const OUT = 'web/public/icons';

const BRAND_TOP = [12, 47, 107];
const BRAND_BOTTOM = [24, 84, 176];
const GOLD = [214, 170, 70];
const WHITE = [255, 255, 255];
const GLASS = [160, 196, 240];
const TYRE = [28, 36, 48];

// Signed distances in unit coordinates (0..1 across the icon); negative inside.
const circle = (x, y, cx, cy, r) => Math.hypot(x - cx, y - cy) - r;
function roundRect(x, y, x0, y0, x1, y1, r) {
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const hx = (x1 - x0) / 2 - r, hy = (y1 - y0) / 2 - r;
  const dx = Math.abs(x - cx) - hx, dy = Math.abs(y - cy) - hy;
  return Math.hypot(Math.max(dx, 0), Math.max(dy, 0)) + Math.min(Math.max(dx, dy), 0) - r;
}
// A cabin: a rounded trapezoid, narrower at the roof.
function cabin(x, y, x0, x1, top, bottom, slant, r) {
  const t = Math.min(Math.max((y - top) / (bottom - top), 0), 1);
  const inset = slant * (1 - t);
  return roundRect(x, y, x0 + inset, top, x1 - inset, bottom, r);
}

/** The colour at a point, or null for the background. Later shapes paint over earlier ones. */
function paint(x, y) {
  let color = null;
  const ring = Math.abs(circle(x, y, 0.5, 0.5, 0.355)) - 0.018;
  if (ring < 0) color = GOLD;
  if (cabin(x, y, 0.33, 0.67, 0.36, 0.52, 0.05, 0.03) < 0) color = WHITE;
  if (roundRect(x, y, 0.2, 0.47, 0.8, 0.62, 0.045) < 0) color = WHITE;
  // Two side windows.
  if (cabin(x, y, 0.365, 0.493, 0.39, 0.475, 0.03, 0.012) < 0) color = GLASS;
  if (cabin(x, y, 0.507, 0.635, 0.39, 0.475, 0.03, 0.012) < 0) color = GLASS;
  // Lights.
  if (roundRect(x, y, 0.755, 0.505, 0.795, 0.535, 0.01) < 0) color = GOLD;
  for (const cx of [0.33, 0.67]) {
    if (circle(x, y, cx, 0.62, 0.07) < 0) color = TYRE;
    if (circle(x, y, cx, 0.62, 0.03) < 0) color = WHITE;
  }
  return color;
}

function background(y) {
  return BRAND_TOP.map((c, i) => c + (BRAND_BOTTOM[i] - c) * y);
}

function render(size) {
  const S = 4;
  const rgba = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const acc = [0, 0, 0];
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const x = (px + (sx + 0.5) / S) / size;
          const y = (py + (sy + 0.5) / S) / size;
          const c = paint(x, y) ?? background(y);
          for (let i = 0; i < 3; i++) acc[i] += c[i];
        }
      }
      const o = (py * size + px) * 4;
      for (let i = 0; i < 3; i++) rgba[o + i] = Math.round(acc[i] / (S * S));
      rgba[o + 3] = 255;
    }
  }
  return rgba;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    rows[y * (size * 4 + 1)] = 0; // filter: none
    rgba.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

mkdirSync(OUT, { recursive: true });
for (const size of [192, 512]) {
  writeFileSync(`${OUT}/icon-${size}.png`, png(size, render(size)));
  console.log(`${OUT}/icon-${size}.png`);
}
