/** Retries an assertion until it passes or the time is up (audit writes land asynchronously). */
export async function eventually<T>(
  assertion: () => Promise<T> | T,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
      await new Promise(r => setTimeout(r, 100));
    }
  }
}
