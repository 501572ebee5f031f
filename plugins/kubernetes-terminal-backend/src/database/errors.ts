/**
 * A storage error as it may be logged. Knex puts the failed statement in front of the driver's
 * message, and with SQLite the statement holds its values: a failed recording insert would put
 * the terminal's output (and whatever secret it showed) into the portal's logs. The statement is
 * left out; the driver's message and error code stay.
 *
 * @internal
 */
export function describeStorageError(error: unknown): string {
  // Duck-typed: a driver's errors may come from another realm (instanceof Error fails in jest).
  const message =
    typeof (error as { message?: unknown } | undefined)?.message === 'string'
      ? (error as { message: string }).message
      : String(error);
  const statement =
    /^\s*(?:\w*Error: )?(?:insert|update|delete|select|with|create|alter|drop|begin|commit)\b[\s\S]* - ([^\n]*)$/i.exec(
      message,
    );
  const text = statement ? statement[1] : message;
  const code = (error as { code?: unknown } | undefined)?.code;
  const withCode =
    typeof code === 'string' && !text.includes(code)
      ? `${text} (${code})`
      : text;
  return withCode.length > 300 ? `${withCode.slice(0, 300)}…` : withCode;
}
