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

const OUTBOUND = Symbol.for('payments.outboundCall');

type OutboundHook = (target: string) => void;

/**
 * Before a request leaves the function for a provider (the PSP, the payee network). In production this does
 * nothing; the local crash injection sets the hook, which throws when the invocation already died at a crash
 * point: a dead process sends nothing more, to AWS or to anyone else.
 */
export function outboundCall(target: string): void {
  (globalThis as { [OUTBOUND]?: OutboundHook })[OUTBOUND]?.(target);
}

/** For the local runtime only: sets (or, with undefined, clears) the hook `outboundCall` calls. */
export function setOutboundHook(hook: OutboundHook | undefined): void {
  (globalThis as { [OUTBOUND]?: OutboundHook })[OUTBOUND] = hook;
}
