/** @type {import('jest').Config} */
const tsJest = [
  'ts-jest',
  // Type checking is `make typecheck`'s job; here ts-jest only strips types, which keeps the suite fast.
  { tsconfig: { module: 'commonjs', moduleResolution: 'node10', allowJs: true } },
];

const common = {
  testEnvironment: 'node',
  // @middy/core ships only ES modules; it is compiled to CommonJS along with the project's own code.
  transform: { '^.+\\.[tj]s$': tsJest },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/tests/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'functional',
      testMatch: ['<rootDir>/tests/functional/**/*.test.ts'],
    },
  ],
};
