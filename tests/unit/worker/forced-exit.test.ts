import { DeadLetterHandOffs } from '../../../src/thumbnail/dead-letter';
import { exitOnceHandedOff } from '../../../src/worker/forced-exit';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('exitOnceHandedOff', () => {
  it('exits at once when no dead letter is being handed off', async () => {
    const exit = jest.fn();
    exitOnceHandedOff(new DeadLetterHandOffs(), exit, 60_000);
    await tick();
    expect(exit).toHaveBeenCalledTimes(1);
  });

  it('exits after the dead letter being handed off is deleted from its queue, not before', async () => {
    const handOffs = new DeadLetterHandOffs();
    let deleted!: () => void;
    const handOff = handOffs.run(() => new Promise<void>((resolve) => (deleted = resolve)));
    const exit = jest.fn();
    exitOnceHandedOff(handOffs, exit, 60_000);
    await tick();
    expect(exit).not.toHaveBeenCalled();
    deleted();
    await handOff;
    await tick();
    expect(exit).toHaveBeenCalledTimes(1);
  });

  it('exits after the wait at most when a hand-off never ends', async () => {
    const handOffs = new DeadLetterHandOffs();
    void handOffs.run(() => new Promise<void>(() => undefined));
    const exit = jest.fn();
    exitOnceHandedOff(handOffs, exit, 20);
    await tick();
    expect(exit).not.toHaveBeenCalled();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(exit).toHaveBeenCalledTimes(1);
  });
});
