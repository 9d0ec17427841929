/**
 * Imported first by each script that runs the local system in its own process, so that it runs before any
 * module of the functions loads: the process-wide settings those modules read at load.
 *
 * Tracing is off locally (POWERTOOLS_TRACE_ENABLED=false in sandbox/environment.ts), yet the X-Ray SDK that the
 * tracer loads starts in automatic mode: an async hook on every promise of the process (cls-hooked), about a
 * quarter of the CPU of each AWS SDK call here. Manual mode has no hook. Deployed functions are not affected.
 */
process.env.AWS_XRAY_MANUAL_MODE ??= 'true';
