import { inflateSync } from 'node:zlib';
import { crc32, encodePng } from './png-encoder';
import { Raster } from './raster';
import { glyph, textWidth } from './bitmap-font';

/** A small PNG reader: chunks with their CRCs checked, then the IHDR fields and the filtered rows. */
function readPng(file: Buffer) {
  expect([...file.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < file.length; ) {
    const length = file.readUInt32BE(at);
    const type = file.toString('ascii', at + 4, at + 8);
    const data = file.subarray(at + 8, at + 8 + length);
    expect(file.readUInt32BE(at + 8 + length)).toBe(crc32(file, at + 4, at + 8 + length));
    chunks.push({ type, data });
    at += 12 + length;
  }
  const ihdr = chunks[0].data;
  const raw = inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
  return { types: chunks.map((c) => c.type), width: ihdr.readUInt32BE(0), height: ihdr.readUInt32BE(4), depth: ihdr[8], colour: ihdr[9], raw };
}

describe('PNG writer', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });

  it('writes a valid RGBA PNG whose rows hold the pixels given', () => {
    const rgba = new Uint8Array([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 10, 20, 30, 40, 1, 2, 3, 4, 5, 6, 7, 8]);
    const png = readPng(encodePng(3, 2, rgba));
    expect(png.types).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(png).toMatchObject({ width: 3, height: 2, depth: 8, colour: 6 });
    // Each row: filter byte 0, then the row's RGBA.
    expect([...png.raw]).toEqual([0, ...rgba.subarray(0, 12), 0, ...rgba.subarray(12)]);
  });

  it('refuses a buffer of the wrong size', () => {
    expect(() => encodePng(2, 2, new Uint8Array(15))).toThrow(RangeError);
    expect(() => encodePng(0, 2, new Uint8Array(0))).toThrow(RangeError);
  });

  it('draws lines and text onto a raster that encodes', () => {
    const r = new Raster(40, 20);
    r.line(0, 0, 39, 19, [0, 0, 0]);
    expect(r.get(0, 0)).toEqual([0, 0, 0]);
    expect(r.get(39, 19)).toEqual([0, 0, 0]);
    expect(r.get(39, 0)).toEqual([255, 255, 255]);
    r.text(2, 2, 'A1', [200, 0, 0]);
    // 'A' has ink in the middle of its top row.
    expect(r.get(3, 2)).toEqual([200, 0, 0]);
    expect(textWidth('A1')).toBe(11);
    expect(glyph('a')).toEqual(glyph('A'));
    expect(glyph('€')).toEqual(glyph('?'));
    const png = readPng(encodePng(r.width, r.height, r.pixels));
    expect(png.raw.length).toBe((40 * 4 + 1) * 20);
  });
});
