/**
 * node:sqlite is stable enough for the ETL's read-only scan, but Node 22 prints an ExperimentalWarning for it
 * that would only confuse the command-line tools' users; every other warning still shows.
 */
export function silenceSqliteExperimentalWarning(): void {
  const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (!String(warning).includes("SQLite is an experimental")) emitWarning(warning, ...rest);
  }) as typeof process.emitWarning;
}
