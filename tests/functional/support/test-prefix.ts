import { deletePrefix, describeStack, uniquePrefix, type Stack } from '../../support/stack';
import { deadLettersFor, deleteDeadLetters } from './dead-letters';

/**
 * The deployed stack and a key prefix of the calling test file's own. Registers the hooks that find the
 * stack before the tests and, after them, delete everything under the prefix: objects in both buckets
 * and dead-letter messages.
 */
export function useTestPrefix(name: string): { readonly prefix: string; readonly stack: Stack } {
  const prefix = uniquePrefix(name);
  let stack: Stack | undefined;
  beforeAll(async () => {
    stack = await describeStack();
  });
  afterAll(async () => {
    if (!stack) return;
    await deleteDeadLetters(stack, await deadLettersFor(stack, prefix));
    await deletePrefix(stack.imagesBucket, prefix);
    await deletePrefix(stack.thumbnailsBucket, prefix);
  });
  return {
    prefix,
    get stack() {
      if (!stack) throw new Error('the stack is known only once beforeAll has run');
      return stack;
    },
  };
}
