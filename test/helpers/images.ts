/** Real image files for tests: PNGs made byte by byte (signature, IHDR, IDAT, IEND, each with its CRC). */
import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * An RGB PNG of `width` × `height`: a gradient tinted by `seed`, so that two images differ. With
 * `noise`, pixels are random (they do not compress: a large image for a size limit).
 */
export function makePng(width: number, height: number, options: { seed?: number; noise?: boolean } = {}): Buffer {
  const seed = options.seed ?? 0;
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const row = width * 3 + 1;
  const raw = Buffer.alloc(row * height);
  let state = seed + 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = y * row + 1 + x * 3;
      if (options.noise) {
        for (let c = 0; c < 3; c++) raw[at + c] = (state = (state * 1103515245 + 12345) >>> 0) >>> 24;
      } else {
        raw[at] = (x * 255) / Math.max(1, width - 1);
        raw[at + 1] = (y * 255) / Math.max(1, height - 1);
        raw[at + 2] = (seed * 97) % 256;
      }
    }
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** A BMP header and a few bytes: an image type the Messages API does not take. */
export function makeBmp(): Buffer {
  const bytes = Buffer.alloc(64);
  bytes.write('BM', 0, 'latin1');
  bytes.writeUInt32LE(64, 2);
  return bytes;
}
