/**
 * `read`, run once per file buffer: inspect and decode both need a format's structure, and walking a
 * 50 MB file's markers or chunks (PNG CRCs included) twice is work for nothing. Keyed weakly, so the
 * result goes when the buffer does.
 */
export function oncePerFile<T>(read: (bytes: Buffer) => T): (bytes: Buffer) => T {
  const results = new WeakMap<Buffer, T>();
  return (bytes) => {
    if (results.has(bytes)) return results.get(bytes)!;
    const result = read(bytes);
    results.set(bytes, result);
    return result;
  };
}
