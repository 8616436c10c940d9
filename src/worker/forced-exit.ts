import { WORKER_HAND_OFF_WAIT_MS } from '../config';
import type { DeadLetterHandOffs } from '../thumbnail/dead-letter';

/**
 * The worker's exit on a second signal: at once, except that the dead letters being handed off are
 * deleted from the images queue first (milliseconds). Cut off between the send and the delete, a
 * message would come back when its visibility runs out and be dead-lettered a second time. Waits
 * `waitMs` at most: the SQS calls' own timeouts are longer.
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
