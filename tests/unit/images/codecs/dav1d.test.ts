import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { decodeAv1Frame, Dav1dError, raiseMemoryMaximum } from '../../../../src/images/codecs/dav1d';
import { planDav1dDecode } from '../../../../src/images/formats/avif-dav1d';
import { describePrimaryImage } from '../../../../src/images/formats/isobmff';

const SOURCE = path.join(__dirname, '../../../fixtures/images/source.png');

async function av1Data(width = 96, height = 64, effort = 4) {
  const bytes = await sharp(SOURCE)
    .resize(width, height, { fit: 'fill' })
    .avif({ quality: 80, chromaSubsampling: '4:2:0', effort })
    .toBuffer();
  return planDav1dDecode(bytes, describePrimaryImage(bytes, 'avif'), { width: 1, height: 1 })!.obus;
}

describe('dav1d (dav1d.js 0.1.1)', () => {
  it("raises the memory import's 64 MiB cap in the published binary, and refuses a binary it does not know", () => {
    const wasm = new Uint8Array(readFileSync(require.resolve('dav1d.js/dav1d.wasm')));
    const limits = (module: WebAssembly.Module) =>
      WebAssembly.Module.imports(module).find(({ kind }) => kind === 'memory');
    expect(limits(new WebAssembly.Module(wasm))).toBeDefined();
    const patched = new Uint8Array(raiseMemoryMaximum(Buffer.from(wasm)));
    expect(patched.length).toBe(wasm.length);
    // The patched module links against a memory of 8191 pages at most; the original refuses it.
    const imports = (memory: WebAssembly.Memory) => {
      const env: Record<string, unknown> = {
        memory,
        table: new WebAssembly.Table({ initial: 271, maximum: 271, element: 'anyfunc' }),
      };
      for (const { name, kind } of WebAssembly.Module.imports(new WebAssembly.Module(wasm))) {
        if (kind === 'function') env[name] = () => 0;
      }
      return { env } as WebAssembly.Imports;
    };
    const large = () => new WebAssembly.Memory({ initial: 1024, maximum: 8191 });
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(wasm), imports(large()))).toThrow(/maximum/);
    expect(new WebAssembly.Instance(new WebAssembly.Module(patched), imports(large()))).toBeInstanceOf(
      WebAssembly.Instance,
    );
    expect(() => raiseMemoryMaximum(Buffer.from('\0asm not dav1d'))).toThrow(Dav1dError);
  });

  it('decodes an 8-bit 4:2:0 frame to its three planes, again and again (an instance per frame)', async () => {
    const obus = await av1Data();
    const first = await decodeAv1Frame(obus);
    expect(first).toMatchObject({ width: 96, height: 64 });
    expect(first.y.length).toBe(96 * 64);
    expect(first.u.length).toBe(48 * 32);
    expect(first.v.length).toBe(48 * 32);
    const second = await decodeAv1Frame(obus);
    expect(Buffer.from(second.y)).toEqual(Buffer.from(first.y));
    expect(second.y.buffer).not.toBe(first.y.buffer);
    // Luma is the picture: BT.601 full-range luma (how sharp's AVIFs are coded) of the source's pixels.
    const data = await sharp(SOURCE).resize(96, 64, { fit: 'fill' }).removeAlpha().raw().toBuffer();
    let difference = 0;
    for (let i = 0; i < first.y.length; i++) {
      const luma = 0.299 * data[i * 3]! + 0.587 * data[i * 3 + 1]! + 0.114 * data[i * 3 + 2]!;
      difference += Math.abs(first.y[i]! - luma);
    }
    expect(difference / first.y.length).toBeLessThan(3);
  });

  it('grows its memory past 64 MiB for a frame that needs it', async () => {
    const frame = await decodeAv1Frame(await av1Data(6000, 4000, 0));
    expect(frame).toMatchObject({ width: 6000, height: 4000 });
    expect(frame.y.buffer.byteLength).toBeGreaterThan(64 * 2 ** 20);
  }, 30_000);

  it('refuses data that is not AV1', async () => {
    await expect(decodeAv1Frame(Buffer.alloc(100, 0xff))).rejects.toThrow();
    await expect(decodeAv1Frame(Buffer.alloc(0))).rejects.toThrow();
  });
});
