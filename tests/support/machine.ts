import { cpus, totalmem } from 'node:os';

/** The machine a measurement ran on, for benchmark reports and the load test's figures. */
export function machine() {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

export function describeMachine(host: ReturnType<typeof machine>): string {
  return `${host.cpu}, ${host.cores} cores, ${host.totalMemoryGiB} GiB, Node ${host.node} (${host.platform})`;
}
