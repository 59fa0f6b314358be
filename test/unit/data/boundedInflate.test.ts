/**
 * Decompression bombs: small files whose compressed data inflates far beyond what their header
 * describes. Every reader stops at a limit and names the file, instead of allocating it all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32, deflateSync, gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { encodeNifti } from '../../../server/src/data/writers/nifti';
import { ImageReadError, readImage } from '../../../server/src/data/readers';
import { encodeNpy, NpyError, parseNpz } from '../../../server/src/data/datasets';
import { tempDir } from './fixtures';

const dir = tempDir('bombs');
const MiB = 1024 * 1024;

/** `n` MiB of zeros as concatenated gzip members (gunzip reads them as one stream): ~1 KB per MiB. */
function zerosGz(n: number): Buffer {
  const member = gzipSync(Buffer.alloc(MiB), { level: 9 });
  return Buffer.concat(Array.from({ length: n }, () => member));
}

function chunk(type: string, data: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function png(width: number, height: number, depth: number, colorType: number, interlace: number, idat: Uint8Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([depth, colorType, 0, 0, interlace], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]);
}

async function refused(file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(readImage(file), (e: unknown) => {
    assert.ok(e instanceof ImageReadError, `expected ImageReadError, got ${String(e)}`);
    assert.equal(e.problem, 'too-large', e.message);
    assert.ok(e.message.startsWith(file), `names the file: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

test('a .nii.gz whose header says 2x2x2 but whose gzip holds 256 MiB is refused at the limit, naming the file', async () => {
  const header = encodeNifti({ data: new Int16Array(8), dims: [2, 2, 2], spacing: [1, 1, 1], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] });
  const file = path.join(dir, 'bomb.nii.gz');
  fs.writeFileSync(file, Buffer.concat([gzipSync(header), zerosGz(256)]));
  assert.ok(fs.statSync(file).size < 2 * MiB, 'a small file');
  await refused(file, /decompresses to more than .*header describes .*2x2x2.*decompression bomb/);
  // A few bytes of padding after the voxels stay readable.
  const padded = path.join(dir, 'padded.nii.gz');
  fs.writeFileSync(padded, gzipSync(Buffer.concat([header, Buffer.alloc(4096)])));
  assert.deepEqual((await readImage(padded)).dims, [2, 2, 2]);
});

test('a gzip-encoded NRRD that inflates far past its sizes is refused before itk-wasm inflates it', async () => {
  const file = path.join(dir, 'bomb.nrrd');
  fs.writeFileSync(file, Buffer.concat([Buffer.from('NRRD0004\ntype: short\ndimension: 3\nsizes: 2 2 2\nencoding: gzip\n\n', 'latin1'), zerosGz(64)]));
  await refused(file, /decompresses to more than .*header describes 16 bytes/);
});

test('an interlaced PNG (which pngjs inflates without a limit) whose IDAT holds 64 MiB for 2x2 pixels is refused', async () => {
  const file = path.join(dir, 'bomb.png');
  fs.writeFileSync(file, png(2, 2, 8, 6, 1, deflateSync(Buffer.alloc(64 * MiB), { level: 9 })));
  assert.ok(fs.statSync(file).size < MiB);
  await refused(file, /decompresses to more than .*2x2/);
  // The same for a 16-bit PNG, which goes to itk-wasm.
  const deep = path.join(dir, 'bomb16.png');
  fs.writeFileSync(deep, png(2, 2, 16, 0, 0, deflateSync(Buffer.alloc(64 * MiB), { level: 9 })));
  await refused(deep, /decompresses to more than/);
});

/** A stored-size field in the zip's central directory set to `size` (a lying archive). */
function claimSize(zip: Uint8Array, size: number): Uint8Array {
  const out = zip.slice();
  const v = new DataView(out.buffer);
  for (let o = out.length - 22; o >= 0; o--) {
    if (v.getUint32(o, true) === 0x02014b50) {
      v.setUint32(o + 24, size, true);
      return out;
    }
  }
  throw new Error('no central directory');
}

test('an .npz whose arrays would inflate past the limit is refused before inflating, naming the file and the entry', () => {
  const file = path.join(dir, 'bomb.npz');
  const npy = encodeNpy(new Uint8Array(1024), [1024]);
  // A directory that claims 3 GiB for a 1 KiB array: the archive is tiny, the allocation would not be.
  const lying = claimSize(zipSync({ 'train_images.npy': [npy, { level: 9 }] }), 3 * 1024 ** 3);
  assert.throws(
    () => parseNpz(lying, file),
    (e: unknown) => e instanceof NpyError && e.message.startsWith(file) && /train_images\.npy.*decompression bomb/.test(e.message) && /more than 2\.00 GiB/.test(e.message),
  );
  // An honest archive over a given limit: refused the same way; under it, read.
  const honest = zipSync({ 'train_images.npy': [encodeNpy(new Uint8Array(4 * MiB), [4 * MiB]), { level: 9 }] });
  assert.throws(() => parseNpz(honest, file, MiB), /would decompress to more than 1\.00 MiB/);
  assert.equal(parseNpz(honest, file, 8 * MiB).get('train_images')!.shape[0], 4 * MiB);
});

test('a .nii.gz left to itk-wasm (NIfTI-2) is bounded by the size limit before itk-wasm inflates it', async () => {
  const hdr = Buffer.alloc(540);
  hdr.writeInt32LE(540, 0);
  hdr.write('n+2\0', 4, 'latin1');
  const file = path.join(dir, 'bomb2.nii.gz');
  fs.writeFileSync(file, Buffer.concat([gzipSync(hdr), zerosGz(64)]));
  await assert.rejects(readImage(file, { maxBytes: MiB }), (e: unknown) => e instanceof ImageReadError && e.problem === 'too-large' && e.message.startsWith(file) && /decompresses to more than .*size limit/.test(e.message));
});
