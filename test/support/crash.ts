/**
 * One crash at a named `crashPoint` (lambdas/shared/crash-point.ts) for a test: the first pass of each subject
 * through it dies as the chaos run's crash injection does (`Runtime.ExitError`). Disarm it in a `finally`.
 */
import { setCrashHook } from '../../lambdas/shared/crash-point';
import { InjectedCrash } from '../../sandbox/crash-injection';

export function crashOnceAt(point: string): { readonly crashed: readonly string[]; disarm(): void } {
  const crashed: string[] = [];
  setCrashHook((name, subject) => {
    if (name !== point || crashed.includes(subject)) return;
    crashed.push(subject);
    throw new InjectedCrash('Runtime.ExitError', `crashed at ${name} for ${subject}`);
  });
  return { crashed, disarm: () => setCrashHook(undefined) };
}
