/** @type {import('jest').Config} */
const tsJest = [
  'ts-jest',
  // Type checking is `make typecheck`'s job; here ts-jest only strips types, which keeps the suite fast.
  { tsconfig: { module: 'commonjs', moduleResolution: 'node10' } },
];

// Dependencies published only as ES modules: @middy/core, @jsquash/jpeg, and file-type with its own
// dependencies, which jimp loads with a dynamic import(). esbuild compiles them to CommonJS, as it does
// when it bundles the functions.
const esmOnlyPackages = [
  '@middy/core',
  '@jsquash/jpeg',
  'lcms-wasm',
  '@jsquash/png',
  '@jsquash/webp',
  '@jsquash/avif',
  // The WebP and AVIF encoders' check for WebAssembly SIMD and threads.
  'wasm-feature-detect',
  '@jimp/core',
  'file-type',
  'strtok3',
  'token-types',
  'uint8array-extras',
  '@tokenizer/inflate',
  '@borewit/text-codec',
];

const common = {
  testEnvironment: 'node',
  // file-type exports its Node entry point only under `import` and `module-sync` (Node's condition for
  // ES modules that require() can load), so jest's CommonJS resolver needs the latter.
  testEnvironmentOptions: { customExportConditions: ['node', 'node-addons', 'module-sync'] },
  transform: {
    '/node_modules/.+\\.js$': '<rootDir>/tests/support/esm-to-cjs-transform.js',
    '^.+\\.ts$': tsJest,
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnlyPackages.join('|')})/)`],
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/tests/unit/**/*.test.ts'] },
    // Reads the template `make build` writes to .serverless/.
    { ...common, displayName: 'template', testMatch: ['<rootDir>/tests/template/**/*.test.ts'] },
    // Opt-in (make test-load): long, and it needs the deployed local stack.
    { ...common, displayName: 'load', testMatch: ['<rootDir>/tests/load/**/*.test.ts'] },
    {
      ...common,
      displayName: 'functional',
      testMatch: ['<rootDir>/tests/functional/**/*.test.ts'],
    },
  ],
};
