import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, encodePng, lossAndLrPlot, Raster, renderReport } from '../src/index.js';

function chunks(png: Uint8Array): { type: string; data: Buffer; crcOk: boolean }[] {
  const b = Buffer.from(png);
  const out = [];
  for (let o = 8; o < b.length; ) {
    const len = b.readUInt32BE(o);
    const type = b.subarray(o + 4, o + 8).toString('latin1');
    const data = b.subarray(o + 8, o + 8 + len);
    out.push({ type, data, crcOk: b.readUInt32BE(o + 8 + len) === crc32(b.subarray(o + 4, o + 8 + len)) });
    o += 12 + len;
  }
  return out;
}

describe('PNG encoder and report', () => {
  it('CRC-32 of known strings', () => {
    expect(crc32(new TextEncoder().encode('IEND'))).toBe(0xae426082);
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('encodes a raster that decodes back pixel for pixel', () => {
    const r = new Raster(3, 2);
    r.set(0, 0, [255, 0, 0]);
    r.line(0, 1, 2, 1, [0, 0, 255]);
    const png = encodePng(r);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const cs = chunks(png);
    expect(cs.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(cs.every((c) => c.crcOk)).toBe(true);
    expect(cs[0]!.data.readUInt32BE(0)).toBe(3);
    expect(cs[0]!.data.readUInt32BE(4)).toBe(2);
    const raw = inflateSync(cs[1]!.data);
    expect([...raw]).toEqual([0, 255, 0, 0, 255, 255, 255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 255, 0, 0, 255]);
  });

  it('the loss plot is a valid PNG of the requested size; the report holds the metrics table', () => {
    const steps = Array.from({ length: 50 }, (_, i) => i + 1);
    const png = lossAndLrPlot(steps, steps.map((s) => 5 / s), steps.map((s) => s * 1e-4), 200, 120);
    const ihdr = chunks(png)[0]!.data;
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4)]).toEqual([200, 120]);
    const md = renderReport({
      title: 't', settings: { task: 'webnlg' }, metrics: { BLEU: 12.5 }, loss: { firstMean: 4, lastMean: 2 },
      lossRange: [1, 5], lrRange: [0, 1e-3], plotFile: 'loss.png',
    });
    expect(md).toMatch(/\| BLEU \| 12\.500 \|/);
    expect(md).toMatch(/\(50 % lower\)/);
    expect(md).toMatch(/\]\(loss\.png\)/);
  });
});
