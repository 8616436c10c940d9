import { WORKER_HAND_OFF_WAIT_MS } from '../config';
import type { DeadLetterHandOffs } from '../thumbnail/dead-letter';

/**
 * The worker's exit on a second signal: at once, except that the dead letters being handed off finish
 * first (see DeadLetterHandOffs: milliseconds). Waits `waitMs` at most: the SQS calls' own timeouts are
 * longer.
 */
export function exitOnceHandedOff(
  handOffs: Pick<DeadLetterHandOffs, 'settled'>,
  exit: () => void,
  waitMs: number = WORKER_HAND_OFF_WAIT_MS,
): void {
  const timer = setTimeout(exit, waitMs);
  void handOffs.settled().then(() => {
    clearTimeout(timer);
    exit();
  });
}
