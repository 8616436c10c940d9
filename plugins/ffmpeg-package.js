'use strict';
/**
 * Puts the pinned ffmpeg of the target architecture into the package of the function that runs it,
 * before `sls package` / `sls deploy` zips the functions (custom.ffmpeg in serverless.yml):
 * - `architecture`: arm64 for AWS (the functions' architecture); `host` for the local stage, whose
 *   emulator runs the functions as processes on this machine;
 * - the binary comes from the @ffmpeg-installer/linux-<arch> package at the version and integrity
 *   package-lock.json records: from node_modules when `npm ci` installed it (npm installs only the
 *   host's, the other one's os/cpu fields make it skip it), else by `npm pack` (from npm's cache once
 *   fetched), checked against that integrity before anything of it is used;
 * - it is copied, with the package's package.json and README (licence: GPL-3.0), into `directory`, which
 *   this adds to `function`'s package patterns; the function finds it there through FFMPEG_PATH.
 * Not a Lambda layer: Serverless v3 looks up the deployed stack whenever it packages a layer, so
 * `sls package` would no longer work without AWS credentials (CI packages the template offline).
 */
const { createHash } = require('node:crypto');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const process = require('node:process');

const ARCHITECTURES = { x64: 'x64', arm64: 'arm64', x86_64: 'x64' };
const FILES = ['ffmpeg', 'package.json', 'README.md'];

class FfmpegPackage {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      // Before serverless-esbuild's hook of the same name, which copies the files of the patterns: plugins
      // run in the order serverless.yml lists them, and this one is listed first.
      'before:package:createDeploymentArtifacts': () => this.prepare(),
      'before:deploy:function:packageFunction': () => this.prepare(),
    };
  }

  settings() {
    const { custom = {}, functions = {} } = this.serverless.service;
    const settings = custom.ffmpeg;
    if (!settings || !functions[settings.function]) {
      throw new Error('custom.ffmpeg must name the function that runs ffmpeg (function) and a directory');
    }
    return settings;
  }

  prepare() {
    const settings = this.settings();
    const arch = ARCHITECTURES[settings.architecture === 'host' ? process.arch : settings.architecture];
    if (!arch) throw new Error(`ffmpeg: no @ffmpeg-installer package for architecture "${settings.architecture}"`);
    const root = this.serverless.serviceDir || this.serverless.config.servicePath;
    const name = `@ffmpeg-installer/linux-${arch}`;
    const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
    const locked = lock.packages[`node_modules/${name}`];
    if (!locked || !locked.integrity) {
      throw new Error(`ffmpeg: ${name} is not in package-lock.json (npm install --save-optional --save-exact ${name})`);
    }

    const target = path.join(root, settings.directory);
    fs.rmSync(target, { recursive: true, force: true });
    fs.mkdirSync(target, { recursive: true });
    const installed = path.join(root, 'node_modules', name);
    if (readVersion(installed) === locked.version) {
      for (const file of FILES) fs.copyFileSync(path.join(installed, file), path.join(target, file));
    } else {
      const tarball = this.fetch(root, name, locked);
      const files = FILES.map((file) => `package/${file}`);
      execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1', ...files]);
    }
    fs.chmodSync(path.join(target, 'ffmpeg'), 0o755);

    const fn = this.serverless.service.functions[settings.function];
    fn.package = fn.package || {};
    const pattern = `${settings.directory}/**`;
    fn.package.patterns = [...(fn.package.patterns || []).filter((p) => p !== pattern), pattern];
    this.serverless.cli.log(
      `ffmpeg: ${name}@${locked.version} in ${settings.directory}/ for the ${settings.function} function`,
    );
  }

  /** The package's tarball, by npm pack, accepted only if it has the integrity package-lock.json records. */
  fetch(root, name, locked) {
    const cache = path.join(root, '.ffmpeg-packages');
    fs.mkdirSync(cache, { recursive: true });
    const tarball = path.join(cache, `${name.slice(1).replace('/', '-')}-${locked.version}.tgz`);
    if (!fs.existsSync(tarball)) {
      execFileSync('npm', ['pack', `${name}@${locked.version}`, '--pack-destination', cache, '--silent'], {
        cwd: root,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    }
    const [algorithm, expected] = locked.integrity.split('-');
    const actual = createHash(algorithm).update(fs.readFileSync(tarball)).digest('base64');
    if (actual !== expected) {
      fs.rmSync(tarball, { force: true });
      throw new Error(`ffmpeg: ${name}@${locked.version} does not have the integrity package-lock.json records`);
    }
    return tarball;
  }
}

function readVersion(packageDir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

module.exports = FfmpegPackage;
