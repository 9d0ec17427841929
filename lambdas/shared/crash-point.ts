/**
 * A named point where a function could die (after the PSP answered, before we wrote what it said). In
 * production this does nothing: only the local runtime's crash injection (sandbox/crash-injection.ts, armed by
 * the chaos run) sets the hook, which may throw here to model the process dying at that point.
 */
const HOOK = Symbol.for('payments.crashPoint');

type CrashHook = (name: string, subject: string) => void;

export function crashPoint(name: string, subject: string): void {
  (globalThis as { [HOOK]?: CrashHook })[HOOK]?.(name, subject);
}

/** For the local runtime only: sets (or, with undefined, clears) the hook `crashPoint` calls. */
export function setCrashHook(hook: CrashHook | undefined): void {
  (globalThis as { [HOOK]?: CrashHook })[HOOK] = hook;
}
