/**
 * plugins/ffmpeg-package.js: the ffmpeg of the target architecture lands in the video function's package,
 * only ever with the integrity package-lock.json records. Runs on a scratch project: no network (the
 * tarball `npm pack` would fetch is put where the plugin caches it).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const FfmpegPackage = require('../../../plugins/ffmpeg-package.js');

const VERSION = '4.1.4';
const NAME = '@ffmpeg-installer/linux-arm64';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ffmpeg-package-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A tarball shaped like the npm package (package/ffmpeg, package.json, README.md), and its integrity. */
function packTarball(ffmpegBody: string): { file: string; integrity: string } {
  const staging = join(root, 'staging', 'package');
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, 'ffmpeg'), ffmpegBody);
  writeFileSync(join(staging, 'package.json'), JSON.stringify({ name: NAME, version: VERSION, license: 'GPLv3' }));
  writeFileSync(join(staging, 'README.md'), 'ffmpeg');
  mkdirSync(join(root, '.ffmpeg-packages'), { recursive: true });
  const file = join(root, '.ffmpeg-packages', `ffmpeg-installer-linux-arm64-${VERSION}.tgz`);
  execFileSync('tar', ['-czf', file, '-C', join(root, 'staging'), 'package']);
  return { file, integrity: `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}` };
}

function project(integrity: string) {
  writeFileSync(
    join(root, 'package-lock.json'),
    JSON.stringify({ packages: { [`node_modules/${NAME}`]: { version: VERSION, integrity } } }),
  );
  const functions: Record<string, { package?: { patterns?: string[] } }> = {
    video: { package: { patterns: ['node_modules/codec.wasm'] } },
  };
  const serverless = {
    serviceDir: root,
    config: {},
    cli: { log: () => undefined },
    service: {
      provider: { architecture: 'arm64' },
      custom: { ffmpeg: { architecture: 'arm64', function: 'video', directory: '.ffmpeg' } },
      functions,
    },
  };
  return { plugin: new FfmpegPackage(serverless), functions };
}

describe('the ffmpeg packaging plugin', () => {
  it('puts the locked package’s binary, executable, with its licence files, into the function’s patterns', () => {
    const { integrity } = packTarball('arm64 ffmpeg');
    const { plugin, functions } = project(integrity);
    plugin.prepare();
    expect(readFileSync(join(root, '.ffmpeg', 'ffmpeg'), 'utf8')).toBe('arm64 ffmpeg');
    expect(() => accessSync(join(root, '.ffmpeg', 'ffmpeg'), constants.X_OK)).not.toThrow();
    expect(JSON.parse(readFileSync(join(root, '.ffmpeg', 'package.json'), 'utf8')).license).toBe('GPLv3');
    expect(functions.video!.package!.patterns).toEqual(['node_modules/codec.wasm', '.ffmpeg/**']);
  });

  it('refuses, and deletes, a tarball without the integrity package-lock.json records', () => {
    const { file } = packTarball('tampered');
    const { plugin } = project(`sha512-${createHash('sha512').update('something else').digest('base64')}`);
    expect(() => plugin.prepare()).toThrow(`${NAME}@${VERSION} does not have the integrity package-lock.json records`);
    expect(() => accessSync(file)).toThrow();
    expect(() => accessSync(join(root, '.ffmpeg', 'ffmpeg'))).toThrow();
  });

  it('refuses an architecture without an @ffmpeg-installer package, and a package missing from the lock', () => {
    const { plugin } = project('sha512-x');
    plugin.serverless.service.custom.ffmpeg.architecture = 'mips';
    expect(() => plugin.prepare()).toThrow('no @ffmpeg-installer package for architecture "mips"');
    writeFileSync(join(root, 'package-lock.json'), JSON.stringify({ packages: {} }));
    plugin.serverless.service.custom.ffmpeg.architecture = 'arm64';
    expect(() => plugin.prepare()).toThrow(`${NAME} is not in package-lock.json`);
  });
});
