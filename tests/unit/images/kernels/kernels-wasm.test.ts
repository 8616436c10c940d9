import { readFile } from 'node:fs/promises';
import { compileKernels, KERNELS_MODULE, kernelsModuleSource } from '../../../../scripts/kernels/build';

describe('the committed pixel kernels (src/images/kernels/kernels-wasm.ts)', () => {
  it('are what scripts/kernels/build.ts compiles from assembly/kernels.ts (run npm run build:kernels after editing it)', async () => {
    const built = kernelsModuleSource(await compileKernels());

    expect(await readFile(KERNELS_MODULE, 'utf8')).toBe(built);
  }, 60_000);
});
